"""Where originals go, and moving them there once their row is committed.

Originals are kept for ever under ``originals/<outcome>/<day received>/<name>``; a name taken
already gets a numbered suffix, so nothing is overwritten. A file is moved only after its row
is committed; a run that stopped in between is finished by the next one (``finish_pending_moves``).
A move is whole or not at all, also to another file system (``pipeline.fileops``).
"""

from __future__ import annotations

import logging
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from pipeline.faults import checkpoint
from pipeline.fileops import move_whole, numbered_name
from pipeline.load import store
from pipeline.model import Outcome, ReceivedFile
from pipeline.settings import DataHome

log = logging.getLogger(__name__)


MAX_NAME_BYTES = 180  # file systems allow 255; room is left for a " (2)" suffix


def _safe_name(original: str) -> str:
    """A file name for the archive: one path component, no control characters, not too long."""
    name = "".join(ch if ch.isprintable() else "_" for ch in original.replace("/", "__").replace("\\", "__"))
    name = name.strip().lstrip(".") or "unnamed"
    if len(name.encode()) > MAX_NAME_BYTES:
        stem, suffix = Path(name).stem, Path(name).suffix[:16]
        while len((stem + suffix).encode()) > MAX_NAME_BYTES:
            stem = stem[:-1]
        name = stem + suffix
    return name


class Router:
    """Chooses a free destination for each original; remembers what it promised in this run."""

    def __init__(self, home: DataHome, zone: ZoneInfo) -> None:
        self.home = home
        self.zone = zone
        self._promised: set[Path] = set()

    def destination(self, received: ReceivedFile, outcome: Outcome) -> Path:
        """Where the original is kept: its outcome's folder for the day it was received (in the
        office's zone), its own name numbered when taken on disk or promised earlier in this run."""
        day = received.received_at.astimezone(self.zone).date().isoformat()
        folder = self.home.originals / outcome.value / day
        name = numbered_name(_safe_name(received.original_name),
                             lambda n: folder / n in self._promised or (folder / n).exists())
        self._promised.add(folder / name)
        return folder / name


def move_original(source: Path, target: Path, sha256: str | None = None) -> bool:
    """Move one original to where the store says it is kept; False when it is not in the inbox.

    ``sha256`` is the store's: a copy to another file system must match it. A file already at
    the target is kept (FileExistsError), unless it is this original whole: a move that stopped
    after the copy took its name is finished.
    """
    if not source.exists():
        return target.exists()
    move_whole(source, target, sha256=sha256)  # mode 0o600: it holds personal data
    return True


def move_originals(engine: Engine, moves: list[tuple[int, Path, Path, str]]) -> int:
    """Move committed originals and record that they moved. Returns how many moved."""
    done: list[int] = []
    for received_file_id, source, target, sha256 in moves:
        try:
            if move_original(source, target, sha256):
                done.append(received_file_id)
                checkpoint("move.done")
        except OSError as exc:
            log.error("could not move received file #%d out of the inbox (%s); the next run tries again", received_file_id, exc)
    store.mark_moved(engine, done)
    return len(done)


def finish_pending_moves(engine: Engine, *, at_start: bool = False) -> int:
    """Move every original whose new place is committed but which has not moved yet.

    At the start of a run or command, such moves were left by one that stopped between
    committing and moving; they are finished now.
    """
    pending = store.pending_moves(engine)
    if pending and at_start:
        log.warning("finishing %d file moves left by an earlier run that stopped", len(pending))
    return move_originals(engine, pending)
