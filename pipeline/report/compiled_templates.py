"""Where the report's and notices' Jinja templates are kept compiled between processes.

Compiling them is most of an empty run's report and overview (about 0.25 s of a run by hand on the
2-core machine; ``benchmarks/run_by_hand.py``). Jinja's own bytecode cache keeps each compiled
template under the user's private temporary folder (made 0700 and checked to be the user's own
by Jinja), keyed by the template's source, so a changed template is compiled again.
"""

from __future__ import annotations

import logging

from jinja2 import BytecodeCache, FileSystemBytecodeCache
from jinja2.bccache import Bucket

log = logging.getLogger(__name__)


class _BestEffortCache(FileSystemBytecodeCache):
    """Jinja's file cache whose trouble (a full or read-only temporary folder) only means the
    template is compiled again: a report or a notice is never lost to its cache."""

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except (OSError, EOFError, ValueError) as exc:
            log.debug("a compiled template could not be read (%s); compiling it", exc)

    def dump_bytecode(self, bucket: Bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError as exc:
            log.debug("a compiled template could not be kept (%s)", exc)


def bytecode_cache() -> BytecodeCache | None:
    """Jinja's cache in the user's temporary folder; None (templates compiled each time) when that
    folder cannot be made or is not the user's own."""
    try:
        return _BestEffortCache()
    except (OSError, RuntimeError) as exc:
        log.debug("templates are compiled in each process: no private cache folder (%s)", exc)
        return None


BYTECODE_CACHE = bytecode_cache()
