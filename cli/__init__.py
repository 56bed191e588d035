"""``psp-pipeline``, the command line: a Typer app thin over the library (``pipeline``), one error
handler for every command (``cli.common``). Prefect is reached only through ``flows``.
"""

from cli.main import app

__all__ = ["app"]
