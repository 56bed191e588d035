"""A document's notice settled when its outcome changes: the one rule, kept where every judgement
is stored (``program._store_judgement``: a run's release, a reviewer's accept, reject, correction,
entry, release or move, a reopening).

A file has at most one standing notice (``outbox.standing_notice``), written for the outcome it
had then (``kind``). When the document's outcome leaves that kind, the notice no longer says what
is true, so it is withdrawn (``withdrawn_at``, ``withdrawn_by``): it is never claimed nor handed
over after that (``outbox.claim``, ``outbox.mark_possibly_sent``), its file is set aside (sent or
not, so the document's next notice never writes over it), and the slot is free for the next
notice the new outcome owes. Then, by what became of it:

- not sent (written, failed, or claimed but not handed over yet): withdrawn, never sent;
- a rejection that went out, or may have (handed to the server), when the new outcome sends no
  notice of its own (accepted, waiting for a person again): a correction notice follows (a row of
  kind correction, written by ``service.after_change``), saying the rejection is withdrawn;
- otherwise (a held notice, or a new outcome that sends its own notice): withdrawn with no
  correction; the agency reads the outcome from the next notice, or, for a hold that clears, as
  the held notice told it ("it moves ahead by itself").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pipeline.load.outbox import NOTICE_OUTCOMES, notice_kind, standing_notice
from pipeline.load.store import NOTICE_CORRECTION, NoticeRow
from pipeline.model import Outcome

# A withdrawn notice's file is set aside under its name with this suffix (never read as an .eml).
WITHDRAWN_SUFFIX = ".withdrawn"


def aside_path(path: Path, notice_id: int) -> Path:
    """Where a withdrawn notice's file is set aside: beside it, never read as a notice (``.eml``)."""
    return path.with_name(f"{path.name}.{notice_id}{WITHDRAWN_SUFFIX}")


@dataclass(frozen=True)
class NoticeSettling:
    """What an outcome change does to the file's standing notice (nothing, when all ids are None)."""

    withdrawn_notice: int | None = None  # not sent: withdrawn, never sent
    replaced_notice: int | None = None  # went out (or may have); no correction: the next notice tells
    corrected_notice: int | None = None  # a rejection that went out (or may have): a correction follows
    corrected_notice_at: datetime | None = None  # when it went (or may have gone) out
    correction_to: str | None = None

    def detail(self) -> dict[str, Any]:
        """What the decision row records of it (the ids there are)."""
        return {key: value for key, value in (("withdrawn_notice", self.withdrawn_notice),
                                              ("replaced_notice", self.replaced_notice),
                                              ("corrected_notice", self.corrected_notice)) if value is not None}


def plan_settling(session: Session, received_file_id: int, outcome: Outcome | str) -> NoticeSettling:
    """What giving the file ``outcome`` does to its standing notice (the row locked, so a sender's
    step and this decision come one after the other); nothing is changed."""
    notice = session.scalar(
        select(NoticeRow).where(NoticeRow.received_file_id == received_file_id, standing_notice()).with_for_update()
    )
    outcome = Outcome(outcome).value
    if notice is None or notice_kind(notice) == outcome:
        return NoticeSettling()
    went_out = notice.sent_at or notice.possibly_sent_at
    if went_out is None:
        return NoticeSettling(withdrawn_notice=notice.id)
    if notice_kind(notice) == Outcome.REJECTED.value and outcome not in NOTICE_OUTCOMES:
        return NoticeSettling(corrected_notice=notice.id, corrected_notice_at=went_out, correction_to=notice.to_address)
    return NoticeSettling(replaced_notice=notice.id)


def settle(session: Session, planned: NoticeSettling, actor: str, now: datetime) -> int | None:
    """Withdraw the notice ``planned`` names (its file set aside by ``service.after_change``) and
    add the correction notice it owes, not written yet; returns the correction notice's id."""
    notice_id = planned.withdrawn_notice or planned.replaced_notice or planned.corrected_notice
    if notice_id is None:
        return None
    notice = session.get_one(NoticeRow, notice_id)
    notice.withdrawn_at, notice.withdrawn_by = now, actor[:200]
    written_at = Path(notice.path)
    notice.path = str(aside_path(written_at, notice.id))
    if planned.corrected_notice is None:
        return None
    earlier = session.scalar(select(func.count()).select_from(NoticeRow).where(
        NoticeRow.received_file_id == notice.received_file_id, NoticeRow.kind == NOTICE_CORRECTION))
    correction = NoticeRow(received_file_id=notice.received_file_id, to_address=notice.to_address,
                           kind=NOTICE_CORRECTION, written=False, created_at=now,
                           path=str(written_at.with_name(f"{written_at.stem}-correction-{(earlier or 0) + 1}.eml")))
    session.add(correction)
    session.flush()
    return correction.id


def settle_notices(session: Session, received_file_id: int, outcome: Outcome | str, actor: str,
                   now: datetime) -> dict[str, Any]:
    """The rule, where a judgement is stored: the file's standing notice settled for ``outcome``
    (``plan_settling``, ``settle``). Returns what the decision row records of it."""
    planned = plan_settling(session, received_file_id, outcome)
    correction = settle(session, planned, actor, now)
    return {**planned.detail(), **({"correction_notice": correction} if correction is not None else {})}
