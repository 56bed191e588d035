"""Which files in the inbox are ready to be read, in order of arrival, and what each one is.

A received file is worked out once here (name, size, sha256, received time) and travels as a
``ReceivedFile``. Received time is the file's modification time: the moment it appeared.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from pipeline.model import ReceivedFile

log = logging.getLogger(__name__)

# Left by editors, sync clients and file managers while they work; never a submission.
IGNORED_NAMES = frozenset({"thumbs.db", "desktop.ini", ".ds_store"})
IGNORED_PREFIXES = (".", "~$", ".~lock")
IGNORED_SUFFIXES = (".part", ".tmp", ".crdownload", ".partial", "~")

HASH_CHUNK = 1 << 20


def is_ignored(path: Path) -> bool:
    name = path.name.lower()
    return name in IGNORED_NAMES or name.startswith(IGNORED_PREFIXES) or name.endswith(IGNORED_SUFFIXES)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _inbox_files(inbox: Path) -> Iterator[Path]:
    for path in sorted(inbox.rglob("*")):
        if any(is_ignored(Path(part)) for part in path.relative_to(inbox).parts):
            continue
        if path.is_symlink():
            log.warning("skipped a symbolic link in the inbox (%s): put the file itself there", path.name)
            continue
        if path.is_file():
            yield path


def receive(path: Path, inbox: Path) -> ReceivedFile:
    stat = path.stat()
    return ReceivedFile(
        path=path,
        original_name=path.relative_to(inbox).as_posix(),
        sha256=sha256_of(path),
        size=stat.st_size,
        received_at=datetime.fromtimestamp(stat.st_mtime, tz=UTC),
    )


def collect_inbox(inbox: Path) -> list[ReceivedFile]:
    """Every file ready in the inbox, oldest received first (ties by name)."""
    files = [receive(path, inbox) for path in _inbox_files(inbox)]
    return sorted(files, key=lambda f: (f.received_at, f.original_name))
