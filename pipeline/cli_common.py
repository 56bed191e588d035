"""What every ``psp-pipeline`` command shares: the --home option, settings, one-line errors."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import typer
from pydantic import ValidationError

from pipeline.errors import ConfigurationError, PipelineError
from pipeline.settings import Settings

HomeOption = Annotated[
    Path | None,
    typer.Option("--home", help="The data home (default: $PSP_HOME, else ./psp-data).", show_default=False),
]


def settings_from(home: Path | None) -> Settings:
    """The settings from the environment (PSP_*), with --home over PSP_HOME."""
    try:
        return Settings(home=home) if home is not None else Settings()
    except ValidationError as exc:
        problems = "; ".join(f"PSP_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors())
        raise ConfigurationError(f"a setting is wrong: {problems}.", hint="Correct it in the environment.") from exc


def fail(error: PipelineError) -> NoReturn:
    """One line saying what is wrong and what to do, and the error's own exit status."""
    typer.echo(f"psp-pipeline: {error}", err=True)
    raise typer.Exit(error.exit_code)
