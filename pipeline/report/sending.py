"""Delivering the outbox: each notice that is due goes to its address over SMTP, once.

For each notice: claim it in the store, send the .eml as written over one SMTP connection
(STARTTLS and login when configured), mark it sent as soon as the server accepted it, or give
it back with the error for the next try (``pipeline.load.outbox`` holds the claims). A notice
refused by the server (a bad recipient) fails alone; a server that cannot be reached or refuses
the login stops the delivery, since every other notice would fail the same way.

The one moment a message may be delivered without our knowing is between the end of the message
and the server's reply to it. So the notice is recorded as possibly sent before the DATA
command; the reply is waited for as RFC 5321 (4.5.3.2.6) advises, 10 minutes
(``PSP_SMTP_DATA_TIMEOUT``); a reply that never comes leaves the notice possibly sent, which is
not sent again until a person says so, and stops the delivery (the server is not answering).
A ``stop`` event (SIGTERM) is honoured between notices: the one in hand is finished first.
"""

from __future__ import annotations

import copy
import io
import logging
import os
import re
import smtplib
import socket
import ssl
import threading
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.generator import BytesGenerator
from email.message import EmailMessage
from email.utils import parseaddr
from typing import cast

from sqlalchemy.engine import Engine

from pipeline.errors import ConfigurationError, DeliveryError
from pipeline.load import outbox
from pipeline.load.outbox import NoticeStatus, OutboxItem
from pipeline.load.store import utcnow
from pipeline.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SmtpServer:
    """Where and how to deliver: from the settings (PSP_SMTP_*)."""

    host: str
    port: int = 587
    starttls: bool = True
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 30.0  # every command but the end of the message
    data_timeout: float = 600.0  # the reply to the end of the message (RFC 5321 4.5.3.2.6: 10 minutes)

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpServer:
        """The server the settings name; ConfigurationError when they name none, since then no
        notice can be sent."""
        if not settings.smtp_host:
            raise ConfigurationError(
                "no SMTP server is configured, so notices cannot be sent.",
                hint="Set PSP_SMTP_HOST (and PSP_SMTP_PORT, PSP_SMTP_USER, PSP_SMTP_PASSWORD as needed), "
                "or look first with `psp-pipeline notices send --dry-run`.",
            )
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            starttls=settings.smtp_starttls,
            user=settings.smtp_user,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
            timeout=settings.smtp_timeout,
            data_timeout=settings.smtp_data_timeout,
        )


@dataclass
class Delivery:
    """What one ``notices send`` did."""

    sent: list[OutboxItem] = field(default_factory=list)
    failed: list[tuple[OutboxItem, str]] = field(default_factory=list)
    skipped: list[tuple[OutboxItem, str]] = field(default_factory=list)
    would_send: list[OutboxItem] = field(default_factory=list)
    possibly_sent: list[tuple[OutboxItem, str]] = field(default_factory=list)  # handed over, no answer
    stopped: bool = False  # asked to stop (SIGTERM) before every due notice was tried


class InDoubt(Exception):
    """The whole message went to the server but its reply to the end of it did not come back:
    the server may have delivered it."""


class ClaimLost(Exception):
    """Our claim on the notice was taken over before the message was handed over: not sent."""


def sender_id() -> str:
    """Who holds a claim: this host and process, and a token of this delivery."""
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def sender_gone(claimed_by: str | None) -> bool:
    """Whether the sender that holds a claim has certainly ended: a process of this host that is
    no longer running. A sender on another host is never known to have ended."""
    host, _, rest = (claimed_by or "").partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname()[:30] or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:  # running, under another user
        return False
    return False


def _skip_reason(status: NoticeStatus, item: OutboxItem) -> str:
    return {
        NoticeStatus.NO_ADDRESS: "no address to send it to: send it by hand",
        NoticeStatus.WITHDRAWN: f"withdrawn: the document is {item.outcome.replace('_', ' ')} now"
        + ("; it was handed to the server before and may have been delivered" if item.possibly_sent_at else ""),
        NoticeStatus.NOT_WRITTEN: "the notice was never completed",
        NoticeStatus.SENDING: f"being sent by {item.claimed_by}",
        NoticeStatus.POSSIBLY_SENT: "possibly sent already: a person decides "
        f"(`psp-pipeline notices resend {item.id} --by NAME` sends it again)",
    }.get(status, status.value)


def _read(item: OutboxItem) -> EmailMessage:
    return cast(EmailMessage, message_from_bytes(item.path.read_bytes(), policy=policy.default))


class SmtpConnection:
    """One SMTP session, opened at the first notice that needs it."""

    def __init__(self, server: SmtpServer, ssl_context: ssl.SSLContext | None, factory: Callable[..., smtplib.SMTP]):
        self.server = server
        self.ssl_context = ssl_context
        self.factory = factory
        self.client: smtplib.SMTP | None = None
        self.in_doubt = False  # the end of a message went to the server, and no reply came yet
        self.before_data: Callable[[], None] = lambda: None  # what the sender records before DATA

    def open(self) -> smtplib.SMTP:
        """The session, opened (EHLO, STARTTLS and login as the server asks) at the first call."""
        if self.client is None:
            server = self.server
            client = self.factory(server.host, server.port, timeout=server.timeout)
            try:
                client.ehlo()
                if server.starttls:
                    client.starttls(context=self.ssl_context or ssl.create_default_context())
                    client.ehlo()
                if server.user:
                    client.login(server.user, server.password or "")
            except BaseException:
                client.close()
                raise
            self.client = client
        return self.client

    def send(self, message: EmailMessage, to_address: str) -> None:
        """MAIL, RCPT, then DATA, as ``smtplib.SMTP.send_message`` does, with ``self.before_data``
        called just before the DATA command and the reply to the end of the message waited for
        ``data_timeout``. Raises InDoubt when that reply does not come; any other error means
        nothing was delivered. ``in_doubt`` tells, whatever interrupts it, whether the end of
        the message may have reached the server."""
        client = self.open()
        from_address = parseaddr(str(message["From"]))[1]
        recipient = parseaddr(to_address)[1]
        options: list[str] = []
        message = copy.copy(message)
        del message["Bcc"], message["Resent-Bcc"]
        international = not (from_address + recipient).isascii()
        if international:
            if not client.has_extn("smtputf8"):
                raise smtplib.SMTPNotSupportedError(
                    "an address needs internationalized email (SMTPUTF8), which the server does not offer")
            options += ["SMTPUTF8", "BODY=8BITMIME"]
        elif client.has_extn("8bitmime"):
            options.append("BODY=8BITMIME")
        elif not message.get_content().isascii():
            # A server without 8BITMIME gets the body as quoted-printable, which it can carry.
            message.set_content(message.get_content(), cte="quoted-printable")
        with io.BytesIO() as flat:
            generator_policy = message.policy.clone(utf8=True) if international else None
            BytesGenerator(flat, policy=generator_policy).flatten(message, linesep="\r\n")
            body = flat.getvalue()

        code, reply = client.mail(from_address, options)
        if code != 250:
            self._reset(code)
            raise smtplib.SMTPSenderRefused(code, reply, from_address)
        code, reply = client.rcpt(recipient)
        if code not in (250, 251):
            self._reset(code)
            raise smtplib.SMTPRecipientsRefused({recipient: (code, reply)})
        self.before_data()
        code, reply = client.docmd("DATA")
        if code != 354:
            self._reset(code)
            raise smtplib.SMTPDataError(code, reply)
        body = re.sub(rb"(?m)^\.", b"..", body)
        if not body.endswith(b"\r\n"):
            body += b"\r\n"
        # From here on the server may accept it (a send that fails did not get the end across).
        self.in_doubt = True
        try:
            client.send(body + b".\r\n")
        except smtplib.SMTPServerDisconnected:
            self.in_doubt = False
            raise
        sock = client.sock
        if sock is not None:
            sock.settimeout(self.server.data_timeout)
        try:
            code, reply = client.getreply()
        except (smtplib.SMTPException, OSError) as exc:
            timed_out = isinstance(exc, TimeoutError) or "timed out" in str(exc)
            raise InDoubt("no reply to the end of the message " + (
                f"within {self.server.data_timeout:g} s" if timed_out else f"({_describe(exc)})")) from exc
        if code != 250 and not 400 <= code < 600:
            raise InDoubt(f"an unexpected reply to the end of the message: {code} {reply.decode(errors='replace')}")
        self.in_doubt = False
        if sock is not None and client.sock is sock:
            sock.settimeout(self.server.timeout)
        if code != 250:  # refused: not delivered
            self._reset(code)
            raise smtplib.SMTPDataError(code, reply)

    def _reset(self, code: int) -> None:
        """After a refusal: the server is closing (421), or the transaction is reset for the next notice."""
        client = self.client
        if client is None:
            return
        if code == 421:
            client.close()
            self.client = None
            return
        try:
            client.rset()
        except (smtplib.SMTPException, OSError):
            client.close()
            self.client = None

    def drop(self) -> None:
        """The session closed (QUIT, or dropped when the server is gone); the next send opens another."""
        if self.client is not None:
            try:
                self.client.quit()
            except (smtplib.SMTPException, OSError):
                self.client.close()
            self.client = None


def send_notices(
    engine: Engine,
    server: SmtpServer | None,
    *,
    dry_run: bool = False,
    limit: int | None = None,
    ssl_context: ssl.SSLContext | None = None,
    smtp_factory: Callable[..., smtplib.SMTP] = smtplib.SMTP,
    stop: threading.Event | None = None,
    sent_by: str | None = None,
    only: Collection[int] | None = None,
) -> Delivery:
    """Send every notice that is due (with ``only``, those of these notice ids). ``dry_run`` says
    what would be sent and touches nothing. ``stop`` set (SIGTERM) ends the delivery after the
    notice in hand, before the next is claimed. ``sent_by``: who has them sent (a desk account,
    the OS user of `notices send`), recorded with each notice sent.

    Raises DeliveryError when the server cannot be reached or refuses the login (after giving
    back the notice it was about to send); a notice the server refuses is recorded as failed; a
    notice whose message got no reply is left possibly sent and ends the delivery.
    """
    delivery = Delivery()
    now = utcnow()
    due: list[OutboxItem] = []
    for item in outbox.notices(engine, include_sent=False):
        if only is not None and item.id not in only:
            continue
        status = item.status(now)
        if item.due(now):
            due.append(item)
        else:
            delivery.skipped.append((item, _skip_reason(status, item)))
    if limit is not None:
        due = due[:limit]
    if dry_run:
        delivery.would_send = due
        return delivery
    if not due:
        return delivery
    if server is None:
        raise ConfigurationError("no SMTP server is configured.", hint="Set PSP_SMTP_HOST.")
    me = sender_id()
    connection = SmtpConnection(server, ssl_context, smtp_factory)
    try:
        for item in due:
            if stop is not None and stop.is_set():
                delivery.stopped = True
                break
            # Read before the claim, which holds only while the notice is still of the kind listed:
            # what is read is then that notice. (A file rewritten once it is claimed, for the
            # document's new outcome, is another notice, sent once this one is settled.)
            try:
                message: EmailMessage | OSError = _read(item)
            except OSError as exc:
                message = exc
            if not outbox.claim(engine, item.id, me, kind=item.kind):
                delivery.skipped.append((item, "taken by another sender, or withdrawn since it was listed"))
                continue
            _send_one(engine, connection, item, me, delivery, message, sent_by)
            if delivery.possibly_sent:
                break  # the server stopped answering: every next notice would end the same way
    finally:
        connection.drop()
    return delivery


def _send_one(
    engine: Engine, connection: SmtpConnection, item: OutboxItem, me: str, delivery: Delivery,
    read: EmailMessage | OSError, sent_by: str | None = None,
) -> None:
    """Send one claimed notice (``read``: its file as read before the claim, or why it could not
    be) and settle its claim: sent; given back with the error when nothing was delivered; left
    possibly sent when the message went over without an answer. Each of these names the kind
    claimed (``item.kind``): the row is settled only while it stands for the notice handed over."""
    settled = False
    kind = item.kind

    def give_back(error: str) -> None:
        nonlocal settled
        outbox.release(engine, item.id, me, error, kind=kind)
        delivery.failed.append((item, error))
        settled = True

    def possibly_sent() -> None:
        # Before DATA: from here on the message may be delivered whatever happens to us.
        if not outbox.mark_possibly_sent(engine, item.id, me, kind=kind):
            raise ClaimLost

    connection.in_doubt = False
    connection.before_data = possibly_sent
    try:
        if isinstance(read, OSError):
            give_back(f"cannot read {item.path}: {read.strerror or read}")
            return
        message = read
        try:
            connection.open()
        except (smtplib.SMTPException, OSError) as exc:
            error = f"cannot reach or log in to {connection.server.host}:{connection.server.port}: {_describe(exc)}"
            give_back(error)
            raise DeliveryError(error, hint="Check PSP_SMTP_* and the server; the notices stay in the outbox.") from exc
        try:
            connection.send(message, item.to_address or "")
        except ClaimLost:
            settled = True  # another sender holds it now: theirs to settle
            delivery.skipped.append((item, "taken over by another sender, or withdrawn since it was taken"))
            connection.drop()
            return
        except InDoubt as exc:
            error = f"possibly sent: {exc}; it may have been delivered, so it is not sent again without a person's say"
            outbox.leave_in_doubt(engine, item.id, me, error, kind=kind)
            settled = True
            delivery.possibly_sent.append((item, error))
            log.warning("notice #%d possibly sent (received file #%d): %s", item.id, item.received_file_id, exc)
            connection.drop()
            return
        except smtplib.SMTPSenderRefused as exc:
            # The sender is the same for every notice: the others would be refused too.
            error = f"the server refused the sender {exc.sender}: {_describe(exc)}"
            give_back(error)
            raise DeliveryError(error, hint="Check PSP_SMTP_STARTTLS, PSP_SMTP_USER and PSP_COORDINATOR_EMAIL.") from exc
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError) as exc:
            give_back(f"refused by the server: {_describe(exc)}")
            return
        except (smtplib.SMTPException, OSError) as exc:
            give_back(f"the connection failed while sending: {_describe(exc)}")
            connection.drop()  # the next notice opens a fresh connection
            return
        # The server accepted it: from here on it counts as sent, whatever happens next.
        settled = True
        if not outbox.mark_sent(engine, item.id, me, kind=kind, sent_by=sent_by):
            # Put back by a person meanwhile (``resend``), or no longer this notice: the answer is
            # about the message handed over, not about what the row stands for now.
            log.warning("notice #%d (received file #%d): the server accepted the %s notice, but it was no "
                        "longer this sender's to record; what the notice stands for now is left as it is",
                        item.id, item.received_file_id, kind)
        delivery.sent.append(item)
        log.info("notice #%d sent (received file #%d)", item.id, item.received_file_id)
    except BaseException:
        # Interrupted (Ctrl-C, a second SIGTERM): before the end of the message went over, give it
        # back for the next try; after, it may have been delivered, so it stays possibly sent.
        if not settled:
            if connection.in_doubt:
                outbox.leave_in_doubt(engine, item.id, me, "possibly sent: interrupted while waiting for the "
                                      "server's reply to the end of the message", kind=kind)
            else:
                outbox.release(engine, item.id, me, "interrupted before the server accepted it", kind=kind)
        raise


def resend_notice(engine: Engine, notice_id: int, by: str) -> OutboxItem:
    """A person's say that a possibly sent notice goes out again (``outbox.resend``), its sender's
    claim set aside when that sender's process has certainly ended (``sender_gone``)."""
    held_by = next((item.claimed_by for item in outbox.notices(engine) if item.id == notice_id), None)
    return outbox.resend(engine, notice_id, by, holder_gone=sender_gone(held_by))


def _describe(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{code} {reply.decode(errors='replace') if isinstance(reply, bytes) else reply}"
                         for code, reply in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return f"{exc.smtp_code} {text}"
    return str(exc) or type(exc).__name__
