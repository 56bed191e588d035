"""Forgetting a PSP on request, as the CLI (``psp-pipeline forget``) and the desk (its "Forget a
PSP" page) both do it: ``pipeline.load.forget`` finds and plans, ``pipeline.load.forget_carry_out``
deletes, ``pipeline.load.forget_check`` looks for what is left; this puts them in order (Prefect's
artifacts found, the overview written again once the store's rows are gone, a forget that stopped
finished) and says each line of it through the caller's ``say``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from pipeline.load.forget import Plan
    from pipeline.load.forget_carry_out import Done
    from pipeline.load.forget_check import Check
    from pipeline.report.prefect_server import PrefectPlace
    from pipeline.service import Desk
    from pipeline.settings import Settings


class Say(Protocol):
    """Where a line of what forgetting did goes; ``problem`` for what could not be done."""

    def __call__(self, line: str, problem: bool = False, /) -> None: ...


@contextmanager
def forget_lock(settings: Settings, *, dry_run: bool) -> Iterator[None]:
    """The run lock, held while a forget changes things: a run going on would write a report (and
    latest.html) while they are being written again. InboxBusyError when a run holds it; none for
    a dry run, nor when runs claim their files rather than lock the inbox."""
    from pipeline.lock import RunLock

    lock = None if dry_run or settings.claim_files else RunLock(settings.data_home.root)
    if lock is not None:
        lock.acquire()
    try:
        yield
    finally:
        if lock is not None:
            lock.release()


# The overview showed the person too; until it is written again from the store, it still does.
OVERVIEW_NOT_WRITTEN = ("reports/overview.html could not be written again and may still show them (the log says why); "
                        "fix that and run the same forget again")


def forget_psp(desk: Desk, email: str, *, reason: str, actor: str, dry_run: bool, say: Say) -> bool:
    """``forget``'s work, each line of what it did said through ``say``; True when something of
    the person is left. The caller holds ``forget_lock`` around it."""
    from pipeline.errors import BadInputError
    from pipeline.load import forget as forgetting
    from pipeline.load.forget_carry_out import carry_out
    from pipeline.load.forget_check import self_check
    from pipeline.report.prefect_server import prefect_place

    if not dry_run and not reason.strip():
        raise BadInputError("a forget needs its reason, which is recorded.",
                            hint="Give the request's reference or why they are forgotten.")
    settings, engine, home = desk.settings, desk.engine, desk.settings.data_home.root
    place = prefect_place(settings.data_home.prefect)
    artifacts, prefect_note = _prefect_artifacts(place)

    person = forgetting.find_person(engine, email)
    if person is None:
        return _forgotten_already(desk, email, artifacts, prefect_note, dry_run, say)

    plan = forgetting.plan(engine, settings, person, artifacts)
    if prefect_note and place.api_url is None and place.database is None:
        plan.problems.append(prefect_note)
    head = f"{plan.documents} document(s) and {plan.registrations} registration(s) of the PSP {email}"
    if dry_run:
        _say_dry_run(plan, head, home, say)
        return False

    say(f"Forgetting {head}:")
    done = carry_out(plan, engine, settings, artifacts, actor=actor, reason=reason)
    _say_done(desk, plan, done, say)
    check = self_check(person, engine, home, artifacts=artifacts, prefect_note=prefect_note,
                       store_deleted=done.store_deleted)
    _say_check(check, say)
    return bool(done.problems or check.left)


def _prefect_artifacts(place: PrefectPlace) -> tuple[Any | None, str | None]:
    """Prefect's artifacts to rewrite and search, through its server or its SQLite file, or None
    and a note saying why there are none (no database there) or cannot be reached."""
    from pipeline.report.prefect_artifacts import SqliteArtifacts
    from pipeline.report.prefect_server import ServerArtifacts

    if place.api_url:
        return ServerArtifacts(place.api_url, place.database), None
    if place.database is not None and place.database.is_file():
        return SqliteArtifacts(place.database), None
    if place.database is not None:
        return None, f"Prefect's database: there is none at {place.database}, so nothing of theirs there"
    return None, place.note


def _forgotten_already(
    desk: Desk, email: str, artifacts: Any | None, prefect_note: str | None, dry_run: bool, say: Say,
) -> bool:
    """No packet in the store names the email: finish a forget that stopped after the store (it
    still owes the overview), then look for what is left; nothing to forget at all is an error."""
    from pipeline.load import forget as forgetting
    from pipeline.load.forget_carry_out import overview_pending, overview_written
    from pipeline.load.forget_check import self_check
    from pipeline.service import after_change

    engine = desk.engine
    pending = overview_pending(engine)
    overview_stale = False
    if pending and not dry_run:
        overview_stale = after_change(desk).overview is None
        if overview_stale:
            say(f"psp-pipeline: {OVERVIEW_NOT_WRITTEN}", True)
        else:
            overview_written(engine, pending)
            say("Wrote the overview again (a forget had stopped before it).")
    check = self_check(forgetting.Person.by_email_only(email), engine, desk.settings.data_home.root,
                       artifacts=artifacts, prefect_note=prefect_note)
    if overview_stale:
        _say_check(check, say)
        return True
    if check.left:
        say(f"No registration packet in the store names {email}, but the self-check finds it:")
        _say_check(check, say)
        return True
    if not pending:
        raise forgetting.no_such_psp(email)
    _say_check(check, say)
    return False


def _say_dry_run(plan: Plan, head: str, home: Path, say: Say) -> None:
    """What ``forget --dry-run`` would do, a line each, and what it could not."""
    say(f"Would forget {head}:")
    for line in plan.lines(home, dry_run=True):
        say(line)
    say("  would delete their rows from the store, record the deletion, and write the overview again")
    for problem in plan.problems:
        say(f"  cannot: {problem}")
    say("Dry run: nothing was changed.")


def _say_done(desk: Desk, plan: Plan, done: Done, say: Say) -> None:
    """What was done, a line each; once the store's rows are gone, the overview (which showed them
    too) is written again and that is recorded; then what could not be done, on stderr."""
    from pipeline.load.forget_carry_out import overview_pending, overview_written
    from pipeline.service import after_change

    for line in done.lines:
        say(line)
    if done.store_deleted:
        pending = overview_pending(desk.engine)
        if after_change(desk).overview is None:  # the overview showed them too: it still does
            done.problems.append(OVERVIEW_NOT_WRITTEN)
        else:
            overview_written(desk.engine, pending)
            say("  rewrote reports/overview.html from the store")
        say(
            f"Deleted {plan.documents} document(s), {plan.registrations} registration(s), {done.deleted_files} file(s) "
            f"and rewrote {len(done.rewritten_reports)} run report(s). The deletion is recorded."
        )
    for problem in done.problems:
        say(f"psp-pipeline: {problem}", True)
    if done.store_note:
        say(done.store_note)


def _say_check(check: Check, say: Say, limit: int = 40) -> None:
    where = "the data home, the store and Prefect's database"
    if check.left:
        say(f"Self-check ({check.searched}, in {where}): {len(check.left)} place(s) still hold them:")
        for found in check.left[:limit]:
            say(f"  {found.line()}")
        if len(check.left) > limit:
            say(f"  ... and {len(check.left) - limit} more")
    else:
        say(f"Self-check ({check.searched}, in {where}): nothing of theirs is left.")
    if check.in_others:
        say(f"  Named in {len(check.in_others)} place(s) of other people's records, which are kept "
                   "(look at each; they are not theirs to delete):")
        for found in check.in_others[:limit]:
            say(f"    {found.line()}")
        if len(check.in_others) > limit:
            say(f"    ... and {len(check.in_others) - limit} more")
    for note in check.notes:
        say(f"  Note: {note}.")
