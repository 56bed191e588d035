"""What the desk keeps of each original it has shown (``pipeline.desk.pages``): the PDF a Word file
was converted to, its page count and its pages' pictures, in the data home's ``drawn/`` folder
(owner-only), each file named by the original's sha256. They are copies of the original, so
``forget`` deletes them with it (``pipeline.load.forget``)."""

from __future__ import annotations

from pathlib import Path

DRAWN_FOLDER = "drawn"


def drawn_folder(home: Path) -> Path:
    """Where the desk keeps what it drew, in the data home ``home``."""
    return home / DRAWN_FOLDER


def drawn_files(home: Path, sha256: str) -> list[Path]:
    """Every file kept of the original with ``sha256`` in the data home ``home``."""
    folder = drawn_folder(home)
    if not folder.is_dir() or not sha256.isalnum():
        return []
    return sorted(path for path in folder.glob(f"{sha256}.*") if path.is_file())
