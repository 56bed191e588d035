"""``psp-pipeline review reopen``: a decided document reopened to wait for a person again (the
library's ``pipeline.load.reopen``, as the desk's Reopen button), then what follows every change."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.common import HomeOption
from cli.program import ByOption, ReceivedFileId, _actor, _after_change, _opened


def review_reopen(
    received_file_id: ReceivedFileId,
    reason: Annotated[str | None, typer.Option("--reason", help="Why it is looked at again (needed but with "
                                               "--dry-run): kept with the decision for the office; never sent.")] = None,
    message_to_agency: Annotated[str | None, typer.Option(
        "--message-to-agency", help="One line for the agency in the correction notice, when one follows.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what reopening would do; change nothing.")] = False,
    by: ByOption = None,
    home: HomeOption = None,
) -> None:
    """Reopen an accepted or rejected document (a person's decision or the pipeline's own): it waits
    for a person again. An acceptance's registration (its seat freed, the wait list moving up) or
    plan is taken back; a notice not sent yet is withdrawn, one sent is followed by a correction
    notice (with --message-to-agency, if given) that `notices send` sends. Refused, with what to do
    instead, when it cannot be undone (a PSP with progress recorded, a plan PSPs are registered under)."""
    from pipeline.load import outbox, reopen

    with _opened(home) as desk:
        if dry_run:
            planned = reopen.preview(desk.engine, received_file_id)
            typer.echo("Reopening would do this (nothing was changed):")
        else:
            planned = reopen.reopen(desk.engine, received_file_id, actor=_actor(by), reason=reason or "",
                                    message_to_agency=message_to_agency, context=desk.validation,
                                    destination=desk.router.destination)
            typer.echo(f"#{received_file_id} reopened.")
        for line in planned.consequences():
            typer.echo(f"  {line}")
        if dry_run:
            return
        _after_change(desk, [])  # the releases are said above
        correction = next((item for item in outbox.notices(desk.engine) if item.id == planned.correction_notice), None)
        if correction is not None:
            typer.echo(f"Correction notice #{correction.id} to {correction.to_address or 'NO ADDRESS (send it by hand)'}: "
                       f"{correction.path} (`psp-pipeline notices send` sends it)")
