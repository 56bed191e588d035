"""``psp-pipeline``: the command line. Thin: each command builds the settings and calls the library.

Errors the pipeline raises on purpose, and a full disk, a permission, the store or Prefect's server
out of reach, print as one line saying what is wrong and what to do, and exit with their own status
(``pipeline.errors.ExitCode``): one handler for every command (``cli_common.HandledGroup``).
Anything else is a defect and shows its traceback.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from cli.common import (
    HandledGroup,
    HomeOption,
    require_data_home,
    settings_from,
)
from cli.desk import desk as desk_command
from cli.desk import users_app
from cli.mail import app as mail_app
from cli.notices import app as notices_app
from cli.output import Column, print_table
from cli.overview import overview as overview_command
from cli.program import print_waiting, psp_app, review_app, sessions_app
from cli.undo import review_reopen
from pipeline.errors import BadInputError
from pipeline.settings import Settings

app = typer.Typer(
    cls=HandledGroup,
    name="psp-pipeline",
    help="Read, validate, store and route the PSP program's forms.",
    epilog="Exit status: 0 done; 2 a wrong argument; 4 configuration or data home (missing, never "
    "initialised, not writable); 5 the tracking store; 6 notices not delivered; 7 a mail server out of reach "
    "or refusing; 69 Prefect's server "
    "out of reach; 74 the disk is full; 75 another run holds the inbox; 1 a defect (with its traceback).",
    no_args_is_help=True,
    add_completion=True,  # Typer's --install-completion and --show-completion (bash, zsh, fish, PowerShell)
    pretty_exceptions_enable=False,
)
review_app.command("reopen")(review_reopen)
app.add_typer(review_app, name="review")
app.add_typer(sessions_app, name="sessions")
app.add_typer(psp_app, name="psp")
app.add_typer(notices_app, name="notices")
app.add_typer(mail_app, name="mail")
app.command("overview")(overview_command)
app.command("desk")(desk_command)
app.add_typer(users_app, name="users")



# The program's own loggers: what a run did, in its own words (never a field value).
PROGRAM_LOGGERS = ("pipeline", "flows", "cli")
# Libraries that log a line for every request or step (Prefect's engine and client, its HTTP calls,
# the servers, migrations): noise to a coordinator, wanted only when debugging (-vv).
LIBRARY_LOGGERS = ("prefect", "httpx", "httpcore", "uvicorn", "fastapi", "alembic")


def logging_levels(verbosity: int) -> dict[str, int]:
    """The level of each logger for ``verbosity`` (how many -v): none, warnings only; -v, the
    program's steps (INFO) with the libraries still at warnings; -vv, the program's DEBUG and the
    libraries' INFO (Prefect's task runs, every HTTP request)."""
    program = logging.WARNING if verbosity == 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    libraries = logging.WARNING if verbosity < 2 else logging.INFO
    # pypdf warns of every repair it makes to a broken PDF, at any verbosity: the document's outcome says what matters.
    return {**dict.fromkeys(PROGRAM_LOGGERS, program), **dict.fromkeys(LIBRARY_LOGGERS, libraries),
            "pypdf": logging.ERROR}


def _configure_logging(verbosity: int) -> None:
    logging.basicConfig(
        level=logging.WARNING,  # anything not named in logging_levels: its warnings
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for name, level in logging_levels(verbosity).items():
        logging.getLogger(name).setLevel(level)
    if verbosity >= 2:
        # Prefect sets its loggers' levels itself when a flow starts, from this (its default here is
        # WARNING: ``pipeline.prefect_env``); a level the user set is kept.
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "INFO")


def _print_version(asked: bool) -> None:
    if asked:
        from importlib.metadata import PackageNotFoundError, version

        try:
            typer.echo(f"psp-pipeline {version('psp-pipeline')}")
        except PackageNotFoundError:
            typer.echo("psp-pipeline (version unknown: run from a source tree that is not installed; "
                       "install it with `pip install -e .`)")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True, show_default=False, help="Log the program's steps (-v); "
                                         "also Prefect's and its HTTP requests, and the program's debugging lines (-vv).")] = 0,
    version: Annotated[bool, typer.Option("--version", callback=_print_version, is_eager=True,
                                          help="Print the program's name and version, and exit.")] = False,
) -> None:
    """Before any command: logging, and a umask that keeps everything written private (its data
    is personal)."""
    _configure_logging(verbose)
    ctx.obj = {"verbosity": verbose}
    # Everything the pipeline writes (store, originals, notices, reports) holds personal data.
    os.umask(0o077)


@app.command()
def init(home: HomeOption = None) -> None:
    """Create the data home (inbox, originals, notices, reports) and the tracking store."""
    from pipeline.service import open_desk

    settings = settings_from(home)
    open_desk(settings).close()
    typer.echo(f"Data home ready at {settings.data_home.root}")
    typer.echo(f"Drop forms into {settings.data_home.inbox} and run: psp-pipeline run --home {settings.data_home.root}")


@app.command()
def run(
    ctx: typer.Context,
    home: HomeOption = None,
    without_prefect: Annotated[
        bool, typer.Option("--without-prefect", help="Run the same steps without starting a Prefect flow run.")
    ] = False,
) -> None:
    """Process everything in the inbox once, as a Prefect flow run, and print a summary.

    When a Prefect server runs for the data home (`psp-pipeline server`, or PREFECT_API_URL), the
    run is recorded there as a flow run without starting Prefect's engine (fast); otherwise a
    temporary server is started for it (some seconds).

    On a terminal, a progress bar counts the files read (not with -v, whose lines it would break;
    never in cron or CI). Exits 0 when the run completed, whatever the documents' outcomes. The
    data home must exist (`psp-pipeline init`): a run never makes one.
    """
    from cli.one_run import one_run
    from cli.progress import run_progress

    settings = settings_from(home)
    require_data_home(settings)
    with run_progress(shown=not (ctx.obj or {}).get("verbosity")):
        run_id, report, released = one_run(settings, without_prefect=without_prefect)
    _print_summary(settings, run_id, report, released)


def _outcome_table(counts: dict[str, int]) -> tuple[list[Column], list[list[int]]]:
    """Counts by outcome as one row under the outcomes' names (every outcome, 0 included)."""
    from pipeline.model import Outcome

    return [Column(o.replace("_", " "), numeric=True) for o in Outcome], [[counts.get(o, 0) for o in Outcome]]


def _print_summary(settings: Settings, run_id: int, report: Path, released: list[dict]) -> None:
    from pipeline.load.store import open_store

    engine = open_store(settings.store_url)
    try:
        from pipeline.load.queries import outcome_counts, waiting_for_a_person

        counts = outcome_counts(engine, run_id)
        waiting = waiting_for_a_person(engine)
    finally:
        engine.dispose()
    total = sum(counts.values())
    typer.echo(f"Run {run_id}: {total} file{'s' if total != 1 else ''} processed.")
    print_table(*_outcome_table(counts))
    for item in released:
        typer.echo(f"Released from hold: #{item['id']} {item['file']} (now {item['outcome'].replace('_', ' ')})")
    typer.echo(f"Waiting for a person: {len(waiting)}" + (", the oldest:" if waiting else ""))
    if waiting:
        shown = 10  # the summary stays one screen: `psp-pipeline review list` lists them all
        print_table([Column("#", wrap=False), Column("file"), Column("outcome", wrap=False)],
                    [[f"#{item['id']}", item["file"], item["outcome"].replace("_", " ")] for item in waiting[:shown]])
        if len(waiting) > shown:
            typer.echo(f"... and {len(waiting) - shown} more (psp-pipeline review list)")
    typer.echo(f"Report: {report}")


# The keys of `status --json`, documented in its help; a change to them is a change of its contract.
STATUS_JSON_HELP = (
    "Print one JSON object instead: received (all documents), by_outcome (each outcome: accepted, "
    "rejected, held, needs_review, duplicate, with 0), waiting_for_a_person (how many), and waiting "
    "(oldest first, each with id, received_at in the office's time, ISO 8601 with its offset, file, "
    "form_id, outcome, reason, more_reasons)."
)


@app.command()
def status(
    home: HomeOption = None,
    as_json: Annotated[bool, typer.Option("--json", help=STATUS_JSON_HELP)] = False,
) -> None:
    """Counts by outcome over everything received, and what waits for a person (received when, in
    the office's time zone, PSP_TIMEZONE)."""
    from pipeline.clock import iso_time
    from pipeline.load.ownership import open_own_store
    from pipeline.load.queries import outcome_counts, waiting_for_a_person
    from pipeline.model import Outcome

    settings = settings_from(home)
    engine = open_own_store(settings)
    try:
        # One reading of the store for both forms: the JSON says what the text says.
        counts = outcome_counts(engine)
        waiting = waiting_for_a_person(engine)
    finally:
        engine.dispose()
    if as_json:
        typer.echo(json.dumps({
            "received": sum(counts.values()),
            "by_outcome": {outcome.value: counts.get(outcome, 0) for outcome in Outcome},
            "waiting_for_a_person": len(waiting),
            "waiting": [{"id": item["id"], "received_at": iso_time(item["received_at"], settings.zone),
                         "file": item["file"], "form_id": item["form_id"], "outcome": str(item["outcome"]),
                         "reason": item["reason"], "more_reasons": item["more"]} for item in waiting],
        }, indent=2, ensure_ascii=False))
        return
    typer.echo(f"Received in all: {sum(counts.values())}")
    print_table(*_outcome_table(counts))
    typer.echo(f"Waiting for a person ({len(waiting)}), oldest first:")
    print_waiting(waiting, settings.zone, to_the_minute=True)


@app.command()
def server(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 4200,
    home: HomeOption = None,
) -> None:
    """Start a Prefect server keeping its state in the data home (needed for scheduled runs)."""
    from flows.nightly import server_command
    from pipeline.prefect_record import note_server
    from pipeline.service import prepare_home

    settings = settings_from(home)
    prepare_home(settings)
    command, environment = server_command(settings, host, port)
    # The server keeps this process's id (exec): runs by hand find it through this note.
    note_server(Path(environment["PREFECT_HOME"]), host, port)
    typer.echo(f"Prefect server on http://{host}:{port} (state in {environment['PREFECT_HOME']}).")
    typer.echo(f"Point runs at it with: export PREFECT_API_URL=http://{host}:{port}/api")
    os.execvpe(command[0], command, environment)


@app.command()
def serve(
    cron: Annotated[str, typer.Option(help="When to run, as a cron expression.")] = "0 2 * * *",
    timezone: Annotated[str, typer.Option(help="Time zone of the cron expression.")] = "America/Detroit",
    home: HomeOption = None,
) -> None:
    """Serve the inbox flow as a Prefect deployment on a schedule (needs PREFECT_API_URL and a data
    home made by `psp-pipeline init`)."""
    from pipeline.prefect_env import apply_prefect_defaults
    from pipeline.service import prepare_home

    settings = settings_from(home)
    require_data_home(settings)
    prepare_home(settings)
    apply_prefect_defaults(settings.data_home.prefect)
    from flows.from_cli import require_prefect_api
    from flows.nightly import require_server, serve_nightly

    require_server()
    require_prefect_api()
    typer.echo(f"Serving the inbox of {settings.data_home.root} at '{cron}' ({timezone}); Ctrl-C stops.")
    serve_nightly(settings, cron, timezone)


@app.command()
def forget(
    email: Annotated[str, typer.Option("--psp-email", help="The PSP's email as on the registration packet.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (e.g. the request's reference); recorded.")],
    by: Annotated[str | None, typer.Option("--by", help="Who (default: the logged-in user).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List what would be deleted and rewritten; change nothing.")] = False,
    home: HomeOption = None,
) -> None:
    """Delete a PSP's records on request: packets, their originals, the emails that carried them, notices,
    registration; run reports and Prefect artifacts written again without them. Ends with a self-check.

    Run again after an interruption or a failure, it finishes the job. Exits 0 when nothing of theirs
    is left, 4 when something could not be deleted or is still found (each said in one line).
    """
    import getpass

    from cli.forget import forget_psp
    from pipeline.forget_psp import forget_lock
    from pipeline.service import open_desk, prepare_home

    settings = settings_from(home)
    prepare_home(settings)
    with forget_lock(settings, dry_run=dry_run):
        desk = open_desk(settings)
        try:
            incomplete = forget_psp(desk, email, reason=reason, actor=by or getpass.getuser(), dry_run=dry_run)
        finally:
            desk.close()
    if incomplete:
        raise typer.Exit(4)


class ExportFormat(StrEnum):
    JSON = "json"
    CSV = "csv"
    XLSX = "xlsx"


@app.command()
def export(
    home: HomeOption = None,
    format: Annotated[ExportFormat, typer.Option("--format", "-f", help="json, csv or xlsx.")] = ExportFormat.JSON,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write, its folder made if need be "
                                                "(default: standard output; xlsx: psp-export.xlsx).")] = None,
    labels: Annotated[bool, typer.Option("--labels", help="Head the documents' columns with the forms' printed "
                                         "labels instead of their keys (csv, xlsx).")] = False,
) -> None:
    """Every received document (json, csv), or the coordinator's workbook (xlsx: agencies, PSPs,
    sessions, waiting, and the documents). Times are the office's (PSP_TIMEZONE); the csv opens in
    Excel as written (UTF-8 with a byte order mark)."""
    from pipeline.clock import today
    from pipeline.load import export as exports

    settings = settings_from(home)
    target = output or (Path("psp-export.xlsx") if format is ExportFormat.XLSX else None)
    made = _folder_for(target) if target is not None else None  # before anything is read
    if format is ExportFormat.XLSX:
        from pipeline.service import open_desk

        desk = open_desk(settings)
        try:
            counts = exports.write_workbook(desk.engine, desk.validation.reference, target, today(settings.zone),
                                            settings.zone, labels=labels)
        finally:
            desk.close()
        wrote = ", ".join(f"{n} ({c} rows)" for n, c in counts.items())
    else:
        written = _export_documents(settings, output, format.value, labels)
        wrote = f"{written} documents"
    if target is not None:
        typer.echo(f"Wrote {target}{f' (made the folder {made})' if made else ''}: {wrote}", err=True)


def _folder_for(target: Path) -> Path | None:
    """Make the folder an export goes to when there is none (and say which, as the first of them
    made), or one line saying why it cannot be made; None when it was there."""
    folder = target.parent
    if folder.is_dir():
        return None
    first = next((p for p in reversed([folder, *folder.parents]) if not p.exists()), folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BadInputError(f"cannot write {target}: the folder {folder} cannot be made ({exc.strerror}).",
                            hint="Give --output a file in a folder you can write.") from exc
    return first


def _export_documents(settings: Settings, output: Path | None, fmt: str, labels: bool) -> int:
    """Every document as JSON or CSV, to ``output`` or standard output; how many."""
    from pipeline.load import export as exports
    from pipeline.load.ownership import open_own_store

    engine = open_own_store(settings)
    try:
        handle = output.open("w", encoding="utf-8", newline="") if output else sys.stdout
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError) as exc:
        engine.dispose()
        raise BadInputError(f"cannot write {output} ({exc.strerror}).",
                            hint="Give --output a file in a folder that exists.") from exc
    try:
        return exports.write_documents(engine, handle, fmt, settings.zone, labels=labels)
    finally:
        engine.dispose()
        if output:
            handle.close()
