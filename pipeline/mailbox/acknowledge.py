"""Acknowledgements: the short receipt an agency gets for each message a rule with ``acknowledge``
takes, at once: which files came (their names, never a value from them) and when to expect an
answer (``mail_ack_answer_within``).

Who gets one: the message's sender (From), only when it is at one of the rule's sender domains
(``cmhsp`` standing for the reference data's CMHSP domains; a rule that names none acknowledges
nobody), never the program office itself (``PSP_OFFICE_DOMAINS``, the coordinator's address:
forwarded mail), nor an automatic message (RFC 3834: ``Auto-Submitted``, a mailing list's,
``Precedence: bulk``), nor an address a notice could not be sent to.

Exactly once: the acknowledgement is recorded with its message, in one transaction
(``mail_messages.record``), under the message's key (its Message-ID, or the sha256 of its bytes),
which is UNIQUE: a message fetched again after a crash, renumbered by its server, or sent again
by the agency under the same Message-ID owes none. It is sent with the claims of the notices'
outbox (``pipeline.load.outbox``: claimed before the SMTP session, possibly sent just before
DATA, sent on the server's 250, given back when refused, left possibly sent when the end of the
message got no answer) on its own table, over the same SMTP connection (``SmtpConnection``):
right after each fetch when an SMTP server is set, and by ``psp-pipeline notices send``.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from email.utils import make_msgid

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from pipeline.errors import BadInputError, ConfigurationError, DeliveryError
from pipeline.load.mail_messages import AcknowledgementRow, Owed
from pipeline.load.outbox import CLAIM_LEASE
from pipeline.load.store import transaction, utcnow
from pipeline.mailbox.accounts import CMHSP_DOMAINS, Rule
from pipeline.mailbox.imap import Envelope
from pipeline.report.notices import notice_address, notice_email, one_line, quoted
from pipeline.report.sending import (
    ClaimLost,
    InDoubt,
    SmtpConnection,
    SmtpServer,
    sender_id,
)
from pipeline.settings import Settings
from schemas.reference import load_reference

log = logging.getLogger(__name__)

FILES_LISTED = 20  # a message with more attachments is acknowledged with the first ones and a count
_AUTOMATIC_PRECEDENCE = {"bulk", "list", "junk"}


def cmhsp_domains(settings: Settings, rules: Iterable[Rule]) -> frozenset[str]:
    """The reference data's CMHSP domains when a rule names ``cmhsp`` (else none, unread).
    ConfigurationError when the reference data cannot be read."""
    using = [rule for rule in rules if CMHSP_DOMAINS in rule.sender_domains]
    if not using:
        return frozenset()
    try:
        domains = load_reference(settings.reference_folder).cmhsp_domains
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"a mail rule takes the CMHSPs' domains, and the reference data cannot be read ({exc}).",
                                 hint="Correct cmhsps.csv (its domains column), or name the domains in the rule.") from exc
    if not domains:
        log.warning("a mail rule takes the CMHSPs' domains (cmhsp), and cmhsps.csv lists none: it takes nothing "
                    "from them until a domains column is filled in")
    return domains


def owed(settings: Settings, rule: Rule, domains: frozenset[str], envelope: Envelope, body: bytes,
         sha256: str) -> Owed | None:
    """The acknowledgement a message just fetched is owed by ``rule``, or None (the module's who)."""
    if not rule.acknowledge or not rule.from_its_domains(envelope.sender, domains):
        return None
    address = notice_address(None, {}, envelope.sender, office=settings.office)
    if address is None:
        return None
    try:
        message = BytesParser(policy=default_policy).parsebytes(body)
        automatic = _automatic(message)
        files = [name for part in message.walk() if (name := part.get_filename())]
    except Exception:  # noqa: BLE001 - a message too broken to read still came: acknowledged without its files
        automatic, files = False, []
    if automatic:
        return None
    message_id = (envelope.message_id or "").strip()
    key = message_id if message_id.startswith("<") and message_id.endswith(">") else f"sha256:{sha256}"
    arrived = datetime.fromtimestamp(envelope.arrived, UTC) if envelope.arrived is not None else utcnow()
    domain = settings.coordinator_email.rpartition("@")[2] or None
    return Owed(message_key=key[:998], to_address=address, files=[one_line(f)[:200] for f in files],
                received_at=arrived, in_reply_to=key if key.startswith("<") else None,
                own_message_id=make_msgid(idstring="psp-receipt", domain=domain))


def _automatic(message: EmailMessage) -> bool:
    """Whether a message was sent by a program (RFC 3834 asks not to answer it): Auto-Submitted
    other than ``no``, a mailing list's, or Precedence bulk, list or junk."""
    submitted = str(message.get("Auto-Submitted", "no")).strip().lower()
    precedence = str(message.get("Precedence", "")).strip().lower()
    return submitted != "no" or "List-Id" in message or precedence in _AUTOMATIC_PRECEDENCE


def receipt(row: AcknowledgementRow, settings: Settings) -> EmailMessage:
    """The acknowledgement's message: from the coordinator, to the sender, answering its message."""
    received = row.received_at.astimezone(settings.zone)
    listed = [f"  - {quoted(name)}" for name in row.files[:FILES_LISTED]]
    if len(row.files) > FILES_LISTED:
        listed.append(f"  - and {len(row.files) - FILES_LISTED} more")
    what = ("with these files:\n" + "\n".join(listed)) if listed else "(no attached file was found in it)"
    body = (f"Hello,\n\nThe PSP program office received your email of {received:%B %-d, %Y at %-I:%M %p %Z} "
            f"{what}\n\nWe will review what you sent and answer {settings.mail_ack_answer_within}. "
            "You do not need to send it again.\n\nThis receipt was sent automatically. For questions, reply "
            f"to it (it goes to {settings.coordinator_email}) or call {settings.coordinator_phone}.\n\n"
            f"{settings.coordinator_name}\n")
    coordinator = {"name": settings.coordinator_name, "email": settings.coordinator_email}
    message = notice_email("Received: your PSP forms", body, to_address=row.to_address, coordinator=coordinator,
                           form="receipt", kind="acknowledgement")
    message.replace_header("Message-ID", row.own_message_id)  # the same at every try
    message.replace_header("Auto-Submitted", "auto-replied")  # RFC 3834: an answer to a message
    if row.in_reply_to:
        message["In-Reply-To"] = row.in_reply_to
        message["References"] = row.in_reply_to
    return message


def _due(now: datetime, lease: timedelta) -> tuple[ColumnElement[bool], ...]:
    """Not sent, not possibly sent, and no sender's claim within the lease (as a notice's)."""
    return (AcknowledgementRow.sent_at.is_(None), AcknowledgementRow.possibly_sent_at.is_(None),
            or_(AcknowledgementRow.claimed_at.is_(None), AcknowledgementRow.claimed_at <= now - lease))


def _settle(engine: Engine, ack_id: int, sender: str, *conditions: ColumnElement[bool], **values: object) -> bool:
    """Change the acknowledgement ``sender`` holds, while it holds it and it is not sent."""
    with transaction(engine) as session:
        result = session.execute(
            update(AcknowledgementRow)
            .where(AcknowledgementRow.id == ack_id, AcknowledgementRow.claimed_by == sender,
                   AcknowledgementRow.sent_at.is_(None), *conditions)
            .values(**values).execution_options(synchronize_session=False))
        return result.rowcount == 1


def claim(engine: Engine, ack_id: int, sender: str, *, now: datetime | None = None,
          lease: timedelta = CLAIM_LEASE) -> bool:
    """Take an acknowledgement for sending (one conditional UPDATE); False when it is sent, possibly
    sent, or another sender holds it."""
    now = now or utcnow()
    with transaction(engine) as session:
        result = session.execute(
            update(AcknowledgementRow).where(AcknowledgementRow.id == ack_id, *_due(now, lease))
            .values(claimed_at=now, claimed_by=sender, attempts=AcknowledgementRow.attempts + 1)
            .execution_options(synchronize_session=False))
        return result.rowcount == 1


@dataclass
class Acknowledged:
    """What one sending of acknowledgements did."""

    sent: list[int] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)
    possibly_sent: list[tuple[int, str]] = field(default_factory=list)
    error: str | None = None  # why the sending stopped (the server out of reach, the login refused)

    @property
    def trouble(self) -> bool:
        """Whether any acknowledgement failed, may have gone out unanswered, or could not be tried."""
        return bool(self.failed or self.possibly_sent or self.error)

    def line(self) -> str:
        """What was done, in one line (ids and counts, no address)."""
        said = f"Acknowledgements of mail: {len(self.sent)} sent; {len(self.failed)} failed (kept for the next try)"
        if self.possibly_sent:
            said += f"; possibly sent, not sent again: {', '.join(f'#{i}' for i, _ in self.possibly_sent)}"
        return said + (f"; stopped: {self.error}" if self.error else "") + "."


def due(engine: Engine, now: datetime | None = None) -> list[AcknowledgementRow]:
    """The acknowledgements to send now, oldest first."""
    with Session(engine) as session:
        return list(session.scalars(select(AcknowledgementRow).where(*_due(now or utcnow(), CLAIM_LEASE))
                                    .order_by(AcknowledgementRow.id)))


def listed(engine: Engine) -> list[AcknowledgementRow]:
    """Every acknowledgement, oldest first (``mail receipts``)."""
    with Session(engine) as session:
        return list(session.scalars(select(AcknowledgementRow).order_by(AcknowledgementRow.id)))


def status(row: AcknowledgementRow, now: datetime | None = None) -> str:
    """Where an acknowledgement stands, in the outbox's words: sent, possibly sent, sending, failed
    (tried, to be tried again) or pending."""
    now = now or utcnow()
    if row.sent_at is not None:
        return "sent"
    if row.possibly_sent_at is not None:
        return "possibly sent"
    if row.claimed_at is not None and row.claimed_at > now - CLAIM_LEASE:
        return "sending"
    return "failed" if row.last_error else "pending"


def resend(engine: Engine, ack_id: int, *, now: datetime | None = None) -> None:
    """A person's say that a possibly sent acknowledgement goes out again (they know it was not
    delivered): due again. BadInputError for one that is not possibly sent, or whose sender still
    holds it."""
    now = now or utcnow()
    with transaction(engine) as session:
        row = session.get(AcknowledgementRow, ack_id, with_for_update=True)
        if row is None or row.possibly_sent_at is None or row.sent_at is not None:
            raise BadInputError(f"acknowledgement #{ack_id} is not possibly sent: nothing to send again.",
                                hint="See `psp-pipeline mail receipts`.")
        if row.claimed_at is not None and row.claimed_at > now - CLAIM_LEASE:
            raise BadInputError(f"acknowledgement #{ack_id} is being sent right now; nothing was changed.",
                                hint=f"Try again after {(row.claimed_at + CLAIM_LEASE):%H:%M} UTC.")
        row.possibly_sent_at = row.claimed_at = row.claimed_by = None


def send_acknowledgements(settings: Settings, engine: Engine, server: SmtpServer, *,
                          ssl_context: ssl.SSLContext | None = None,
                          smtp_factory: Callable[..., smtplib.SMTP] = smtplib.SMTP,
                          stop: threading.Event | None = None) -> Acknowledged:
    """Send every acknowledgement that is due, each once. DeliveryError when the server cannot be
    reached, refuses the login or the sender (the rest stay due)."""
    done = Acknowledged()
    me = sender_id()
    connection = SmtpConnection(server, ssl_context, smtp_factory)
    try:
        for row in due(engine):
            if (stop is not None and stop.is_set()) or not claim(engine, row.id, me):
                continue
            _send_one(engine, connection, row, receipt(row, settings), me, done)
            if done.possibly_sent:
                break  # the server stopped answering
    finally:
        connection.drop()
    return done


def _send_one(engine: Engine, connection: SmtpConnection, row: AcknowledgementRow, message: EmailMessage,
              me: str, done: Acknowledged) -> None:
    """Send one claimed acknowledgement and settle its claim, as ``sending._send_one`` a notice's."""

    def handed_over() -> None:
        if not _settle(engine, row.id, me, AcknowledgementRow.possibly_sent_at.is_(None),
                       possibly_sent_at=utcnow(), claimed_at=utcnow()):
            raise ClaimLost

    def give_back(error: str) -> None:
        _settle(engine, row.id, me, claimed_at=None, claimed_by=None, last_error=error[:500], possibly_sent_at=None)
        done.failed.append((row.id, error))

    connection.in_doubt = False
    connection.before_data = handed_over
    try:
        connection.open()
        connection.send(message, row.to_address)
    except ClaimLost:  # another sender holds it now: theirs to settle
        connection.drop()
        return
    except InDoubt as exc:
        error = f"possibly sent: {exc}; not sent again without a person's say"
        _settle(engine, row.id, me, claimed_at=None, claimed_by=None, last_error=error)
        done.possibly_sent.append((row.id, error))
        connection.drop()
        return
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError) as exc:
        give_back(f"refused by the server: {exc}")
        return
    except (smtplib.SMTPException, OSError) as exc:
        give_back(f"cannot send over {connection.server.host}:{connection.server.port}: {exc}")
        raise DeliveryError(f"acknowledgements could not be sent ({type(exc).__name__}).",
                            hint="Check PSP_SMTP_*; they stay due for the next try.") from exc
    except BaseException:
        if connection.in_doubt:
            _settle(engine, row.id, me, claimed_at=None, claimed_by=None,
                    last_error="possibly sent: interrupted while waiting for the server's reply")
        else:
            give_back("interrupted before the server accepted it")
        raise
    _settle(engine, row.id, me, sent_at=utcnow(), claimed_at=None, claimed_by=None, last_error=None,
            possibly_sent_at=None)
    done.sent.append(row.id)
    log.info("acknowledgement #%d sent (mail account %s)", row.id, row.account)


def deliver(settings: Settings, engine: Engine, server: SmtpServer, *,
            stop: threading.Event | None = None) -> Acknowledged:
    """Send the acknowledgements that are due (``notices send`` after the notices, and after each
    fetch); a server out of reach or refusing is said in ``error``, and they stay due."""
    if not due(engine):
        return Acknowledged()
    try:
        return send_acknowledgements(settings, engine, server, stop=stop)
    except DeliveryError as exc:
        log.error("acknowledgements were not sent: %s", exc)
        return Acknowledged(error=str(exc))


def send_due(settings: Settings, engine: Engine) -> Acknowledged:
    """Right after a fetch: send the acknowledgements that are due when an SMTP server is set;
    else they wait for ``notices send``."""
    if not settings.smtp_host:
        return Acknowledged()
    return deliver(settings, engine, SmtpServer.from_settings(settings))
