"""``psp-pipeline forget``: what it does and says (``pipeline.load.forget`` finds and plans,
``pipeline.load.forget_carry_out`` deletes, ``pipeline.load.forget_check`` looks for what is
left). The command itself, with its options and the inbox lock, is in ``cli.main``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from pipeline.load.forget import Plan
    from pipeline.load.forget_carry_out import Done
    from pipeline.load.forget_check import Check
    from pipeline.report.prefect_server import PrefectPlace
    from pipeline.service import Desk


# The overview showed the person too; until it is written again from the store, it still does.
OVERVIEW_NOT_WRITTEN = ("reports/overview.html could not be written again and may still show them (the log says why); "
                        "fix that and run the same forget again")


def forget_psp(desk: Desk, email: str, *, reason: str, actor: str, dry_run: bool) -> bool:
    """``forget``'s work and what it prints; True when something of the person is left."""
    from pipeline.load import forget as forgetting
    from pipeline.load.forget_carry_out import carry_out
    from pipeline.load.forget_check import self_check
    from pipeline.report.prefect_server import prefect_place

    settings, engine, home = desk.settings, desk.engine, desk.settings.data_home.root
    place = prefect_place(settings.data_home.prefect)
    artifacts, prefect_note = _prefect_artifacts(place)

    person = forgetting.find_person(engine, email)
    if person is None:
        return _forgotten_already(desk, email, artifacts, prefect_note, dry_run)

    plan = forgetting.plan(engine, settings, person, artifacts)
    if prefect_note and place.api_url is None and place.database is None:
        plan.problems.append(prefect_note)
    head = f"{plan.documents} document(s) and {plan.registrations} registration(s) of the PSP {email}"
    if dry_run:
        _echo_dry_run(plan, head, home)
        return False

    typer.echo(f"Forgetting {head}:")
    done = carry_out(plan, engine, settings, artifacts, actor=actor, reason=reason)
    _echo_done(desk, plan, done)
    check = self_check(person, engine, home, artifacts=artifacts, prefect_note=prefect_note,
                       store_deleted=done.store_deleted)
    _echo_check(check)
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


def _forgotten_already(desk: Desk, email: str, artifacts: Any | None, prefect_note: str | None, dry_run: bool) -> bool:
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
            typer.echo(f"psp-pipeline: {OVERVIEW_NOT_WRITTEN}", err=True)
        else:
            overview_written(engine, pending)
            typer.echo("Wrote the overview again (a forget had stopped before it).")
    check = self_check(forgetting.Person.by_email_only(email), engine, desk.settings.data_home.root,
                       artifacts=artifacts, prefect_note=prefect_note)
    if overview_stale:
        _echo_check(check)
        return True
    if check.left:
        typer.echo(f"No registration packet in the store names {email}, but the self-check finds it:")
        _echo_check(check)
        return True
    if not pending:
        raise forgetting.no_such_psp(email)
    _echo_check(check)
    return False


def _echo_dry_run(plan: Plan, head: str, home: Path) -> None:
    """What ``forget --dry-run`` would do, a line each, and what it could not."""
    typer.echo(f"Would forget {head}:")
    for line in plan.lines(home, dry_run=True):
        typer.echo(line)
    typer.echo("  would delete their rows from the store, record the deletion, and write the overview again")
    for problem in plan.problems:
        typer.echo(f"  cannot: {problem}")
    typer.echo("Dry run: nothing was changed.")


def _echo_done(desk: Desk, plan: Plan, done: Done) -> None:
    """What was done, a line each; once the store's rows are gone, the overview (which showed them
    too) is written again and that is recorded; then what could not be done, on stderr."""
    from pipeline.load.forget_carry_out import overview_pending, overview_written
    from pipeline.service import after_change

    for line in done.lines:
        typer.echo(line)
    if done.store_deleted:
        pending = overview_pending(desk.engine)
        if after_change(desk).overview is None:  # the overview showed them too: it still does
            done.problems.append(OVERVIEW_NOT_WRITTEN)
        else:
            overview_written(desk.engine, pending)
            typer.echo("  rewrote reports/overview.html from the store")
        typer.echo(
            f"Deleted {plan.documents} document(s), {plan.registrations} registration(s), {done.deleted_files} file(s) "
            f"and rewrote {len(done.rewritten_reports)} run report(s). The deletion is recorded."
        )
    for problem in done.problems:
        typer.echo(f"psp-pipeline: {problem}", err=True)
    if done.store_note:
        typer.echo(done.store_note)


def _echo_check(check: Check, limit: int = 40) -> None:
    where = "the data home, the store and Prefect's database"
    if check.left:
        typer.echo(f"Self-check ({check.searched}, in {where}): {len(check.left)} place(s) still hold them:")
        for found in check.left[:limit]:
            typer.echo(f"  {found.line()}")
        if len(check.left) > limit:
            typer.echo(f"  ... and {len(check.left) - limit} more")
    else:
        typer.echo(f"Self-check ({check.searched}, in {where}): nothing of theirs is left.")
    if check.in_others:
        typer.echo(f"  Named in {len(check.in_others)} place(s) of other people's records, which are kept "
                   "(look at each; they are not theirs to delete):")
        for found in check.in_others[:limit]:
            typer.echo(f"    {found.line()}")
        if len(check.in_others) > limit:
            typer.echo(f"    ... and {len(check.in_others) - limit} more")
    for note in check.notes:
        typer.echo(f"  Note: {note}.")
