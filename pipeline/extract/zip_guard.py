"""Refusing zip bombs before any reader unpacks them: a Word file is a zip archive, and one that
unpacks to far more than a form ever could, or compresses far better than text does, is refused
from its directory alone, without inflating a byte.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from pipeline.extract.base import DocumentUnreadable

# A filled form unpacks to well under 5 MB; pictures in a letterhead stay far below these.
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
MAX_MEMBERS = 2_000
MAX_RATIO = 200  # text compresses ~5-20x; a bomb compresses thousands of times


def check_archive(path: Path) -> None:
    """Raise DocumentUnreadable for an archive that is a zip bomb; do nothing for any other file."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # not a readable archive: the reader says why
    if len(members) > MAX_MEMBERS:
        raise DocumentUnreadable(f"the file holds {len(members)} parts, far more than a form; it was refused unread")
    unpacked = sum(m.file_size for m in members)
    if unpacked > MAX_UNPACKED_BYTES:
        raise DocumentUnreadable(
            f"the file would unpack to {unpacked / 1024 / 1024:.0f} MB, far more than a form; it was refused unread"
        )
    for member in members:
        if member.file_size > 1024 * 1024 and member.file_size > MAX_RATIO * max(member.compress_size, 1):
            raise DocumentUnreadable(
                "a part of the file compresses like a zip bomb "
                f"({member.file_size / max(member.compress_size, 1):.0f} to 1); it was refused unread"
            )
