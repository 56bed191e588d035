"""The outbox as the store sees it: which notices wait to be sent, and the claims that let
``psp-pipeline notices send`` send each exactly once.

A sender claims a notice (one conditional UPDATE: only a notice not sent, not possibly sent, and
not claimed, or whose claim is older than ``CLAIM_LEASE``) before it talks to the SMTP server.
Just before it hands the message over (the DATA command) it records the notice as possibly sent;
it marks it sent as soon as the server accepted the message, and releases the claim with the
error when the server clearly refused it (nothing was delivered). Two senders at once never both
claim the same notice. A notice whose message went to the server without an answer (no reply to
the end of the message in time, a sender killed while it waited) stays possibly sent: it may
have been delivered, and it is not sent again until a person puts it back (``resend``).

The states of a notice (``OutboxItem.status``) and what moves it::

    pending, failed  --claim-->  sending
    sending          --refused before DATA (unreachable, 4xx/5xx to MAIL or RCPT): release-->  failed
    sending          --mark_possibly_sent, just before DATA-->  possibly sent (its sender holds it)
    possibly sent, held  --250: mark_sent-->  sent
    possibly sent, held  --4xx/5xx to DATA or to the message: release-->  failed
    possibly sent, held  --no reply in time, interrupted after the message: leave_in_doubt-->  possibly sent
    possibly sent    --resend (a person's say)-->  pending

A sender killed outright leaves its claim, which lapses after the lease: killed before DATA, the
notice is due again (nothing of it reached the server); after, it stays possibly sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path

from sqlalchemy import or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from pipeline.errors import BadInputError
from pipeline.load.store import NoticeRow, ReceivedFileRow, transaction, utcnow
from pipeline.model import Outcome

# How long a claim keeps other senders away. Far longer than one message takes; a claim older
# than this was left by a sender that died, and the notice is tried again.
CLAIM_LEASE = timedelta(minutes=15)


class NoticeStatus(StrEnum):
    PENDING = "pending"  # written, waiting for its first try
    FAILED = "failed"  # tried, failed; tried again by the next `notices send`
    SENDING = "sending"  # claimed by a sender right now
    POSSIBLY_SENT = "possibly_sent"  # handed to the server without its answer: a person decides
    SENT = "sent"
    NO_ADDRESS = "no_address"  # no usable address: send it by hand
    WITHDRAWN = "withdrawn"  # the document's outcome changed since (released, decided by a person)
    NOT_WRITTEN = "not_written"  # the .eml was never completed


@dataclass(frozen=True)
class OutboxItem:
    """One notice and where it stands."""

    id: int
    received_file_id: int
    file: str
    outcome: str  # the document's outcome now
    kind: str  # the outcome the notice was written for
    to_address: str | None
    path: Path
    written: bool
    created_at: datetime
    sent_at: datetime | None
    attempts: int
    last_error: str | None
    claimed_at: datetime | None
    claimed_by: str | None
    possibly_sent_at: datetime | None = None
    resend_by: str | None = None
    resend_at: datetime | None = None

    def status(self, now: datetime, lease: timedelta = CLAIM_LEASE) -> NoticeStatus:
        if self.sent_at is not None:
            return NoticeStatus.SENT
        if not self.written:
            return NoticeStatus.NOT_WRITTEN
        if not self.to_address:
            return NoticeStatus.NO_ADDRESS
        if self.possibly_sent_at is not None:
            # Handed to the server (maybe being handed right now, by ``claimed_by``): it may have
            # gone out, whatever became of the document since.
            return NoticeStatus.POSSIBLY_SENT
        if self.outcome != self.kind:
            return NoticeStatus.WITHDRAWN
        if self.claimed_at is not None and self.claimed_at > now - lease:
            return NoticeStatus.SENDING
        return NoticeStatus.FAILED if self.last_error else NoticeStatus.PENDING

    def due(self, now: datetime, lease: timedelta = CLAIM_LEASE) -> bool:
        """Whether a sender should try it now."""
        return self.status(now, lease) in (NoticeStatus.PENDING, NoticeStatus.FAILED)


def notices(engine: Engine, *, include_sent: bool = True) -> list[OutboxItem]:
    """Every notice, oldest first, with the document's file name and current outcome."""
    query = (
        select(NoticeRow, ReceivedFileRow.original_name, ReceivedFileRow.outcome)
        .join(ReceivedFileRow, NoticeRow.received_file_id == ReceivedFileRow.id)
        .order_by(NoticeRow.created_at, NoticeRow.id)
    )
    if not include_sent:
        query = query.where(NoticeRow.sent_at.is_(None))
    with Session(engine) as session:
        return [
            OutboxItem(
                id=row.id,
                received_file_id=row.received_file_id,
                file=name,
                outcome=outcome,
                kind=row.kind or Outcome.REJECTED.value,  # notices written before kinds were recorded
                to_address=row.to_address,
                path=Path(row.path),
                written=row.written,
                created_at=row.created_at,
                sent_at=row.sent_at,
                attempts=row.attempts or 0,
                last_error=row.last_error,
                claimed_at=row.claimed_at,
                claimed_by=row.claimed_by,
                possibly_sent_at=row.possibly_sent_at,
                resend_by=row.resend_by,
                resend_at=row.resend_at,
            )
            for row, name, outcome in session.execute(query)
        ]


def set_kind(engine: Engine, notice_id: int, kind: str) -> None:
    """Record which outcome a notice was written for. A document's notice rewritten for another
    outcome (a held registration that a reviewer then rejects) is a new notice: it is sent
    again even when the earlier one was."""
    with transaction(engine) as session:
        _set_kind(session.get_one(NoticeRow, notice_id), kind)


def _set_kind(row: NoticeRow, kind: str) -> None:
    if row.kind is not None and row.kind != kind:
        row.sent_at = None
        row.attempts = 0
        row.last_error = None
        row.claimed_at = None
        row.claimed_by = None
        row.possibly_sent_at = None
        row.resend_by = None
        row.resend_at = None
    row.kind = kind


def prepare_notices(engine: Engine, owed: list[tuple[int, str | None, Path, str]]) -> list[int]:
    """Before notices are written: for each (received file, address, path, outcome), its notice
    row (the one it has already, else a new one, not yet written) and the outcome it is written
    for (as ``set_kind``), all in one transaction. Returns the notices' ids, in order."""
    if not owed:
        return []
    with transaction(engine) as session:
        existing = {
            row.received_file_id: row
            for row in session.scalars(select(NoticeRow).where(NoticeRow.received_file_id.in_([o[0] for o in owed])))
        }
        rows = []
        for received_file_id, to_address, path, kind in owed:
            row = existing.get(received_file_id)
            if row is None:
                row = existing[received_file_id] = NoticeRow(
                    received_file_id=received_file_id, to_address=to_address, path=str(path), created_at=utcnow()
                )
                session.add(row)
            _set_kind(row, kind)
            rows.append(row)
        session.flush()
        return [row.id for row in rows]


def mark_written(engine: Engine, notice_ids: list[int]) -> None:
    """Record notices as written (their .eml complete in the outbox), in one transaction."""
    if notice_ids:
        with transaction(engine) as session:
            session.execute(update(NoticeRow).where(NoticeRow.id.in_(notice_ids)).values(written=True))


def claim(engine: Engine, notice_id: int, sender: str, *, now: datetime | None = None, lease: timedelta = CLAIM_LEASE) -> bool:
    """Take a notice for sending; False when it is sent already, possibly sent (it waits for a
    person), or another sender holds it."""
    now = now or utcnow()
    with transaction(engine) as session:
        result = session.execute(
            update(NoticeRow)
            .where(
                NoticeRow.id == notice_id,
                NoticeRow.sent_at.is_(None),
                NoticeRow.possibly_sent_at.is_(None),
                or_(NoticeRow.claimed_at.is_(None), NoticeRow.claimed_at <= now - lease),
            )
            .values(claimed_at=now, claimed_by=sender, attempts=NoticeRow.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1


def mark_possibly_sent(engine: Engine, notice_id: int, sender: str, *, now: datetime | None = None) -> bool:
    """Record, before the message is handed to the server (DATA), that from now on it may go out.
    False when this sender's claim was taken over meanwhile (held past its lease): the message
    must not be handed over then, another sender has it."""
    now = now or utcnow()
    with transaction(engine) as session:
        result = session.execute(
            update(NoticeRow)
            .where(
                NoticeRow.id == notice_id,
                NoticeRow.claimed_by == sender,
                NoticeRow.sent_at.is_(None),
                NoticeRow.possibly_sent_at.is_(None),
            )
            .values(possibly_sent_at=now, claimed_at=now)  # the claim runs from now, for what is left
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1


def mark_sent(engine: Engine, notice_id: int, sender: str, *, now: datetime | None = None) -> bool:
    """Record that the SMTP server accepted the notice. Returns False when the claim had been
    taken over meanwhile (a claim held past its lease); the notice is marked sent all the same,
    since it went out."""
    now = now or utcnow()
    with transaction(engine) as session:
        mine = session.scalar(select(NoticeRow.claimed_by).where(NoticeRow.id == notice_id)) == sender
        session.execute(
            update(NoticeRow)
            .where(NoticeRow.id == notice_id, NoticeRow.sent_at.is_(None))
            .values(sent_at=now, claimed_at=None, claimed_by=None, last_error=None, possibly_sent_at=None)
            .execution_options(synchronize_session=False)
        )
        return mine


def release(engine: Engine, notice_id: int, sender: str, error: str) -> None:
    """Give a claimed notice back after a failed try, with what went wrong, for the next try:
    nothing of it was delivered (refused before DATA, or the message itself refused)."""
    with transaction(engine) as session:
        session.execute(
            update(NoticeRow)
            .where(NoticeRow.id == notice_id, NoticeRow.claimed_by == sender, NoticeRow.sent_at.is_(None))
            .values(claimed_at=None, claimed_by=None, last_error=error[:500], possibly_sent_at=None)
            .execution_options(synchronize_session=False)
        )


def leave_in_doubt(engine: Engine, notice_id: int, sender: str, error: str) -> None:
    """Let go of a notice whose message was handed to the server without an answer: it stays
    possibly sent, with why, until a person puts it back (``resend``)."""
    with transaction(engine) as session:
        session.execute(
            update(NoticeRow)
            .where(NoticeRow.id == notice_id, NoticeRow.claimed_by == sender, NoticeRow.sent_at.is_(None))
            .values(claimed_at=None, claimed_by=None, last_error=error[:500])
            .execution_options(synchronize_session=False)
        )


def resend(
    engine: Engine,
    notice_id: int,
    by: str,
    *,
    holder_gone: bool = False,
    now: datetime | None = None,
    lease: timedelta = CLAIM_LEASE,
) -> OutboxItem:
    """A person's say that a possibly sent notice goes out again: back to pending, with who said
    so and when. Refused (BadInputError) for a notice that is not possibly sent, or whose sender
    still holds it (it may be waiting for the server's answer right now) unless ``holder_gone``
    (the caller knows that sender's process has ended) or its claim has run past the lease."""
    now = now or utcnow()
    with transaction(engine) as session:
        row = session.get(NoticeRow, notice_id, with_for_update=True)
        if row is None:
            raise BadInputError(f"there is no notice #{notice_id}.", hint="See `psp-pipeline notices list --all`.")
        if row.sent_at is not None:
            raise BadInputError(f"notice #{notice_id} was sent (the server accepted it); it is not sent again.")
        if row.possibly_sent_at is None:
            raise BadInputError(
                f"notice #{notice_id} is not possibly sent: it goes out with the next `psp-pipeline notices send` "
                "when it is due, and needs no say.",
                hint="See `psp-pipeline notices list`.",
            )
        held = row.claimed_at is not None and row.claimed_at > now - lease
        if held and not holder_gone:
            raise BadInputError(
                f"notice #{notice_id} is being sent by {row.claimed_by} right now (it may be waiting for the "
                "server's answer); nothing was changed.",
                hint=f"Wait until that `notices send` has ended, or until {(row.claimed_at + lease):%H:%M} UTC.",
            )
        row.possibly_sent_at = None
        row.claimed_at = None
        row.claimed_by = None
        row.last_error = None
        row.resend_by = by[:200]
        row.resend_at = now
    return next(item for item in notices(engine) if item.id == notice_id)


def missing_notices(engine: Engine) -> list[int]:
    """Received files whose outcome sends a notice (rejected, held) but whose notice for that
    outcome is not written yet: the notices a run (or a run that stopped) still owes."""
    owed = (Outcome.REJECTED.value, Outcome.HELD.value)
    query = (
        select(ReceivedFileRow.id)
        .outerjoin(NoticeRow, NoticeRow.received_file_id == ReceivedFileRow.id)
        .where(
            ReceivedFileRow.outcome.in_(owed),
            or_(NoticeRow.id.is_(None), NoticeRow.written.is_(False), NoticeRow.kind != ReceivedFileRow.outcome),
        )
        .order_by(ReceivedFileRow.id)
    )
    with Session(engine) as session:
        return list(session.scalars(query))
