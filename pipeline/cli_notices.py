"""``psp-pipeline notices``: the outbox of notices to agencies. Thin over
``pipeline.load.outbox`` (where each notice stands) and ``pipeline.report.sending`` (SMTP).

    psp-pipeline notices list [--all]            what waits to be sent (and, with --all, what was)
    psp-pipeline notices send [--dry-run]        send what is due, each notice exactly once
"""

from __future__ import annotations

import signal
import threading
from collections import Counter
from typing import Annotated, Any

import typer

from pipeline.cli_common import HomeOption, fail, settings_from
from pipeline.errors import PipelineError

app = typer.Typer(
    name="notices",
    help="Notices to agencies (rejected and held documents): list the outbox, send it over SMTP.",
    no_args_is_help=True,
)

STATUS_WORDS = {
    "pending": "to send",
    "failed": "failed",
    "sending": "sending",
    "sent": "sent",
    "no_address": "NO ADDRESS",
    "withdrawn": "withdrawn",
    "not_written": "not written",
}


def _open(home: Any) -> tuple[Any, Any]:
    from pipeline.load.store import open_store

    settings = settings_from(home)
    return settings, open_store(settings.store_url)


@app.command("list")
def list_notices(
    home: HomeOption = None,
    include_sent: Annotated[bool, typer.Option("--all", help="Also list the notices already sent.")] = False,
) -> None:
    """Every notice not sent yet (with --all, every notice), oldest first, with where it stands."""
    from pipeline.load import outbox
    from pipeline.load.store import utcnow

    try:
        settings, engine = _open(home)
    except PipelineError as error:
        fail(error)
    try:
        items = outbox.notices(engine, include_sent=include_sent)
    finally:
        engine.dispose()
    now = utcnow()
    statuses = Counter()
    for item in items:
        status = item.status(now)
        statuses[status.value] += 1
        sent = f" {item.sent_at.astimezone(settings.zone):%Y-%m-%d %H:%M}" if item.sent_at else ""
        typer.echo(
            f"#{item.id:<5} {STATUS_WORDS[status.value] + sent:<22} {item.kind:<9} "
            f"{item.to_address or '-':<38} tries {item.attempts}  {item.file}"
        )
        typer.echo(f"       {item.path}")
        if item.last_error and status.value != "sent":
            typer.echo(f"       last try: {item.last_error}")
    total = sum(statuses.values())
    summary = ", ".join(f"{count} {STATUS_WORDS[status]}" for status, count in sorted(statuses.items()))
    typer.echo(f"{total} notice{'s' if total != 1 else ''}" + (f": {summary}" if summary else "") + ".")


def _interrupt(signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


@app.command()
def send(
    home: HomeOption = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what would be sent; send nothing, change nothing.")] = False,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Send at most this many.")] = None,
) -> None:
    """Send every notice that is due over SMTP (PSP_SMTP_HOST, _PORT, _STARTTLS, _USER, _PASSWORD).

    Each notice is sent once: safe to run twice at once or to interrupt. A notice that fails
    stays in the outbox for the next run; exits 6 when any failed.
    """
    from pipeline.report.sending import SmtpServer, send_notices

    try:
        settings, engine = _open(home)
        server = None if dry_run else SmtpServer.from_settings(settings)
    except PipelineError as error:
        fail(error)
    # SIGTERM (a scheduler stopping the job) is handled like Ctrl-C: what is being sent is settled.
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _interrupt) if main_thread else None
    try:
        delivery = send_notices(engine, server, dry_run=dry_run, limit=limit)
    except PipelineError as error:
        engine.dispose()
        fail(error)
    except KeyboardInterrupt:
        engine.dispose()
        typer.echo("psp-pipeline: interrupted; what was not sent stays in the outbox for the next run.", err=True)
        raise typer.Exit(130) from None
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, previous)
    engine.dispose()

    for item in delivery.would_send:
        typer.echo(f"would send #{item.id} ({item.kind}) to {item.to_address}: {item.path}")
    for item in delivery.sent:
        typer.echo(f"sent #{item.id} ({item.kind}) to {item.to_address}")
    for item, error in delivery.failed:
        typer.echo(f"FAILED #{item.id} to {item.to_address}: {error}", err=True)
    for item, reason in delivery.skipped:
        if reason.startswith("no address"):
            typer.echo(f"not sent #{item.id} ({item.file}): {reason} ({item.path})", err=True)
    if dry_run:
        typer.echo(f"Dry run: {len(delivery.would_send)} would be sent; nothing was sent.")
        return
    without_address = sum(1 for _, reason in delivery.skipped if reason.startswith("no address"))
    typer.echo(
        f"Sent {len(delivery.sent)}; failed {len(delivery.failed)} (kept for the next try); "
        f"{without_address} without an address (send by hand)."
    )
    if delivery.failed:
        raise typer.Exit(6)
