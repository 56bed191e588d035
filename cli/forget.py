"""``psp-pipeline forget``: its lines printed (the work is ``pipeline.forget_psp``, which the desk's
"Forget a PSP" page runs too). The command itself, with its options and the inbox lock, is in
``cli.main``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from pipeline.service import Desk


def _echo(line: str, problem: bool = False, /) -> None:
    typer.echo(line, err=problem)


def forget_psp(desk: Desk, email: str, *, reason: str, actor: str, dry_run: bool) -> bool:
    """``forget``'s work and what it prints; True when something of the person is left."""
    from pipeline import forget_psp as forgetting

    return forgetting.forget_psp(desk, email, reason=reason, actor=actor, dry_run=dry_run, say=_echo)
