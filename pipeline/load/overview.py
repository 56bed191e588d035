"""What the coordinator's overview shows, read from the store: agencies and their readiness plan,
training sessions and their seats, what is held and on what, what needs review, submissions per
week and PSPs per certification stage.

Read-only, and light however big the store: counts are aggregated in SQL, the few values needed
from a document's JSON (its agency, its session, a PSP's name) are extracted in SQL, and only
the findings of the documents waiting for a person (held, needs review) are read. Every function
returns plain dicts and lists. This module imports nothing of extraction or validation (the
certification stages are worked out here in SQL; ``tests/load/test_overview.py`` checks them
against ``pipeline.load.certification``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from pipeline.load.queries import seats_taken
from pipeline.load.stages import Stage, stage_expression, with_certification
from pipeline.load.store import (
    Document,
    ReadinessPlanRecord,
    ReceivedFileRow,
    RegistrationRecord,
    TrainingSessionRow,
    utcnow,
)
from pipeline.model import FormId, Outcome, PlanStatus, RegistrationStatus

PLAN_FORM = FormId.READINESS_PLAN
PACKET_FORM = FormId.REGISTRATION_PACKET
WAITS_FOR_PLAN = "REG-R10"
WAITS_FOR_SEAT = "REG-R11"


# How many weeks the submissions chart shows at most (the latest ones).
WEEKS_SHOWN = 26

_HELD = Outcome.HELD.value
_REVIEW = Outcome.NEEDS_REVIEW.value
_DUPLICATE = Outcome.DUPLICATE.value


def _value(key: str) -> Any:
    """One value of a document's ``values`` JSON, as text, extracted by the database."""
    return Document.values[key].as_string()


def _primary_receipts() -> Any:
    """Each document's first receipt (the store id a reviewer uses, ``#N``): later ones are duplicates."""
    return (
        select(ReceivedFileRow.document_id, func.min(ReceivedFileRow.id).label("receipt_id"))
        .where(ReceivedFileRow.outcome != _DUPLICATE)
        .group_by(ReceivedFileRow.document_id)
        .subquery()
    )


# ---------------------------------------------------------------------------------------------
# Agencies


def agencies(engine: Engine, cmhsps: Sequence[str]) -> dict[str, Any]:
    """Every CMHSP of the reference data with the status of its readiness plan, its PSPs
    registered, its registrations held and the forms received that name it.

    Returns ``{"agencies": [...], "unlisted": n}``: agencies with activity first (in the order
    given), then the rest; ``unlisted`` counts forms naming no agency of the list (unreadable or
    unknown names). Each agency's ``plan`` is ``{"status": accepted|needs_review|rejected|held|none,
    "id": #N of the plan, "at": when accepted or received, "later": a later plan not yet accepted, or None}``.
    """
    primary = _primary_receipts()
    with Session(engine) as session:
        forms, held = _forms_per_agency(session)
        registered = dict(
            session.execute(
                select(RegistrationRecord.cmhsp_name, func.count())
                .where(RegistrationRecord.status == RegistrationStatus.REGISTERED)
                .group_by(RegistrationRecord.cmhsp_name)
            ).all()
        )
        accepted = _accepted_plans(session, primary)
        latest = _latest_plans(session, primary)

    active: list[dict[str, Any]] = []
    rest: list[dict[str, Any]] = []
    for name in cmhsps:
        received = forms.get(name, {})
        row = {
            "cmhsp": name,
            "plan": _plan_status(accepted.get(name), latest.get(name)),
            "psps_registered": registered.get(name, 0),
            "registrations_held": held.get(name, 0),
            "plans_received": received.get(PLAN_FORM, 0),
            "packets_received": received.get(PACKET_FORM, 0),
        }
        row["active"] = bool(sum(received.values()) or row["psps_registered"])
        (active if row["active"] else rest).append(row)
    listed = set(cmhsps)
    unlisted = sum(
        count
        for name, by_form in forms.items()
        if name not in listed
        for form_id, count in by_form.items()
        if form_id in (PLAN_FORM, PACKET_FORM)
    )
    return {"agencies": active + rest, "unlisted": unlisted}


def _forms_per_agency(session: Session) -> tuple[dict[str | None, dict[str, int]], dict[str, int]]:
    """The forms received per agency named and form, and per agency its registrations held now
    (not replaced by a corrected form): counted by the database, so no document is read."""
    forms: dict[str | None, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    held: dict[str, int] = defaultdict(int)
    # Grouped over a subquery: PostgreSQL groups by the extracted value only when it is a column.
    named = select(
        _value("cmhsp_name").label("agency"), Document.form_id, Document.outcome, Document.superseded_by_id
    ).subquery()
    for name, form_id, outcome, count, current in session.execute(
        select(
            named.c.agency,
            named.c.form_id,
            named.c.outcome,
            func.count(),
            func.sum(case((named.c.superseded_by_id.is_(None), 1), else_=0)),
        ).group_by(named.c.agency, named.c.form_id, named.c.outcome)
    ):
        forms[name][form_id or ""] += count
        if form_id == PACKET_FORM and outcome == _HELD and current:
            held[name] += int(current)
    return forms, held


def _accepted_plans(session: Session, primary: Any) -> dict[str, dict[str, Any]]:
    """Each agency's accepted readiness plan (the last one when the store has several): its
    document, the ``#N`` a reviewer knows it by, and when it was accepted."""
    return {
        name: {"document_id": document_id, "id": receipt_id, "at": at}
        for name, document_id, receipt_id, at in session.execute(
            select(ReadinessPlanRecord.cmhsp_name, ReadinessPlanRecord.document_id, primary.c.receipt_id,
                   ReadinessPlanRecord.accepted_at)
            .outerjoin(primary, primary.c.document_id == ReadinessPlanRecord.document_id)
            .where(ReadinessPlanRecord.status == PlanStatus.ACCEPTED)
            .order_by(ReadinessPlanRecord.id)
        )
    }


def _latest_plans(session: Session, primary: Any) -> dict[str, dict[str, Any]]:
    """The latest plan of each agency that no corrected form replaced, whatever its outcome: what
    the agency waits on when none is accepted, or a newer one beside the accepted plan."""
    latest: dict[str, dict[str, Any]] = {}
    for name, document_id, outcome, receipt_id, received_at in session.execute(
        select(_value("cmhsp_name"), Document.id, Document.outcome, primary.c.receipt_id, ReceivedFileRow.received_at)
        .join(primary, primary.c.document_id == Document.id)
        .join(ReceivedFileRow, ReceivedFileRow.id == primary.c.receipt_id)
        .where(Document.form_id == PLAN_FORM, Document.superseded_by_id.is_(None))
        .order_by(Document.id)
    ):
        if name is not None:
            latest[name] = {"document_id": document_id, "status": outcome, "id": receipt_id, "at": received_at}
    return latest


def _plan_status(accepted: dict[str, Any] | None, last: dict[str, Any] | None) -> dict[str, Any]:
    """An agency's ``plan`` entry (see ``agencies``): the accepted plan when there is one, with a
    later plan not accepted beside it, else the latest plan's outcome, else none."""
    plan: dict[str, Any] = {"status": "none", "id": None, "at": None, "later": None}
    if accepted is not None:
        plan.update(status=Outcome.ACCEPTED.value, id=accepted["id"], at=accepted["at"])
        if last and last["document_id"] > accepted["document_id"] and last["status"] != Outcome.ACCEPTED.value:
            plan["later"] = {"status": last["status"], "id": last["id"], "at": last["at"]}
    elif last is not None:
        plan.update(status=last["status"], id=last["id"], at=last["at"])
    return plan


# ---------------------------------------------------------------------------------------------
# What waits for a person


def _reason(finding: dict[str, Any]) -> str:
    rule = finding.get("rule")
    return f"{rule}: {finding.get('message', '')}" if rule else str(finding.get("message", ""))


def waiting(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    """Held and needs-review documents (not replaced by a corrected form), oldest received first.

    Each held one says what it waits on: ``{"rule": "REG-R10", "agency": ...}`` (that agency's
    readiness plan) and/or ``{"rule": "REG-R11", "session": ..., "position": p, "of": n}`` (a
    seat in that session: p-th of n on its wait list, first come first served as the releases
    go, by the order the documents were stored).
    """
    first, last = _value("psp_first_name"), _value("psp_last_name")
    query = (
        select(
            ReceivedFileRow.id,
            ReceivedFileRow.original_name,
            ReceivedFileRow.received_at,
            ReceivedFileRow.run_id,
            ReceivedFileRow.outcome,
            Document.id,
            Document.form_id,
            Document.findings,
            _value("cmhsp_name"),
            _value("training_session"),
            first,
            last,
        )
        .join(Document, ReceivedFileRow.document_id == Document.id)
        .where(ReceivedFileRow.outcome.in_([_HELD, _REVIEW]), Document.superseded_by_id.is_(None))
        .order_by(ReceivedFileRow.received_at, ReceivedFileRow.id)
    )
    held: list[dict[str, Any]] = []
    review: list[dict[str, Any]] = []
    with Session(engine) as session:
        for (receipt_id, file, received_at, run_id, outcome, document_id, form_id, findings, agency, session_id,
             first_name, last_name) in session.execute(query):
            findings = findings or []
            item: dict[str, Any] = {
                "id": receipt_id,
                "document_id": document_id,
                "file": file,
                "received_at": received_at,
                "run_id": run_id,
                "form_id": form_id,
                "outcome": outcome,
            }
            if outcome == _REVIEW:
                reasons = [_reason(f) for f in findings]
                item.update(reason=reasons[0] if reasons else "", more=max(len(reasons) - 1, 0))
                review.append(item)
                continue
            rules = {f.get("rule") for f in findings}
            on: list[dict[str, Any]] = []
            if WAITS_FOR_PLAN in rules:
                on.append({"rule": WAITS_FOR_PLAN, "agency": agency})
            if WAITS_FOR_SEAT in rules:
                on.append({"rule": WAITS_FOR_SEAT, "session": session_id})
            other = [_reason(f) for f in findings if f.get("rule") not in (WAITS_FOR_PLAN, WAITS_FOR_SEAT)]
            name = " ".join(n for n in (first_name, last_name) if isinstance(n, str) and n)
            item.update(psp=name or None, agency=agency, session=session_id, on=on, other=other)
            held.append(item)
    _number_wait_lists(held)
    return {"held": held, "needs_review": review}


def _number_wait_lists(held: list[dict[str, Any]]) -> None:
    """Give each wait for a seat its place in its session's wait list (``position`` of ``of``), in
    the order releases take them: the order the documents were stored, not received."""
    lists: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in sorted(held, key=lambda i: i["document_id"]):
        for reason in item["on"]:
            if reason["rule"] == WAITS_FOR_SEAT:
                lists[reason["session"]].append(reason)
    for queue in lists.values():
        for position, reason in enumerate(queue, start=1):
            reason.update(position=position, of=len(queue))


# ---------------------------------------------------------------------------------------------
# Training sessions


def sessions(engine: Engine, wait_lists: dict[str, list[int]] | None = None) -> list[dict[str, Any]]:
    """Each training session, earliest first, with its seats taken and free and its wait list
    (the store ids ``#N`` of the registrations held under REG-R11 for it, first in line first).

    ``wait_lists`` (session id -> ids) spares a second reading of the held documents when the
    caller has them from ``waiting``.
    """
    if wait_lists is None:
        wait_lists = wait_lists_of(waiting(engine)["held"])
    with Session(engine) as session:
        taken = seats_taken(session)
        rows = []
        for item in session.scalars(
            select(TrainingSessionRow).order_by(TrainingSessionRow.start_date, TrainingSessionRow.session_id)
        ):
            used = taken.get(item.session_id, 0)
            rows.append(
                {
                    "session_id": item.session_id,
                    "start_date": item.start_date,
                    "end_date": item.end_date,
                    "days": item.days,
                    "location": item.location,
                    "capacity": item.capacity,
                    "taken": used,
                    "free": max(item.capacity - used, 0),
                    "wait_list": list(wait_lists.get(item.session_id, [])),
                }
            )
        return rows


def wait_lists_of(held: list[dict[str, Any]]) -> dict[str, list[int]]:
    """Session id -> the store ids of the registrations waiting for a seat in it, first in line first."""
    lists: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for item in held:
        for reason in item["on"]:
            if reason["rule"] == WAITS_FOR_SEAT:
                lists[reason["session"]].append((reason["position"], item["id"]))
    return {session_id: [i for _, i in sorted(queue)] for session_id, queue in lists.items()}


# ---------------------------------------------------------------------------------------------
# Charts


def _week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def submissions_per_week(engine: Engine, zone: ZoneInfo, weeks: int = WEEKS_SHOWN) -> list[tuple[date, str, int]]:
    """Files received per week (weeks start on Monday in ``zone``) by their outcome now, over the
    latest ``weeks`` weeks that reach the newest receipt: ``(week_start, outcome, count)`` rows.

    The weeks are binned by the database (a CASE over the weeks' first instants), so the
    receipts themselves are never read.
    """
    with Session(engine) as session:
        newest = session.scalar(select(func.max(ReceivedFileRow.received_at)))
        oldest = session.scalar(select(func.min(ReceivedFileRow.received_at)))
        if newest is None or oldest is None:
            return []
        last = _week_start(newest.astimezone(zone).date())
        first = max(_week_start(oldest.astimezone(zone).date()), last - timedelta(weeks=weeks - 1))
        starts = [first + timedelta(weeks=n) for n in range((last - first).days // 7 + 1)]
        bounds = [_local_midnight(day, zone) for day in [*starts[1:], last + timedelta(weeks=1)]]
        week = case(*[(ReceivedFileRow.received_at < bound, index) for index, bound in enumerate(bounds)], else_=None)
        binned = (
            select(week.label("week"), ReceivedFileRow.outcome)
            .where(ReceivedFileRow.received_at >= _local_midnight(first, zone))
            .subquery()
        )
        rows = session.execute(
            select(binned.c.week, binned.c.outcome, func.count()).group_by(binned.c.week, binned.c.outcome)
        ).all()
    return sorted((starts[index], outcome, count) for index, outcome, count in rows if index is not None)


def psps_per_stage(engine: Engine) -> dict[str, int]:
    """Registered PSPs per certification stage, every stage in its order (0 when none)."""
    with Session(engine) as session:
        staged = with_certification(select(stage_expression().label("stage"))).subquery()
        counts = dict(session.execute(select(staged.c.stage, func.count()).group_by(staged.c.stage)).all())
    return {stage.value: counts.get(stage.value, 0) for stage in Stage}


def outcome_totals(engine: Engine) -> dict[str, int]:
    """Files received in all, by their outcome now (every outcome, 0 when none)."""
    with Session(engine) as session:
        counts = dict(
            session.execute(select(ReceivedFileRow.outcome, func.count()).group_by(ReceivedFileRow.outcome)).all()
        )
    return {o.value: counts.get(o.value, 0) for o in Outcome}


# ---------------------------------------------------------------------------------------------
# All of it


def overview(engine: Engine, cmhsps: Sequence[str], zone: ZoneInfo, now: datetime | None = None) -> dict[str, Any]:
    """Everything the overview page shows, as of ``now``."""
    now = now or utcnow()
    today = now.astimezone(zone).date()
    pending = waiting(engine)
    listed = agencies(engine, cmhsps)
    schedule = sessions(engine, wait_lists_of(pending["held"]))
    for row in schedule:
        row["past"] = row["start_date"] <= today
    return {
        "generated_at": now,
        "today": today,
        "agencies": listed["agencies"],
        "unlisted": listed["unlisted"],
        "sessions": schedule,
        "held": pending["held"],
        "needs_review": pending["needs_review"],
        "weeks": submissions_per_week(engine, zone),
        "stages": psps_per_stage(engine),
        "totals": outcome_totals(engine),
    }
