"""What every ``psp-pipeline`` command shares: the --home option, settings, one-line errors.

Errors go through one handler for every command (``HandledGroup`` runs each command inside
``cli_exception_handler``): a PipelineError, and the few failures of the world outside that are
no defect (a full disk, a permission, the store or Prefect's server out of reach), print as one
line saying what is wrong and what to do, and exit with their own status (``ExitCode``).
Anything else is a defect and shows its traceback.
"""

from __future__ import annotations

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
    ExitCode,
    PipelineError,
    expected_error,
)
from pipeline.settings import Settings

__all__ = ["ExitCode", "HandledGroup", "HomeOption", "cli_exception_handler", "fail",
           "id_in_store", "require_data_home", "settings_from"]

HomeOption = Annotated[
    Path | None,
    typer.Option("--home", help="The data home (default: $PSP_HOME, else ./psp-data).", show_default=False),
]


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
