"""The program's own lines (its loggers ``pipeline``, ``flows`` and ``cli``) made at INFO for the
length of a run, so that a run's log in Prefect shows what the run did, while the console shows
exactly what it showed before.

A run by hand keeps these loggers at warnings (more with -v), and a served run at Prefect's
default, warnings too, so their INFO lines would never be made. Whatever sends them to Prefect
(Prefect's own API log handler in a flow run, ``pipeline.prefect_record`` for a run by hand
recorded in a running server) is left to see them all; every other handler is filtered to what
it got before. Those lines name runs, files by number or sha256 and counts, never a field value
(``tests/flows/test_run_logs.py`` checks it).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
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


def _console_handlers(loggers: list[logging.Logger], sends_to_prefect: Callable[[logging.Handler], bool],
                      ) -> list[logging.Handler]:
    """Every handler the program's records reach but the one that sends them to Prefect: the root
    logger's and any other on the program's loggers."""
    handlers = [h for h in logging.getLogger().handlers if not sends_to_prefect(h)]
    for logger in loggers:
        handlers += [h for h in logger.handlers if not sends_to_prefect(h) and h not in handlers]
    return handlers


@contextmanager
def program_lines_at_info(sends_to_prefect: Callable[[logging.Handler], bool]) -> Iterator[None]:
    """The program's INFO lines made for as long as this lasts; the handlers ``sends_to_prefect``
    picks out get them all, every other handler what it got before; the loggers' levels restored after."""
    loggers = [logging.getLogger(name) for name in PROGRAM_LOGGERS]
    levels = [logger.level for logger in loggers]
    quieter = {logger.name: logger.getEffectiveLevel() for logger in loggers if logger.getEffectiveLevel() > logging.INFO}
    as_before = _AsBefore(quieter)
    handlers = _console_handlers(loggers, sends_to_prefect) if quieter else []
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
