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

A notice row stands for one message: the notice of the outcome it was written for (``kind``).
When the document's outcome leaves that kind, wherever the judgement is stored, the notice is
withdrawn (``pipeline.load.notice_settling``: ``withdrawn_at``; never claimed nor handed over
after that, its file set aside; a rejection that went out, or may have, followed by a correction
notice, a row of its own sent by the same claims), and the new outcome's notice is a new row
(``missing_notices``). ``claim`` and ``mark_possibly_sent`` also refuse a notice whose document's
outcome is no longer its kind. Each step of a sender (``mark_possibly_sent``, ``mark_sent``,
``release``, ``leave_in_doubt``) changes the row only while that sender holds it and it stands
for the kind claimed, so a server's answer about one message never records another as sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path

from sqlalchemy import ColumnElement, func, literal, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from pipeline.errors import BadInputError
from pipeline.load.store import (
    NOTICE_CORRECTION,
    NoticeRow,
    ReceivedFileRow,
    transaction,
    utcnow,
)
from pipeline.model import Outcome

# How long a claim keeps other senders away. Far longer than one message takes; a claim older
# than this was left by a sender that died, and the notice is tried again.
CLAIM_LEASE = timedelta(minutes=15)
# The outcomes whose document gets a notice (``missing_notices``).
NOTICE_OUTCOMES = (Outcome.REJECTED.value, Outcome.HELD.value)


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
    sent_by: str | None = None  # who had it sent: a desk account, or the OS user of `notices send`
    withdrawn_at: datetime | None = None  # its decision reopened (``pipeline.load.reopen``): never sent now
    withdrawn_by: str | None = None

    def status(self, now: datetime, lease: timedelta = CLAIM_LEASE) -> NoticeStatus:
        """Where the notice stands at ``now`` (the module's states); a claim older than ``lease``
        no longer counts as a sender holding it."""
        if self.sent_at is not None:
            return NoticeStatus.SENT
        if self.withdrawn_at is not None:  # its decision was reopened: never sent, whatever it was before
            return NoticeStatus.WITHDRAWN
        if not self.written:
            return NoticeStatus.NOT_WRITTEN
        if not self.to_address:
            return NoticeStatus.NO_ADDRESS
        if self.possibly_sent_at is not None:
            # Handed to the server (maybe being handed right now, by ``claimed_by``): it may have
            # gone out, whatever became of the document since.
            return NoticeStatus.POSSIBLY_SENT
        if self.outcome != self.kind and self.kind != NOTICE_CORRECTION:  # a correction stands whatever comes
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
                sent_by=row.sent_by,
                withdrawn_at=row.withdrawn_at,
                withdrawn_by=row.withdrawn_by,
            )
            for row, name, outcome in session.execute(query)
        ]


def set_kind(engine: Engine, notice_id: int, kind: str) -> bool:
    """Record which outcome a notice was written for. A document's notice rewritten for another
    outcome (a held registration that a reviewer then rejects) is a new notice: it is sent
    again even when the earlier one was. False when a sender holds the notice (``_set_kind``):
    it is left as it is, and the new notice stays owed."""
    with transaction(engine) as session:
        return _set_kind(session.get_one(NoticeRow, notice_id, with_for_update=True), kind, utcnow())


def held_by_sender(row: NoticeRow, now: datetime, lease: timedelta = CLAIM_LEASE) -> bool:
    """Whether a sender holds the notice now (its claim within the lease): it may be handing the
    message over, or waiting for the server's answer to it. A claim past the lease was left by a
    sender that ended (or let go, ``leave_in_doubt``): the notice is nobody's."""
    return row.claimed_by is not None and row.claimed_at is not None and row.claimed_at > now - lease


def _set_kind(row: NoticeRow, kind: str, now: datetime, *, before_writing: bool = False) -> bool:
    """The row made the notice of ``kind``: a notice of another kind before is replaced, its
    delivery forgotten (sent, possibly sent: that was another message); ``before_writing``, it is
    not written yet (its file still holds the notice before, which must not go out as this one).
    Not while a sender holds it: that sender settles what it handed over (``mark_sent`` and the
    others change only the kind it claimed), and the row stays of its kind, so the new notice
    stays owed (``missing_notices``: its kind is not the document's outcome) and is made by the
    next writer after that. Returns whether the row is of ``kind`` now."""
    if (row.kind or Outcome.REJECTED.value) != kind:  # a row from before kinds were kept: a rejection's
        if held_by_sender(row, now):
            return False
        if before_writing:
            row.written = False
        row.sent_at = None
        row.sent_by = None
        row.attempts = 0
        row.last_error = None
        row.claimed_at = None
        row.claimed_by = None
        row.possibly_sent_at = None
        row.resend_by = None
        row.resend_at = None
    row.kind = kind
    return True


def prepare_notices(engine: Engine, owed: list[tuple[int, str | None, Path, str]]) -> list[int]:
    """Before notices are written: for each (received file, address, path, outcome), its notice
    row (the one it has already, else a new one, not yet written) and the outcome it is written
    for (as ``set_kind``: a row a sender holds is left as it is, and its new notice stays owed),
    all in one transaction. Returns the notices' ids, in order."""
    if not owed:
        return []
    now = utcnow()
    with transaction(engine) as session:
        # Locked (PostgreSQL; SQLite serialises writers): a sender's claim is not overwritten unseen.
        existing = {
            row.received_file_id: row
            for row in session.scalars(
                select(NoticeRow)
                .where(NoticeRow.received_file_id.in_([o[0] for o in owed]), standing_notice())
                .with_for_update()
            )
        }
        rows = []
        for received_file_id, to_address, path, kind in owed:
            row = existing.get(received_file_id)
            if row is None:
                row = existing[received_file_id] = NoticeRow(
                    received_file_id=received_file_id, to_address=to_address, path=str(path), created_at=utcnow()
                )
                session.add(row)
            if _set_kind(row, kind, now, before_writing=True):
                row.to_address = to_address  # written now: to whom it goes now (a corrected address)
            rows.append(row)
        session.flush()
        return [row.id for row in rows]


def mark_written(engine: Engine, notice_ids: list[int]) -> None:
    """Record notices as written (their .eml complete in the outbox), in one transaction."""
    if notice_ids:
        with transaction(engine) as session:
            session.execute(update(NoticeRow).where(NoticeRow.id.in_(notice_ids)).values(written=True))


def standing_notice() -> ColumnElement[bool]:
    """The row is its file's standing notice: the one of its outcome, neither withdrawn nor a
    correction (``store.NOTICE_STANDING``; a file has at most one)."""
    return NoticeRow.withdrawn_at.is_(None) & (func.coalesce(NoticeRow.kind, Outcome.REJECTED.value) != NOTICE_CORRECTION)


def notice_kind(row: NoticeRow) -> str:
    """The outcome a notice row was written for (a row from before kinds were kept: a rejection)."""
    return row.kind or Outcome.REJECTED.value


def _still_true() -> ColumnElement[bool]:
    """The notice still says what is true: a correction, or its file's outcome is its kind (a
    notice of an outcome the document has left is withdrawn; this holds for rows from before)."""
    outcome_now = select(ReceivedFileRow.outcome).where(ReceivedFileRow.id == NoticeRow.received_file_id)
    return _kind_is(NOTICE_CORRECTION) | (func.coalesce(NoticeRow.kind, Outcome.REJECTED.value)
                                           == outcome_now.scalar_subquery())


def _kind_is(kind: str) -> ColumnElement[bool]:
    """The row stands for the notice of ``kind`` (a row from before kinds were kept: a rejection)."""
    return func.coalesce(NoticeRow.kind, Outcome.REJECTED.value) == kind


def _held_by(notice_id: int, sender: str, kind: str) -> tuple[ColumnElement[bool], ...]:
    """The row ``sender`` claimed, still its own and still the notice of the ``kind`` it claimed."""
    return NoticeRow.id == notice_id, NoticeRow.claimed_by == sender, _kind_is(kind)


def claim(
    engine: Engine,
    notice_id: int,
    sender: str,
    *,
    kind: str | None = None,
    now: datetime | None = None,
    lease: timedelta = CLAIM_LEASE,
) -> bool:
    """Take a notice for sending; False when it is sent already, possibly sent (it waits for a
    person), withdrawn, another sender holds it, its document's outcome is no longer its kind
    (``_still_true``), or (with ``kind``, the kind the sender saw listed) it was rewritten since."""
    now = now or utcnow()
    with transaction(engine) as session:
        result = session.execute(
            update(NoticeRow)
            .where(
                NoticeRow.id == notice_id,
                NoticeRow.sent_at.is_(None),
                NoticeRow.possibly_sent_at.is_(None),
                NoticeRow.withdrawn_at.is_(None),
                or_(NoticeRow.claimed_at.is_(None), NoticeRow.claimed_at <= now - lease),
                _still_true(),
                *((_kind_is(kind),) if kind is not None else ()),
            )
            .values(claimed_at=now, claimed_by=sender, attempts=NoticeRow.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1


def mark_possibly_sent(engine: Engine, notice_id: int, sender: str, *, kind: str, now: datetime | None = None) -> bool:
    """Record, before the message is handed to the server (DATA), that from now on it may go out.
    False when this sender's claim was taken over meanwhile (held past its lease), or the notice
    is no longer of the ``kind`` claimed: the message must not be handed over then."""
    now = now or utcnow()
    with transaction(engine) as session:
        result = session.execute(
            update(NoticeRow)
            .where(
                *_held_by(notice_id, sender, kind),
                NoticeRow.sent_at.is_(None),
                NoticeRow.possibly_sent_at.is_(None),
                NoticeRow.withdrawn_at.is_(None),  # withdrawn since it was claimed: not handed over
                _still_true(),
            )
            .values(possibly_sent_at=now, claimed_at=now)  # the claim runs from now, for what is left
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1


def mark_sent(engine: Engine, notice_id: int, sender: str, *, kind: str, now: datetime | None = None,
              sent_by: str | None = None) -> bool:
    """Record that the SMTP server accepted the notice of ``kind`` this sender claimed, and who had
    it sent (``sent_by``: a desk account, the OS user of `notices send`): only while
    the sender still holds it and it is still that notice. False, nothing changed, otherwise: the
    server's answer is about the message this sender handed over, and the row stands for another
    now (put back by a person meanwhile, ``resend``; taken over past its lease and rewritten for
    another outcome), which must not be recorded as sent."""
    now = now or utcnow()
    with transaction(engine) as session:
        result = session.execute(
            update(NoticeRow)
            .where(*_held_by(notice_id, sender, kind), NoticeRow.sent_at.is_(None))
            .values(sent_at=now, sent_by=sent_by[:200] if sent_by else None, claimed_at=None, claimed_by=None,
                    last_error=None, possibly_sent_at=None)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1


def release(engine: Engine, notice_id: int, sender: str, error: str, *, kind: str) -> bool:
    """Give a claimed notice of ``kind`` back after a failed try, with what went wrong, for the next
    try: nothing of it was delivered (refused before DATA, or the message itself refused). Only
    while this sender holds it and it is still that notice."""
    with transaction(engine) as session:
        result = session.execute(
            update(NoticeRow)
            .where(*_held_by(notice_id, sender, kind), NoticeRow.sent_at.is_(None))
            .values(claimed_at=None, claimed_by=None, last_error=error[:500], possibly_sent_at=None)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1


def leave_in_doubt(engine: Engine, notice_id: int, sender: str, error: str, *, kind: str) -> bool:
    """Let go of a notice of ``kind`` whose message was handed to the server without an answer: it
    stays possibly sent, with why, until a person puts it back (``resend``), or until the
    document's outcome changes and its new notice is written in its place (nobody holds it now).
    Only while this sender holds it and it is still that notice."""
    with transaction(engine) as session:
        result = session.execute(
            update(NoticeRow)
            .where(*_held_by(notice_id, sender, kind), NoticeRow.sent_at.is_(None))
            .values(claimed_at=None, claimed_by=None, last_error=error[:500])
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1


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
        if row.withdrawn_at is not None:
            raise BadInputError(f"notice #{notice_id} was withdrawn when its decision was reopened; it is not sent.",
                                hint="The document's next decision writes the notice it needs.")
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


def _owes(received_file_id: ColumnElement[int], outcome: ColumnElement[str]) -> ColumnElement[bool]:
    """The one rule of a notice owed: the file's ``outcome`` sends one (rejected, held) and its
    standing notice is not that outcome's, written (a row from before kinds were kept: a rejection's)."""
    written = select(NoticeRow.id).where(NoticeRow.received_file_id == received_file_id, standing_notice(),
                                         func.coalesce(NoticeRow.kind, Outcome.REJECTED.value) == outcome,
                                         NoticeRow.written.is_(True))
    return outcome.in_(NOTICE_OUTCOMES) & ~written.exists()


def owes_notice(engine: Engine, received_file_id: int, outcome: str) -> bool:
    """Whether the file, given ``outcome``, would owe a notice (``_owes``, before the outcome is
    recorded). The review desk previews the notice a decision writes so."""
    with Session(engine) as session:
        return bool(session.scalar(select(_owes(literal(received_file_id), literal(str(outcome))))))


def missing_notices(engine: Engine) -> list[int]:
    """Received files whose outcome sends a notice (rejected, held) but whose notice for that
    outcome is not written yet (``_owes``): the notices a run (or a run that stopped) still owes."""
    query = (select(ReceivedFileRow.id).where(_owes(ReceivedFileRow.id, ReceivedFileRow.outcome))
             .order_by(ReceivedFileRow.id))
    with Session(engine) as session:
        return list(session.scalars(query))
