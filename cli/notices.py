"""``psp-pipeline notices``: the outbox of notices to agencies. Thin over
``pipeline.load.outbox`` (where each notice stands) and ``pipeline.report.sending`` (SMTP).

    psp-pipeline notices list [--all]            what waits to be sent (and, with --all, what was)
    psp-pipeline notices send [--dry-run]        send what is due, each notice exactly once
    psp-pipeline notices resend ID --by NAME     send a possibly sent notice again, on a person's say
"""

from __future__ import annotations

import getpass
import signal
import threading
from collections import Counter
from typing import Annotated, Any

import typer

from cli.common import HomeOption, settings_from
from cli.output import Column, print_table

app = typer.Typer(
    name="notices",
    help="Notices to agencies (rejected and held documents): list the outbox, send it over SMTP, "
    "resend one that was possibly sent.",
    no_args_is_help=True,
)

# How `notices list` says a notice's status (``outbox.NoticeStatus``) where its value, spaced, would
# not do: a notice that needs a person is shouted.
STATUS_WORDS = {"pending": "to send", "possibly_sent": "POSSIBLY SENT", "no_address": "NO ADDRESS"}


def _status_words(status: str) -> str:
    """A notice's status as `notices list` says it."""
    return STATUS_WORDS.get(status, status.replace("_", " "))


def _open(home: Any) -> tuple[Any, Any]:
    """The settings and the store, which must be this data home's (``pipeline.load.ownership``)."""
    from pipeline.load.ownership import open_own_store

    settings = settings_from(home)
    return settings, open_own_store(settings)


@app.command("list")
def list_notices(
    home: HomeOption = None,
    include_sent: Annotated[bool, typer.Option("--all", help="Also list the notices already sent.")] = False,
) -> None:
    """Every notice not sent yet (with --all, every notice), oldest first, with where it stands."""
    from pipeline.load import outbox
    from pipeline.load.store import utcnow

    settings, engine = _open(home)  # a failure is one line (the group's ``cli_exception_handler``)
    try:
        items = outbox.notices(engine, include_sent=include_sent)
    finally:
        engine.dispose()
    now = utcnow()
    statuses = Counter()
    rows, notes = [], []
    for item in items:
        status = item.status(now)
        statuses[status.value] += 1
        sent = f" {item.sent_at.astimezone(settings.zone):%Y-%m-%d %H:%M %Z}" if item.sent_at else ""
        sent += f" by {item.sent_by}" if item.sent_at and item.sent_by else ""
        rows.append([f"#{item.id}", _status_words(status) + sent, item.kind, item.to_address or "-", item.attempts, item.file])
        notes.append(f"#{item.id} {item.path}")
        notes.extend(f"   {line}" for line in _what_to_know(item, status, settings.zone))
    if rows:
        print_table([Column("#", wrap=False), Column("status", wrap=False), Column("kind", wrap=False), Column("to"),
                     Column("tries", numeric=True), Column("file")], rows)
        typer.echo("Each notice's file, and what to know of it:")
        for note in notes:
            typer.echo(f"  {note}")
    total = sum(statuses.values())
    summary = ", ".join(f"{count} {_status_words(status)}" for status, count in sorted(statuses.items()))
    typer.echo(f"{total} notice{'s' if total != 1 else ''}" + (f": {summary}" if summary else "") + ".")


def _what_to_know(item: Any, status: Any, zone: Any) -> list[str]:  # outbox.Notice, NoticeStatus, ZoneInfo
    """What a person should know of a notice beyond its row: its last failure, and a possibly sent
    one's story and what to do about it."""
    from pipeline.load import outbox

    lines = []
    if item.last_error and status is not outbox.NoticeStatus.SENT:
        lines.append(f"last try: {item.last_error}")
    if status is outbox.NoticeStatus.POSSIBLY_SENT:
        since = item.possibly_sent_at.astimezone(zone) if item.possibly_sent_at else None
        holder = f" (being sent by {item.claimed_by})" if item.claimed_by else ""
        lines.append(f"handed to the server {since:%Y-%m-%d %H:%M %Z} without its answer{holder}: it may have been "
                     f"delivered. Once you know it was not: psp-pipeline notices resend {item.id} --by NAME")
    elif item.resend_by and item.resend_at and status is not outbox.NoticeStatus.SENT:
        lines.append(f"put back to send again by {item.resend_by} {item.resend_at.astimezone(zone):%Y-%m-%d %H:%M %Z}")
    return lines


class _Stop:
    """SIGTERM (a scheduler stopping the job): the notice in hand is finished (its reply waited
    for), then the delivery stops, no new notice started. A second SIGTERM interrupts at once."""

    def __init__(self) -> None:
        self.event = threading.Event()

    def __call__(self, signum: int, _frame: Any) -> None:
        if self.event.is_set():
            raise KeyboardInterrupt(f"signal {signum}")
        self.event.set()


def _acknowledge(settings: Any, engine: Any, server: Any, delivery: Any, stop: threading.Event) -> Any:
    """After the notices (not on a dry run, nor once stopped): the receipts of fetched mail that
    are due, by the same claims (``pipeline.mailbox.acknowledge``); None when not tried."""
    if server is None or delivery.stopped:
        return None
    from pipeline.mailbox.acknowledge import deliver

    return deliver(settings, engine, server, stop=stop)


def _say_acknowledged(acknowledged: Any) -> bool:
    """Print what was done of the receipts (when anything was); whether any failed."""
    if acknowledged is None or not (acknowledged.sent or acknowledged.trouble):
        return False
    typer.echo(acknowledged.line(), err=acknowledged.trouble)
    return acknowledged.trouble


@app.command()
def send(
    home: HomeOption = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what would be sent; send nothing, change nothing.")] = False,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Send at most this many.")] = None,
) -> None:
    """Send every notice that is due over SMTP (PSP_SMTP_HOST, _PORT, _STARTTLS, _USER, _PASSWORD).

    Each notice is sent once: safe to run twice at once or to stop. A notice that fails stays in
    the outbox for the next run; one handed to the server without its answer is possibly sent
    and waits for `notices resend`. Then the receipts of fetched mail that are due
    (`mail add --acknowledge`), by the same rules. Exits 6 when any failed or is possibly sent,
    143 when stopped by SIGTERM before the end.
    """
    from pipeline.report.sending import SmtpServer, send_notices

    settings, engine = _open(home)
    try:
        server = None if dry_run else SmtpServer.from_settings(settings)
    except BaseException:
        engine.dispose()
        raise
    main_thread = threading.current_thread() is threading.main_thread()
    stop = _Stop()
    previous = signal.signal(signal.SIGTERM, stop) if main_thread else None
    try:
        delivery = send_notices(engine, server, dry_run=dry_run, limit=limit, stop=stop.event, sent_by=getpass.getuser())
        acknowledged = _acknowledge(settings, engine, server, delivery, stop.event)
    except KeyboardInterrupt:
        typer.echo("psp-pipeline: interrupted; what was not sent stays in the outbox for the next run "
                   "(a notice whose message had gone to the server is possibly sent: see `notices list`).", err=True)
        raise typer.Exit(130) from None
    finally:
        engine.dispose()
        if main_thread:
            signal.signal(signal.SIGTERM, previous)

    for item in delivery.would_send:
        typer.echo(f"would send #{item.id} ({item.kind}) to {item.to_address}: {item.path}")
    for item in delivery.sent:
        typer.echo(f"sent #{item.id} ({item.kind}) to {item.to_address}")
    for item, error in delivery.failed:
        typer.echo(f"FAILED #{item.id} to {item.to_address}: {error}", err=True)
    for item, error in delivery.possibly_sent:
        typer.echo(f"POSSIBLY SENT #{item.id} to {item.to_address}: {error}. Once you know it was not delivered: "
                   f"psp-pipeline notices resend {item.id} --by NAME", err=True)
    for item, reason in delivery.skipped:
        if reason.startswith("no address"):
            typer.echo(f"not sent #{item.id} ({item.file}): {reason} ({item.path})", err=True)
    if dry_run:
        typer.echo(f"Dry run: {len(delivery.would_send)} would be sent; nothing was sent.")
        return
    without_address = sum(1 for _, reason in delivery.skipped if reason.startswith("no address"))
    typer.echo(
        f"Sent {len(delivery.sent)}; failed {len(delivery.failed)} (kept for the next try); "
        f"{without_address} without an address (send by hand)"
        + (f"; {len(delivery.possibly_sent)} possibly sent (the server did not answer; stopped)" if delivery.possibly_sent else "")
        + "."
    )
    acknowledgements_failed = _say_acknowledged(acknowledged)
    if delivery.stopped:
        typer.echo("psp-pipeline: stopped (SIGTERM) after the notice in hand; the rest stay in the outbox "
                   "for the next run.", err=True)
    if any((delivery.failed, delivery.possibly_sent, acknowledgements_failed)):
        raise typer.Exit(6)
    if delivery.stopped:
        raise typer.Exit(143)


@app.command()
def resend(
    notice_id: Annotated[int, typer.Argument(help="The notice's number (#ID in `notices list`).")],
    home: HomeOption = None,
    by: Annotated[str | None, typer.Option("--by", help="Who decides (default: the logged-in user).")] = None,
) -> None:
    """Put a possibly sent notice back to send again: the server got its message but its answer
    never came, so it may have been delivered. Check first (ask the recipient, or the server's
    log for its Message-ID); the next `notices send` sends it."""
    from pipeline.report.sending import resend_notice

    _, engine = _open(home)
    try:
        item = resend_notice(engine, notice_id, by or getpass.getuser())
    finally:
        engine.dispose()
    typer.echo(f"#{item.id} to {item.to_address} is back in the outbox (put back by {item.resend_by}); "
               "the next `psp-pipeline notices send` sends it.")
