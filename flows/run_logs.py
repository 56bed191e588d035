"""The program's own lines (its loggers ``pipeline``, ``flows`` and ``cli``) in the flow run's log
in Prefect, so that its UI shows what a run did instead of "This run didn't generate logs".

Prefect's own mechanism sends them: ``PREFECT_LOGGING_EXTRA_LOGGERS`` (set by
``pipeline.prefect_env``) gives these loggers Prefect's API log handler, which files each record
under the flow run it was made in. What is left is their level: ``pipeline.run_log`` makes their
INFO lines for the length of the run and keeps the console as it was.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from pipeline.run_log import program_lines_at_info


@contextmanager
def program_lines_in_run_log() -> Iterator[None]:
    """The program's INFO lines made (and so sent to the flow run's log by Prefect's API log
    handler) for as long as this lasts, the console left as it was; the loggers' levels restored after."""
    from prefect.logging.handlers import APILogHandler

    with program_lines_at_info(lambda handler: isinstance(handler, APILogHandler)):
        yield
