"""``psp-pipeline review|sessions|psp``: the coordinator's decisions and the program's lifecycle.
Thin: each command opens the desk (settings, store, reference data) and calls the library.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cli.common import HomeOption, id_in_store, settings_from
from cli.output import Column, print_table
from pipeline.errors import BadInputError

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from pipeline.service import Desk

review_app = typer.Typer(help="What waits for a person, and a person's decisions.", no_args_is_help=True)
sessions_app = typer.Typer(help="The classroom training schedule and its seats.", no_args_is_help=True)
psp_app = typer.Typer(help="Registered PSPs and their way to certification.", no_args_is_help=True)

ByOption = Annotated[str | None, typer.Option("--by", help="Who decides (default: the logged-in user).")]
ReceivedFileId = Annotated[
    int, typer.Argument(metavar="ID", callback=id_in_store("received file", "psp-pipeline review list"))
]
RegistrationId = Annotated[int, typer.Argument(metavar="ID", callback=id_in_store("registered PSP", "psp-pipeline psp list"))]
ReasonOption = Annotated[
    str, typer.Option("--reason", help="Why: kept with the decision for the office; never sent to the agency.")
]
MessageToAgencyOption = Annotated[
    str | None,
    typer.Option("--message-to-agency", help="What the notice to the agency says of the decision (one line); "
                 "without it, the notice says only that the coordinator could not accept the form."),
]


def _actor(by: str | None) -> str:
    return by or getpass.getuser()


@contextmanager
def _opened(home: Path | None) -> Iterator[Desk]:
    """The desk for one command, closed after it (errors: ``cli_common.cli_exception_handler``)."""
    from pipeline.service import open_desk

    desk = open_desk(settings_from(home))
    try:
        yield desk
    finally:
        desk.close()


def _echo_releases(releases) -> None:  # noqa: ANN001 - program.Release
    for release in releases:
        typer.echo(f"Released #{release.received_file_id}: now {release.outcome.value.replace('_', ' ')}")


def _after_change(desk: Desk, releases) -> None:  # noqa: ANN001 - program.Release
    """What follows every change (``service.after_change``: moves, notices, the overview), and
    what it did: the notices written and the forms released."""
    from pipeline.service import Changes, after_change

    after = after_change(desk, Changes(releases=releases))
    for received_file_id, notice in after.notices.items():
        typer.echo(f"Notice for #{received_file_id} to {notice.to or 'NO ADDRESS (send it by hand)'}: {notice.path}")
    _echo_releases(after.releases)


def print_waiting(waiting: list[dict], zone: ZoneInfo, *, to_the_minute: bool) -> None:
    """What waits for a person (``queries.waiting_for_a_person``) as a table: when each was received
    in the office's zone (its day, or ``to_the_minute`` its time and the zone), its outcome, form,
    file and first reason (with how many more)."""
    from pipeline.clock import shown_day, shown_time

    shown = shown_time if to_the_minute else shown_day
    print_table(
        [Column("#", wrap=False), Column("received", wrap=False), Column("outcome", wrap=False),
         Column("form", wrap=False), Column("file"), Column("reason")],
        [[f"#{item['id']}", shown(item["received_at"], zone), item["outcome"].replace("_", " "),
          item["form_id"] or "unknown", item["file"], item["reason"] + (f" (+{item['more']} more)" if item["more"] else "")]
         for item in waiting],
    )


@review_app.command("list")
def review_list(home: HomeOption = None) -> None:
    """Documents waiting for a person (needs review, held), oldest first, with the reason and the
    day received in the office's time zone (PSP_TIMEZONE)."""
    from pipeline.load.ownership import open_own_store
    from pipeline.load.queries import waiting_for_a_person

    settings = settings_from(home)
    engine = open_own_store(settings)
    try:
        waiting = waiting_for_a_person(engine)
    finally:
        engine.dispose()
    if not waiting:
        typer.echo("Nothing waits for a person.")
        return
    print_waiting(waiting, settings.zone, to_the_minute=False)


@review_app.command("show")
def review_show(received_file_id: ReceivedFileId, home: HomeOption = None) -> None:
    """One document: its values with where each was read, its findings, and every decision on it
    (times in the office's time zone, PSP_TIMEZONE, with the zone shown)."""
    from pipeline.clock import shown_time
    from pipeline.load import review

    with _opened(home) as desk:
        zone = desk.settings.zone
        shown = review.show(desk.engine, received_file_id)
        typer.echo(f"#{shown['id']} {shown['file']}  received {shown_time(shown['received_at'], zone)}")
        typer.echo(f"Form: {shown['form_id'] or 'unknown'} {shown['form_version'] or ''}  Outcome: {shown['outcome'].replace('_', ' ')}")
        if shown["superseded_by"]:
            typer.echo(f"Replaced by the corrected form #{shown['superseded_by']}")
        typer.echo(f"Original: {shown['stored_path']}")
        typer.echo("Findings:" if shown["findings"] else "Findings: none")
        for finding in shown["findings"]:
            label = f"{finding['label']}: " if finding.get("label") else ""
            typer.echo(f"  [{finding['rule'] or '-'} {finding['severity']}] {label}{finding['message']}")
        if shown["fields"]:
            typer.echo("Values:")
            # The printed label, as `review correct` takes it, and the key, as scripts do.
            print_table([Column("field"), Column("key", wrap=False), Column("value"), Column("read from")],
                        [[field["label"], field["key"], _shown_value(field["value"]), "\n".join(field["sources"])]
                         for field in shown["fields"]])
        typer.echo("Decisions:" if shown["decisions"] else "Decisions: none yet")
        for decision in shown["decisions"]:
            typer.echo(
                f"  {shown_time(decision['at'], zone)} {decision['actor']}: {decision['action']} "
                f"({decision['from'] or '-'} -> {decision['to'] or '-'}){': ' + decision['reason'] if decision['reason'] else ''}"
            )
            if decision["message_to_agency"]:
                typer.echo(f"      to the agency: {decision['message_to_agency']}")


def _shown_value(value: object) -> str:
    """A value read as a person reads it: a list's items parted by commas, nothing for none."""
    if value is None:
        return ""
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


@review_app.command("accept")
def review_accept(
    received_file_id: ReceivedFileId,
    reason: ReasonOption,
    by: ByOption = None,
    home: HomeOption = None,
) -> None:
    """Accept a document that waits; a plan releases the registrations held on it."""
    from pipeline.load import review

    with _opened(home) as desk:
        decision = review.accept(desk.engine, received_file_id, actor=_actor(by), reason=reason,
                                 context=desk.validation, destination=desk.router.destination)
        typer.echo(f"#{received_file_id} accepted.")
        _after_change(desk, decision.releases)


@review_app.command("reject")
def review_reject(
    received_file_id: ReceivedFileId,
    reason: ReasonOption,
    message_to_agency: MessageToAgencyOption = None,
    by: ByOption = None,
    home: HomeOption = None,
) -> None:
    """Reject a document that waits; a notice goes back with the findings and --message-to-agency
    (the --reason stays in the office)."""
    from pipeline.load import review

    with _opened(home) as desk:
        decision = review.reject(desk.engine, received_file_id, actor=_actor(by), reason=reason,
                                 message_to_agency=message_to_agency, destination=desk.router.destination)
        typer.echo(f"#{received_file_id} rejected.")
        _after_change(desk, decision.releases)


@review_app.command("correct")
def review_correct(
    received_file_id: ReceivedFileId,
    field: Annotated[str, typer.Argument(help="The field by its printed label, as `review show` lists it (\"PSP "
                                         "phone\"; case and spacing aside, a part of it when only one label holds "
                                         "it), or by its key (psp_phone).")],
    value: Annotated[str, typer.Argument(help="The value as it should have been read.")],
    reason: ReasonOption,
    by: ByOption = None,
    home: HomeOption = None,
) -> None:
    """Correct one value as read; the document is judged again."""
    from pipeline.load import review
    from schemas import load_form_spec

    with _opened(home) as desk:
        decision = review.correct(desk.engine, received_file_id, field, value, actor=_actor(by), reason=reason,
                                  context=desk.validation, destination=desk.router.destination)
        used = review.field_named(load_form_spec(decision.result.document.form_id), field)
        typer.echo(f"#{received_file_id} {used.label} ({used.key}) corrected and judged again: "
                   f"{decision.outcome.value.replace('_', ' ')}.")
        _echo_findings(decision.result)
        _after_change(desk, decision.releases)


def _echo_findings(result) -> None:  # noqa: ANN001 - model.ValidationResult
    for finding in result.findings:
        typer.echo(f"  [{finding.rule or '-'} {finding.severity}] {finding.label + ': ' if finding.label else ''}{finding.message}")


def _typed_values(path: Path) -> dict:
    """The values of a --values-file: a JSON object, by field key or printed label."""
    import json

    try:
        values = json.loads(_utf8_text(path))
    except json.JSONDecodeError as exc:
        raise BadInputError(f"{path.name} line {exc.lineno}: not JSON ({exc.msg}).",
                            hint='Write one object: {"psp_first_name": "Jordan", "child_condition": ["SED"], ...}.') from exc
    if not isinstance(values, dict):
        raise BadInputError(f"{path.name} holds no JSON object.", hint="Write the values as one object, by field key.")
    return values


@review_app.command("enter")
def review_enter(
    received_file_id: ReceivedFileId,
    values_file: Annotated[Path, typer.Option("--values-file", exists=True, dir_okay=False, readable=True,
                                              help="A JSON object: every value of the form, by field key or printed "
                                              "label (boxes true/false, a multichoice a list of its choices).")],
    reason: ReasonOption,
    form: Annotated[str | None, typer.Option("--form", help="PSP-ORP or PSP-REG, for a document of no known form.")] = None,
    preview: Annotated[bool, typer.Option("--preview", help="Show the outcome only; save nothing.")] = False,
    by: ByOption = None,
    home: HomeOption = None,
) -> None:
    """Type in every value of a document the pipeline could not read; it is judged like any other."""
    from pipeline.load import entry

    values = _typed_values(values_file)
    with _opened(home) as desk:
        if preview:
            result = entry.preview_entry(desk.engine, received_file_id, values, actor=_actor(by),
                                         context=desk.validation, form_id=form)
            typer.echo(f"#{received_file_id} would be {result.outcome.value.replace('_', ' ')} (nothing saved).")
            _echo_findings(result)
            return
        decision = entry.enter(desk.engine, received_file_id, values, actor=_actor(by), reason=reason,
                               context=desk.validation, destination=desk.router.destination, form_id=form)
        typer.echo(f"#{received_file_id} typed in and judged: {decision.outcome.value.replace('_', ' ')}.")
        _echo_findings(decision.result)
        _after_change(desk, decision.releases)


@review_app.command("release")
def review_release(
    received_file_id: ReceivedFileId,
    reason: ReasonOption,
    by: ByOption = None,
    home: HomeOption = None,
) -> None:
    """Release a held document whose hold's cause is gone: judged again now and decided as the rules say.
    Refused while the cause is still there (a plan not accepted, a session full): clear it instead."""
    from pipeline.load import holds

    with _opened(home) as desk:
        decision = holds.release_hold(desk.engine, received_file_id, actor=_actor(by), reason=reason,
                                      context=desk.validation, destination=desk.router.destination)
        typer.echo(f"#{received_file_id} released: {decision.outcome.value.replace('_', ' ')}.")
        _echo_findings(decision.result)
        _after_change(desk, decision.releases)


@sessions_app.command("import")
def sessions_import(
    csv_file: Annotated[Path, typer.Argument(metavar="FILE.csv", exists=True, dir_okay=False, readable=True)],
    by: ByOption = None,
    home: HomeOption = None,
) -> None:
    """Add or update training sessions from a CSV (session_id,start_date,end_date,days,location,capacity),
    as Excel saves it ("CSV UTF-8"), dates as `sessions list` prints them (01/11/2027) or 2027-01-11.

    A wrong value is one line naming its line and column, and nothing is changed.
    """
    from pipeline.load import schedule
    from schemas.reference import parse_sessions

    try:
        sessions = parse_sessions(_utf8_text(csv_file), source=csv_file.name)
    except ValueError as exc:
        raise BadInputError(f"{exc}.", hint="Fix the line and import again; nothing was changed.") from exc
    with _opened(home) as desk:
        added, updated, releases = schedule.import_schedule(
            desk.engine, sessions, desk.validation, _actor(by), desk.router.destination
        )
        typer.echo(f"{added} sessions added, {updated} updated.")
        _after_change(desk, releases)


def _utf8_text(path: Path) -> str:
    """The file's text; one line naming the line of the first byte that is not UTF-8 (Excel's plain
    "CSV" is the machine's code page: "CSV UTF-8" is the one to choose)."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise BadInputError(
            f"{path.name} line {line}: the file is not UTF-8 text.",
            hint='Save it from Excel as "CSV UTF-8 (Comma delimited)" and import it again; nothing was changed.',
        ) from exc


@sessions_app.command("list")
def sessions_list(home: HomeOption = None) -> None:
    """Each training session with its seats taken and free, and its wait list."""
    from pipeline.load import schedule

    with _opened(home) as desk:
        seats = schedule.session_seats(desk.engine)
    print_table(
        [Column("session", wrap=False), Column("dates", wrap=False), Column("location"), Column("seats", numeric=True),
         Column("taken", numeric=True), Column("free", numeric=True), Column("waiting", numeric=True)],
        [[row["session_id"], f"{row['start_date']:%m/%d/%Y}-{row['end_date']:%m/%d/%Y}", row["location"],
          row["capacity"], row["taken"], row["free"], row["wait_list"]] for row in seats],
    )


@sessions_app.command("move")
def sessions_move(
    received_file_id: ReceivedFileId,
    session_id: Annotated[str, typer.Argument(metavar="SESSION", help="The session's id, e.g. 2027-03-GR.")],
    reason: ReasonOption,
    by: ByOption = None,
    home: HomeOption = None,
) -> None:
    """Move a wait-listed PSP (received file ID) to another session: registered there when a seat
    is free, on its wait list otherwise."""
    from pipeline.load import holds

    with _opened(home) as desk:
        decision = holds.move_to_session(desk.engine, received_file_id, session_id, actor=_actor(by), reason=reason,
                                         context=desk.validation, destination=desk.router.destination)
        typer.echo(f"#{received_file_id} moved to {decision.result.values.get('training_session')}: "
                   f"{decision.outcome.value.replace('_', ' ')}.")
        _after_change(desk, decision.releases)


@psp_app.command("list")
def psp_list(home: HomeOption = None) -> None:
    """Registered PSPs, their stage, and what each is due next."""
    from pipeline.clock import today
    from pipeline.load import certification

    with _opened(home) as desk:
        rows = certification.list_psps(desk.engine, today(desk.settings.zone))
    if not rows:
        typer.echo("No PSP is registered yet.")
        return
    print_table([Column("#", wrap=False), Column("name"), Column("stage"), Column("agency"), Column("due next")],
                [[f"#{row['id']}", row["name"], row["stage"], row["agency"], row["due"]] for row in rows])


@psp_app.command("update")
def psp_update(
    registration_id: RegistrationId,
    classroom_attended: Annotated[str | None, typer.Option(help="Date the 5-day classroom training was completed (MM/DD/YYYY or YYYY-MM-DD; not after today).")] = None,
    coaching_months: Annotated[int | None, typer.Option(help="Coaching months completed, 0 to 10.")] = None,
    pd_meetings: Annotated[int | None, typer.Option(help="Quarterly Professional Development meetings attended.")] = None,
    certified: Annotated[str | None, typer.Option(help="Date of certification (MM/DD/YYYY or YYYY-MM-DD; not after today).")] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Why: kept with the change.")] = None,
    by: ByOption = None,
    home: HomeOption = None,
) -> None:
    """Record a PSP's progress toward certification. Dates are read as the program prints them, and
    one after today (in the office's time zone, PSP_TIMEZONE) is refused: it has not happened."""
    from pipeline.load import certification

    with _opened(home) as desk:
        zone = desk.settings.zone
        progress = certification.Progress(
            classroom_attended_on=_day_it_happened(classroom_attended, "--classroom-attended", zone),
            coaching_months=coaching_months,
            pd_meetings=pd_meetings,
            certified_on=_day_it_happened(certified, "--certified", zone),
        )
        changed = certification.update(desk.engine, registration_id, progress, actor=_actor(by), reason=reason)
        if not changed["changes"]:
            typer.echo(f"PSP #{registration_id}: nothing changed.")
        else:
            typer.echo(f"PSP #{registration_id}: {', '.join(changed['changes'])} recorded; now {changed['stage']}.")


def _day_it_happened(text: str | None, option: str, zone: ZoneInfo) -> date | None:
    """The date typed for ``option``, read as the program prints dates, not after today in the
    office; None when the option was not given."""
    from pipeline.clock import not_after_today, typed_day

    return None if text is None else not_after_today(typed_day(text, option), option, zone)


@psp_app.command("withdraw")
def psp_withdraw(
    registration_id: RegistrationId,
    reason: ReasonOption,
    by: ByOption = None,
    home: HomeOption = None,
) -> None:
    """A PSP leaves the program: the seat frees and the wait list moves up."""
    from pipeline.load import certification

    with _opened(home) as desk:
        releases = certification.withdraw(desk.engine, registration_id, actor=_actor(by), reason=reason,
                                          context=desk.validation, destination=desk.router.destination)
        typer.echo(f"PSP #{registration_id} withdrawn.")
        _after_change(desk, releases)
