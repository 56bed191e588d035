"""How often Python's cyclic garbage collector runs: in a run's own process, and in the workers
that read documents.

Both allocate a great many short-lived objects (pydantic models, ORM rows and email headers in
the run's process; pdfminer's layout objects and python-docx's parts in a worker) on top of a large
heap that lives as long as the process (imported modules, form schemas, SQLAlchemy mappers,
Prefect). At Python's default pace (a young collection every 700 allocations) the collector went
through that heap again and again: about a quarter of the run's CPU over 1,000 documents, and a
sixth of a worker's (``benchmarks/throughput.py``). So what exists when the work starts is frozen
(never traversed again), young objects are collected less often, and the garbage a unit of work
leaves (a batch in the run's process, a document in a worker) is collected when that unit is done,
which costs little: only what was made since the start is traversed. Without that last step the
cycles would pile up between rare full collections and memory would grow with the inbox.
"""

from __future__ import annotations

import gc

# (young, middle, old): a young collection every 50,000 allocations instead of 700. Objects of a
# batch die together when the batch is done, so few collections find much more garbage.
RUN_THRESHOLDS = (50_000, 20, 20)
# In a worker, the full collection after each document does most of the work; a large document
# is still collected as it is read, so that its cycles do not pile up while it lasts.
WORKER_THRESHOLDS = (50_000, 20, 100)


class RunCollector:
    """Sets the collector's pace for a run (``start``) and puts it back (``stop``); both idempotent."""

    def __init__(self) -> None:
        self._saved: tuple[int, int, int] | None = None
        self._froze = False

    def start(self) -> None:
        """Freeze what exists now and slow the young collections, remembering the pace to put back."""
        if self._saved is None:
            self._saved = gc.get_threshold()
            # What was frozen before is someone else's to unfreeze: then nothing is frozen here.
            self._froze = gc.get_freeze_count() == 0
            if self._froze:
                gc.collect()  # garbage left from setting up is not frozen for the length of the run
                gc.freeze()
            gc.set_threshold(*RUN_THRESHOLDS)

    def batch_done(self) -> None:
        """Collect what the batch left behind, so that a run's memory is that of one batch."""
        if self._saved is not None:
            gc.collect()

    def stop(self) -> None:
        """Put back the pace ``start`` found, and unfreeze what it froze."""
        if self._saved is not None:
            gc.set_threshold(*self._saved)
            if self._froze:
                gc.unfreeze()
            self._saved, self._froze = None, False


def start_worker() -> None:
    """In a worker process, once, when it starts: for the rest of its life (a worker is replaced
    after a number of documents, and dies with the run)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*WORKER_THRESHOLDS)


def document_done() -> None:
    """In a worker, after each document: what reading it left behind goes now."""
    gc.collect()
