"""``psp-pipeline``: the command line. Thin: each command builds the settings and calls the library.

Errors the pipeline raises on purpose print as one line saying what is wrong and what to do,
and exit with the error's own status; anything else is a defect and shows its traceback.
"""

from __future__ import annotations

import csv
import json
import logging
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from pipeline.errors import ConfigurationError, PipelineError
from pipeline.settings import Settings

app = typer.Typer(
    name="psp-pipeline",
    help="Read, validate, store and route the PSP program's forms.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

HomeOption = Annotated[
    Path | None,
    typer.Option("--home", help="The data home (default: $PSP_HOME, else ./psp-data).", show_default=False),
]


def _settings(home: Path | None) -> Settings:
    try:
        return Settings(home=home) if home is not None else Settings()
    except ValidationError as exc:
        problems = "; ".join(f"PSP_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors())
        raise ConfigurationError(f"a setting is wrong: {problems}.", hint="Correct it in the environment.") from exc


def _fail(error: PipelineError) -> None:
    typer.echo(f"psp-pipeline: {error}", err=True)
    raise typer.Exit(error.exit_code)


def _configure_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


@app.callback()
def main(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log each step.")] = False) -> None:
    _configure_logging(verbose)
    if verbose:
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "INFO")


@app.command()
def init(home: HomeOption = None) -> None:
    """Create the data home (inbox, originals, notices, reports) and the tracking store."""
    from pipeline.load.store import open_store
    from pipeline.run import prepare_home

    try:
        settings = _settings(home)
        prepare_home(settings)
        open_store(settings.store_url).dispose()
    except PipelineError as error:
        _fail(error)
    typer.echo(f"Data home ready at {settings.data_home.root}")
    typer.echo(f"Drop forms into {settings.data_home.inbox} and run: psp-pipeline run --home {settings.data_home.root}")


@app.command()
def run(
    home: HomeOption = None,
    without_prefect: Annotated[
        bool, typer.Option("--without-prefect", help="Run the same steps without starting a Prefect flow run.")
    ] = False,
) -> None:
    """Process everything in the inbox once, as a Prefect flow run, and print a summary.

    Exits 0 when the run completed, whatever the documents' outcomes.
    """
    try:
        settings = _settings(home)
        if without_prefect:
            from pipeline.run import process

            summary = process(settings)
            run_id, report = summary.run_id, summary.report_html
        else:
            run_id, report = _run_flow(settings)
        _print_summary(settings, run_id, report)
    except PipelineError as error:
        _fail(error)


def _run_flow(settings: Settings) -> tuple[int, Path]:
    from pipeline.prefect_env import apply_prefect_defaults
    from pipeline.run import prepare_home

    prepare_home(settings)
    apply_prefect_defaults(settings.data_home.prefect)
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    from flows.process_inbox import process_inbox

    # A heartbeat only matters for long runs watched by a server; it costs ~1 s at the end of each run.
    with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        result = process_inbox(home=str(settings.data_home.root))
    return result["run_id"], Path(result["report"])


def _print_summary(settings: Settings, run_id: int, report: Path) -> None:
    from pipeline.load.store import open_store

    engine = open_store(settings.store_url)
    try:
        from pipeline.load.store import outcome_counts, waiting_for_a_person

        counts = outcome_counts(engine, run_id)
        total = sum(counts.values())
        typer.echo(f"Run {run_id}: {total} file{'s' if total != 1 else ''} processed.")
        for outcome in ("accepted", "rejected", "held", "needs_review", "duplicate"):
            typer.echo(f"  {outcome.replace('_', ' '):<13} {counts.get(outcome, 0)}")
        waiting = waiting_for_a_person(engine)
        typer.echo(f"Waiting for a person: {len(waiting)}")
        for item in waiting[:10]:
            typer.echo(f"  #{item['id']} {item['file']} ({item['outcome'].replace('_', ' ')})")
        if len(waiting) > 10:
            typer.echo(f"  ... and {len(waiting) - 10} more")
        typer.echo(f"Report: {report}")
    finally:
        engine.dispose()


@app.command()
def status(home: HomeOption = None) -> None:
    """Counts by outcome over everything received, and what waits for a person."""
    from pipeline.load.store import open_store, outcome_counts, waiting_for_a_person

    try:
        settings = _settings(home)
        engine = open_store(settings.store_url)
    except PipelineError as error:
        _fail(error)
    counts = outcome_counts(engine)
    typer.echo(f"Received in all: {sum(counts.values())}")
    for outcome in ("accepted", "rejected", "held", "needs_review", "duplicate"):
        typer.echo(f"  {outcome.replace('_', ' '):<13} {counts.get(outcome, 0)}")
    waiting = waiting_for_a_person(engine)
    typer.echo(f"Waiting for a person ({len(waiting)}), oldest first:")
    for item in waiting:
        more = f" (+{item['more']} more)" if item["more"] else ""
        typer.echo(
            f"  #{item['id']} {item['received_at']:%Y-%m-%d} {item['file']} "
            f"[{item['outcome'].replace('_', ' ')}] {item['reason']}{more}"
        )
    engine.dispose()


class ExportFormat(StrEnum):
    JSON = "json"
    CSV = "csv"


def _flatten(row: dict[str, Any]) -> dict[str, Any]:
    flat = {k: v for k, v in row.items() if k not in ("findings", "fields")}
    flat["rules"] = ";".join(sorted({f["rule"] for f in row["findings"] if f["rule"]}))
    flat["findings"] = " | ".join(
        f"{f['rule'] or '-'} {f['field'] or ''}: {f['message']}".replace("  ", " ") for f in row["findings"]
    )
    for key, value in row["fields"].items():
        flat[f"fields.{key}"] = ";".join(map(str, value)) if isinstance(value, list) else value
    return flat


@app.command()
def export(
    home: HomeOption = None,
    format: Annotated[ExportFormat, typer.Option("--format", "-f", help="json or csv.")] = ExportFormat.JSON,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write (default: standard output).")] = None,
) -> None:
    """Every received document with its outcome, findings and normalised fields."""
    from pipeline.load.store import export_rows, open_store

    try:
        settings = _settings(home)
        engine = open_store(settings.store_url)
    except PipelineError as error:
        _fail(error)
    rows = list(export_rows(engine))
    engine.dispose()
    handle = output.open("w", encoding="utf-8", newline="") if output else sys.stdout
    try:
        if format is ExportFormat.JSON:
            json.dump(rows, handle, indent=1, ensure_ascii=False)
            handle.write("\n")
        else:
            import pandas as pd

            frame = pd.DataFrame([_flatten(r) for r in rows])
            frame.to_csv(handle, index=False, quoting=csv.QUOTE_MINIMAL)
    finally:
        if output:
            handle.close()
    if output:
        typer.echo(f"Wrote {len(rows)} documents to {output}", err=True)


if __name__ == "__main__":
    app()
