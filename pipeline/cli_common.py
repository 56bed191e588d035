"""What every ``psp-pipeline`` command shares: the --home option, settings, one-line errors.

Errors go through one handler for every command (``HandledGroup`` runs each command inside
``cli_exception_handler``): a PipelineError, and the few failures of the world outside that are
no defect (a full disk, a permission, the store or Prefect's server out of reach), print as one
line saying what is wrong and what to do, and exit with their own status (``ExitCode``).
Anything else is a defect and shows its traceback.
"""

from __future__ import annotations

import errno
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from pydantic import ValidationError
from typer.core import TyperGroup

from pipeline.errors import (
    BadInputError,
    ConfigurationError,
    DiskFullError,
    ExitCode,
    PipelineError,
    PrefectUnavailableError,
    database_error,
)
from pipeline.settings import Settings

__all__ = ["ExitCode", "HandledGroup", "HomeOption", "cli_exception_handler", "expected_error", "fail",
           "id_in_store", "prefect_unreachable", "require_data_home", "settings_from"]

HomeOption = Annotated[
    Path | None,
    typer.Option("--home", help="The data home (default: $PSP_HOME, else ./psp-data).", show_default=False),
]

_DISK_FULL = {errno.ENOSPC, errno.EDQUOT}
_NO_ACCESS = {errno.EACCES, errno.EPERM, errno.EROFS}
# What Prefect's client raises when PREFECT_API_URL names a server that does not answer.
_PREFECT_UNREACHABLE = re.compile(r"^Failed to reach API at (\S+)")

# The store's ids are INTEGER columns: PostgreSQL's hold 1 to 2**31 - 1 (SQLite's more, never used).
LARGEST_ID = 2**31 - 1


def id_in_store(what: str, listing: str) -> Callable[[int | None], int | None]:
    """A check for an ID argument (``typer.Argument(callback=...)``): a number no id of the store
    can be is "there is no <what> #N" in one line, as an id the store has not given is, and never
    reaches the database (where 30 digits overflow SQLite's integers and PostgreSQL's)."""

    def check(value: int | None) -> int | None:
        if value is not None and not 1 <= value <= LARGEST_ID:
            shown = str(value) if len(str(value)) <= 24 else f"{str(value)[:20]}... ({len(str(value))} digits)"
            raise BadInputError(f"there is no {what} #{shown}: ids run from 1 to {LARGEST_ID}.",
                                hint=f"See `{listing}`.")
        return value

    return check


def settings_from(home: Path | None) -> Settings:
    """The settings from the environment (PSP_*), with --home over PSP_HOME."""
    try:
        return Settings(home=home) if home is not None else Settings()
    except ValidationError as exc:
        problems = "; ".join(f"PSP_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors())
        raise ConfigurationError(f"a setting is wrong: {problems}.", hint="Correct it in the environment.") from exc


def require_data_home(settings: Settings) -> None:
    """A run needs a data home that ``psp-pipeline init`` made (or an inbox someone made): a
    mistyped --home would otherwise be created afresh and its run report "0 files processed"."""
    home = settings.data_home
    if home.inbox.is_dir():
        return
    what = "there is no data home at" if not home.root.exists() else "no data home was set up in"
    raise ConfigurationError(
        f"{what} {home.root} (it has no inbox folder).",
        hint=f"Create it with `psp-pipeline init --home {home.root}`, or point --home or PSP_HOME at your data home.",
    )


def expected_error(exc: BaseException) -> PipelineError | None:
    """The one-line error for ``exc``: itself for a PipelineError, the PipelineError it amounts to
    for a full disk, a permission, a failure of the store or an unreachable Prefect server; None
    for anything else (a defect)."""
    if isinstance(exc, PipelineError):
        return exc
    if isinstance(exc, OSError) and exc.errno in _DISK_FULL:
        where = f" ({exc.filename})" if exc.filename else ""
        return DiskFullError(
            f"no space left on the disk{where}: {exc.strerror}.",
            hint="Free space on it and run again: what was recorded stays recorded and every original is "
            "kept; the next run finishes what this one left (its notices and report).",
        )
    if isinstance(exc, OSError) and exc.errno in _NO_ACCESS and exc.filename:
        return ConfigurationError(
            f"{exc.filename}: {exc.strerror}.",
            hint="The data home and everything in it must be writable by the user who runs psp-pipeline "
            "(check their owner and mode), or choose another data home with --home or PSP_HOME.",
        )
    sqlalchemy_errors = sys.modules.get("sqlalchemy.exc")  # not imported: not one of its errors
    if sqlalchemy_errors is not None and isinstance(exc, sqlalchemy_errors.DBAPIError):
        return database_error(exc, None, opening=False)
    if isinstance(exc, RuntimeError) and (found := _PREFECT_UNREACHABLE.match(str(exc))):
        return prefect_unreachable(found.group(1), "no answer")
    return None


def prefect_unreachable(url: str, reason: str) -> PrefectUnavailableError:
    """The error for a Prefect server that does not answer at ``url``, saying how to go on without
    it: shared by the check before a run and by Prefect's own error when it finds out first."""
    return PrefectUnavailableError(
        f"the Prefect server at {url} cannot be reached ({reason}); nothing was done.",
        hint="Start it (psp-pipeline server), correct PREFECT_API_URL, or unset it to run with a temporary "
        "local server; --without-prefect runs without Prefect.",
    )


def fail(error: PipelineError) -> NoReturn:
    """One line saying what is wrong and what to do, and the error's own exit status."""
    typer.echo(f"psp-pipeline: {' '.join(str(error).split())}", err=True)  # one line, whatever the message held
    raise typer.Exit(int(error.exit_code))


@contextmanager
def cli_exception_handler() -> Iterator[None]:
    """Every expected failure inside as one line and its exit status (``expected_error``)."""
    try:
        yield
    except Exception as exc:
        error = expected_error(exc)
        if error is None:
            raise
        fail(error)


class HandledGroup(TyperGroup):
    """The command group whose every command (sub-groups' included) runs in ``cli_exception_handler``."""

    def invoke(self, ctx: Any) -> Any:
        """Run the command as click does, its expected failures as one line and their status."""
        with cli_exception_handler():
            return super().invoke(ctx)
