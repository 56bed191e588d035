"""Paths the program builds from names it did not choose (an attachment's name, a manifest's
entry, a stored path) stay inside the folder they belong to, or are refused.

Checked lexically and after resolving links: ``../store.sqlite``, an absolute path, or a link
that leads out of the folder are all refused with ``UnsafePathError``.
"""

from __future__ import annotations

from pathlib import Path, PurePath

from pipeline.errors import PipelineError


class UnsafePathError(PipelineError, ValueError):
    """A path would lead outside the folder it must stay in; nothing was read or moved there."""

    exit_code = 2


def contained(folder: Path, relative: str | PurePath) -> Path:
    """``folder / relative``, when that stays inside ``folder``; else UnsafePathError."""
    part = PurePath(relative)
    if part.is_absolute() or ".." in part.parts or not part.parts or "\x00" in str(relative):
        raise UnsafePathError(f"refused the path {str(relative)[:80]!r}: it leads outside {folder.name}/")
    path = folder / part
    if not is_inside(folder, path):
        raise UnsafePathError(f"refused the path {str(relative)[:80]!r}: a link leads outside {folder.name}/")
    return path


def is_inside(folder: Path, path: Path) -> bool:
    """Whether ``path``, its links resolved, is ``folder`` itself or below it."""
    return path.resolve().is_relative_to(folder.resolve())
