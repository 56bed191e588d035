"""Delivering the outbox: each notice that is due goes to its address over SMTP, once.

For each notice: claim it in the store, send the .eml as written over one SMTP connection
(STARTTLS and login when configured), mark it sent as soon as the server accepted it, or give
it back with the error for the next try (``pipeline.load.outbox`` holds the claims). A notice
refused by the server (a bad recipient) fails alone; a server that cannot be reached or refuses
the login stops the delivery, since every other notice would fail the same way.
"""

from __future__ import annotations

import logging
import os
import smtplib
import socket
import ssl
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes, policy
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
    timeout: float = 30.0

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpServer:
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
        )


@dataclass
class Delivery:
    """What one ``notices send`` did."""

    sent: list[OutboxItem] = field(default_factory=list)
    failed: list[tuple[OutboxItem, str]] = field(default_factory=list)
    skipped: list[tuple[OutboxItem, str]] = field(default_factory=list)
    would_send: list[OutboxItem] = field(default_factory=list)


def sender_id() -> str:
    """Who holds a claim: this host and process, and a token of this delivery."""
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _skip_reason(status: NoticeStatus, item: OutboxItem) -> str:
    return {
        NoticeStatus.NO_ADDRESS: "no address to send it to: send it by hand",
        NoticeStatus.WITHDRAWN: f"not sent: the document is {item.outcome.replace('_', ' ')} now",
        NoticeStatus.NOT_WRITTEN: "the notice was never completed",
        NoticeStatus.SENDING: f"being sent by {item.claimed_by}",
    }.get(status, status.value)


def _read(item: OutboxItem) -> EmailMessage:
    return cast(EmailMessage, message_from_bytes(item.path.read_bytes(), policy=policy.default))


class _Connection:
    """One SMTP session, opened at the first notice that needs it."""

    def __init__(self, server: SmtpServer, ssl_context: ssl.SSLContext | None, factory: Callable[..., smtplib.SMTP]):
        self.server = server
        self.ssl_context = ssl_context
        self.factory = factory
        self.client: smtplib.SMTP | None = None

    def open(self) -> smtplib.SMTP:
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
        client = self.open()
        options: list[str] = []
        if client.has_extn("8bitmime"):
            options.append("BODY=8BITMIME")
        elif not message.get_content().isascii():
            # A server without 8BITMIME gets the body as quoted-printable, which it can carry.
            message.set_content(message.get_content(), cte="quoted-printable")
        from_address = parseaddr(str(message["From"]))[1]
        client.send_message(message, from_addr=from_address, to_addrs=[parseaddr(to_address)[1]], mail_options=options)

    def drop(self) -> None:
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
) -> Delivery:
    """Send every notice that is due. ``dry_run`` says what would be sent and touches nothing.

    Raises DeliveryError when the server cannot be reached or refuses the login (after giving
    back the notice it was about to send); a notice the server refuses is recorded as failed.
    """
    delivery = Delivery()
    now = utcnow()
    due: list[OutboxItem] = []
    for item in outbox.notices(engine, include_sent=False):
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
    connection = _Connection(server, ssl_context, smtp_factory)
    try:
        for item in due:
            if not outbox.claim(engine, item.id, me):
                delivery.skipped.append((item, "taken by another sender"))
                continue
            _send_one(engine, connection, item, me, delivery)
    finally:
        connection.drop()
    return delivery


def _send_one(engine: Engine, connection: _Connection, item: OutboxItem, me: str, delivery: Delivery) -> None:
    """Send one claimed notice and settle its claim: sent, or given back with the error."""
    settled = False

    def give_back(error: str) -> None:
        nonlocal settled
        outbox.release(engine, item.id, me, error)
        delivery.failed.append((item, error))
        settled = True

    try:
        try:
            message = _read(item)
        except OSError as exc:
            give_back(f"cannot read {item.path}: {exc.strerror or exc}")
            return
        try:
            connection.open()
        except (smtplib.SMTPException, OSError) as exc:
            error = f"cannot reach or log in to {connection.server.host}:{connection.server.port}: {_describe(exc)}"
            give_back(error)
            raise DeliveryError(error, hint="Check PSP_SMTP_* and the server; the notices stay in the outbox.") from exc
        try:
            connection.send(message, item.to_address or "")
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
        outbox.mark_sent(engine, item.id, me)
        delivery.sent.append(item)
        log.info("notice #%d sent (received file #%d)", item.id, item.received_file_id)
    except BaseException:
        # Interrupted (Ctrl-C, SIGTERM) before the server accepted it: give it back for the next try.
        if not settled:
            outbox.release(engine, item.id, me, "interrupted before the server accepted it")
        raise


def _describe(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{code} {reply.decode(errors='replace') if isinstance(reply, bytes) else reply}"
                         for code, reply in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return f"{exc.smtp_code} {text}"
    return str(exc) or type(exc).__name__
