"""The program's own lines (its loggers ``pipeline``, ``flows`` and ``cli``) in the flow run's log
in Prefect, so that its UI shows what a run did instead of "This run didn't generate logs".

Prefect's own mechanism sends them: ``PREFECT_LOGGING_EXTRA_LOGGERS`` (set by
``pipeline.prefect_env``) gives these loggers Prefect's API log handler, which files each record
under the flow run it was made in. What is left is their level: a run by hand keeps them at
warnings (more with -v), and a served run at Prefect's default, warnings too, so their INFO lines
would never be made. For the length of a run they are at INFO, and whatever else shows records
(the console) is filtered to what it showed before. Those lines name runs, files by number or
sha256 and counts, never a field value (``tests/flows/test_run_logs.py`` checks it).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from pipeline.prefect_env import PROGRAM_LOGGERS


class _AsBefore(logging.Filter):
    """Drops a program record below the level its logger had before the run: a console shows
    exactly what it showed before."""

    def __init__(self, thresholds: dict[str, int]) -> None:
        super().__init__()
        self.thresholds = thresholds

    def filter(self, record: logging.LogRecord) -> bool:
        for name, level in self.thresholds.items():
            if record.name == name or record.name.startswith(name + "."):
                return record.levelno >= level
        return True


def _console_handlers(loggers: list[logging.Logger]) -> list[logging.Handler]:
    """Every handler the program's records reach but Prefect's API log handler: the root logger's
    and any other on the program's loggers."""
    from prefect.logging.handlers import APILogHandler

    handlers = list(logging.getLogger().handlers)
    for logger in loggers:
        handlers += [h for h in logger.handlers if not isinstance(h, APILogHandler) and h not in handlers]
    return handlers


@contextmanager
def program_lines_in_run_log() -> Iterator[None]:
    """The program's INFO lines made (and so sent to the flow run's log) for as long as this
    lasts, the console left as it was; the loggers' levels restored after."""
    loggers = [logging.getLogger(name) for name in PROGRAM_LOGGERS]
    levels = [logger.level for logger in loggers]
    quieter = {logger.name: logger.getEffectiveLevel() for logger in loggers if logger.getEffectiveLevel() > logging.INFO}
    as_before = _AsBefore(quieter)
    handlers = _console_handlers(loggers) if quieter else []
    for handler in handlers:
        handler.addFilter(as_before)
    for logger in loggers:
        if logger.name in quieter:
            logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
        for handler in handlers:
            handler.removeFilter(as_before)
