"""How often Python's cyclic garbage collector runs during a run.

A run allocates a great many short-lived objects (pydantic models, ORM rows, email headers) on
top of a large heap that lives as long as the process (imported modules, form schemas, SQLAlchemy
mappers, Prefect). At Python's default pace (a young collection every 700 allocations) the
collector went through that heap again and again: about a quarter of the main process's CPU over
1,000 documents (``benchmarks/throughput.py``). For the length of a run, what exists when it
starts is frozen (never traversed again) and young objects are collected less often; both are
undone when the run ends.

Collected less often, the cycles a batch leaves (ORM rows and their session, email headers) would
pile up for thousands of documents before a full collection came, and the run's memory would grow
with the inbox; so each batch's garbage is collected when the batch is done (``batch_done``),
which costs little: only what the run made since it started is traversed.
"""

from __future__ import annotations

import gc

# (young, middle, old): a young collection every 50,000 allocations instead of 700. Objects of a
# batch die together when the batch is done, so few collections find much more garbage.
RUN_THRESHOLDS = (50_000, 20, 20)


class RunCollector:
    """Sets the collector's pace for a run (``start``) and puts it back (``stop``); both idempotent."""

    def __init__(self) -> None:
        self._saved: tuple[int, int, int] | None = None

    def start(self) -> None:
        if self._saved is None:
            self._saved = gc.get_threshold()
            gc.freeze()
            gc.set_threshold(*RUN_THRESHOLDS)

    def batch_done(self) -> None:
        """Collect what the batch left behind, so that a run's memory is that of one batch."""
        if self._saved is not None:
            gc.collect()

    def stop(self) -> None:
        if self._saved is not None:
            gc.set_threshold(*self._saved)
            gc.unfreeze()
            self._saved = None
