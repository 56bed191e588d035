"""Refusing zip bombs before any reader unpacks them: a Word file is a zip archive, and one that
unpacks to far more than a form ever could, or compresses far better than text does, is refused.

The archive's directory is checked first (the sizes it declares), then every part is actually
inflated, a chunk at a time, counting the bytes that come out: a directory can declare a part of
a few bytes that inflates to gigabytes, and python-docx would inflate it whole into memory before
finding out. Counting stops at the limits, so the check never holds more than a chunk; a real Word
file (under a megabyte unpacked) costs about a millisecond.
"""

from __future__ import annotations

import copy
import zipfile
from pathlib import Path

from pipeline.extract.base import DocumentUnreadable

# A filled form unpacks to well under 5 MB; pictures in a letterhead stay far below these.
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
MAX_MEMBERS = 2_000
MAX_RATIO = 200  # text compresses ~5-20x; a bomb compresses thousands of times
CHUNK = 64 * 1024
# Read past what the directory declares, to learn what a part really inflates to.
_UNBOUNDED = 1 << 62


def _refuse_ratio(unpacked: int, packed: int) -> None:
    if unpacked > 1024 * 1024 and unpacked > MAX_RATIO * max(packed, 1):
        raise DocumentUnreadable(
            f"a part of the file compresses like a zip bomb ({unpacked / max(packed, 1):.0f} to 1); "
            "it was refused unread"
        )


def _too_large(unpacked: int, *, declared: bool) -> DocumentUnreadable:
    size = f"{unpacked / 1024 / 1024:.0f} MB" if declared else f"more than {MAX_UNPACKED_BYTES / 1024 / 1024:.0f} MB"
    return DocumentUnreadable(
        f"the file would unpack to {size}, far more than a form; it was refused unread"
    )


def check_archive(path: Path) -> None:
    """Raise DocumentUnreadable for an archive that is a zip bomb; do nothing for any other file."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            _check_directory(members)
            _check_inflated(archive, members)
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # not a readable archive: the reader says why


def _check_directory(members: list[zipfile.ZipInfo]) -> None:
    """What the directory declares, before a byte is inflated."""
    if len(members) > MAX_MEMBERS:
        raise DocumentUnreadable(f"the file holds {len(members)} parts, far more than a form; it was refused unread")
    unpacked = sum(m.file_size for m in members)
    if unpacked > MAX_UNPACKED_BYTES:
        raise _too_large(unpacked, declared=True)
    for member in members:
        _refuse_ratio(member.file_size, member.compress_size)


def _check_inflated(archive: zipfile.ZipFile, members: list[zipfile.ZipInfo]) -> None:
    """Inflate every part, counting what actually comes out: past the limits, or unlike what the
    directory declared (a reader trusting the declared size would be fooled), the file is refused."""
    total = 0
    for member in members:
        # zipfile stops a part at its declared size, after inflating it whole when it is read at
        # once, as python-docx reads it: here it is read as if it could be any size, so that its
        # real size shows.
        unbounded = copy.copy(member)
        unbounded.file_size = _UNBOUNDED
        inflated = 0
        try:
            with archive.open(unbounded) as part:
                while chunk := part.read(CHUNK):
                    inflated += len(chunk)
                    if total + inflated > MAX_UNPACKED_BYTES:
                        raise _too_large(total + inflated, declared=False)
                    _refuse_ratio(inflated, member.compress_size)
        except DocumentUnreadable:
            raise
        except Exception:  # noqa: BLE001 - a damaged, encrypted or unsupported part (zlib, struct, EOF...)
            # The reader fails on it where this did, having inflated no more than was counted; the
            # parts after it are still checked, since a reader may never open this one.
            total += inflated
            continue
        if inflated > member.file_size:  # a reader would inflate all of it, then find it is not the part
            raise DocumentUnreadable(
                f"a part of the file inflates to more than the archive's directory says ({inflated} bytes, not "
                f"{member.file_size}); it was refused unread"
            )
        total += inflated
