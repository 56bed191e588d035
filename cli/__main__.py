"""``python -m cli``: the command line, as the ``psp-pipeline`` script runs it."""

from cli.main import app

app()
