"""The original of a document as the reviewer sees it beside its values: its pages drawn as
pictures, and the file itself to download.

- A PDF is drawn by pdfium with the values filled in its form fields; a fax or a photo by Pillow.
- A Word file (.docx, .doc, .rtf, .odt) is converted once to PDF by headless LibreOffice, with
  the extraction's own runner (``pipeline.extract.converted``: a fresh profile, a time limit, its
  process group killed past it), and that PDF is drawn.
- Every drawing happens in a process of its own (``pipeline.desk.draw``) under a time limit, its
  memory and its picture's pixels bounded: a file built to hang or exhaust the drawer costs one
  picture, never the desk.
- What is drawn is kept in the data home (``drawn/``, owner-only), named by the original's
  sha256: the converted PDF, the page count and each page's picture. ``forget`` deletes them with
  the original. A conversion that failed is not tried again until the desk restarts.

The callers run in the desk's thread pool (the routes are plain functions), never on its event loop.
"""

from __future__ import annotations

import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from pipeline.drawn import drawn_folder
from pipeline.errors import DocumentUnreadable
from pipeline.extract.converted import convert_with_libreoffice
from pipeline.extract.tools import run_tool
from pipeline.fileops import write_atomic
from pipeline.load.store import StoredReceipt
from pipeline.model import InputKind

PDF_MAGIC = b"%PDF-"
COUNT_TIMEOUT_SECONDS = 20.0
DRAW_TIMEOUT_SECONDS = 30.0
# The file name LibreOffice is given for each Word kind (it reads the kind by content anyway).
WORD_LABELS = {
    InputKind.WORD_FORM: ".docx", InputKind.WORD_LEGACY_FORM: ".docx", InputKind.WORD_DOCUMENT: ".docx",
    InputKind.WORD_97: ".doc", InputKind.RICH_TEXT: ".rtf", InputKind.OPEN_DOCUMENT: ".odt",
}
PICTURE_KINDS = frozenset({InputKind.IMAGE})

_locks: dict[str, threading.Lock] = {}
_locks_lock = threading.Lock()
_failed: dict[str, str] = {}  # sha256 -> why its conversion failed, while the desk runs


class NotDrawn(DocumentUnreadable):
    """The original is of a kind that is not drawn (an email, a file of no form)."""


@dataclass(frozen=True)
class Pages:
    """How many pages of an original can be shown, or why none can (``problem``, one plain line)."""

    count: int
    problem: str | None = None


def original_of(receipt: StoredReceipt) -> Path | None:
    """Where the original is now: where the store keeps it, or still in the inbox while its move is
    pending (``after_change`` finishes it); None when it is in neither place."""
    for path in (receipt.stored_path, receipt.inbox_path):
        if path.is_file():
            return path
    return None


def is_pdf(path: Path) -> bool:
    """Whether the file is a PDF by its first bytes (its name may say anything)."""
    with path.open("rb") as file:
        return file.read(1024).lstrip()[: len(PDF_MAGIC)] == PDF_MAGIC


def _folder(home: Path) -> Path:
    folder = drawn_folder(home)
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def _lock(sha256: str) -> threading.Lock:
    with _locks_lock:
        return _locks.setdefault(sha256, threading.Lock())


def _run_drawer(*argv: str, timeout: float) -> bytes:
    return run_tool([sys.executable, "-m", "pipeline.desk.draw", *argv], timeout=timeout, what="drawing the original")


def _drawable(home: Path, receipt: StoredReceipt, path: Path) -> tuple[str, Path]:
    """What is drawn of the original (``pdf`` or ``picture``, and its file): the file itself, or
    for a Word file the PDF LibreOffice made of it (converted now, or kept from before).
    DocumentUnreadable (and ToolMissing) when it cannot be."""
    kind = receipt.result.document.kind
    if is_pdf(path):
        return "pdf", path
    if kind in PICTURE_KINDS:
        return "picture", path
    label = WORD_LABELS.get(kind) if kind is not None else None
    if label is None:
        raise NotDrawn("Only PDFs, pictures and Word files are drawn; download this file to read it.")
    sha = receipt.result.document.received.sha256
    converted = _folder(home) / f"{sha}.pdf"
    with _lock(sha):
        if sha in _failed:
            raise DocumentUnreadable(_failed[sha])
        if not converted.is_file():
            try:
                _convert(path, label, converted)
            except DocumentUnreadable as exc:
                _failed[sha] = str(exc)
                raise
    return "pdf", converted


def _convert(path: Path, label: str, converted: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="psp-desk-convert-", ignore_cleanup_errors=True) as folder:
        made = convert_with_libreoffice(path, Path(folder), label, "pdf")
        if made is None:
            raise DocumentUnreadable(f"LibreOffice could not convert the {label} file (it is damaged, or not what it seems)")
        write_atomic(converted, made.read_bytes(), private=True)


def page_count(home: Path, receipt: StoredReceipt) -> Pages:
    """How many pages of the original can be drawn (converting a Word file first, once), or why none can."""
    path = original_of(receipt)
    if path is None:
        return Pages(0, "The original is not where the store keeps it.")
    sha = receipt.result.document.received.sha256
    kept = _folder(home) / f"{sha}.pages"
    try:
        if kept.is_file():
            return Pages(int(kept.read_text()))
        kind, drawable = _drawable(home, receipt, path)
        count = int(_run_drawer("count", kind, str(drawable), timeout=COUNT_TIMEOUT_SECONDS))
    except NotDrawn as exc:
        return Pages(0, str(exc))
    except (DocumentUnreadable, ValueError) as exc:
        return Pages(0, f"The original could not be drawn: {exc}. Download it to read it.")
    write_atomic(kept, str(count).encode(), private=True)
    return Pages(count)


def page_png(home: Path, receipt: StoredReceipt, number: int) -> bytes | None:
    """Page ``number`` (from 1) of the original as a PNG, drawn once and kept; None when there is
    no such page or it cannot be drawn."""
    pages = page_count(home, receipt)
    path = original_of(receipt)
    if path is None or not 1 <= number <= pages.count:
        return None
    kept = _folder(home) / f"{receipt.result.document.received.sha256}.page-{number}.png"
    if kept.is_file():
        return kept.read_bytes()
    try:
        kind, drawable = _drawable(home, receipt, path)
        picture = _run_drawer("page", kind, str(drawable), str(number), timeout=DRAW_TIMEOUT_SECONDS)
    except DocumentUnreadable:
        return None
    write_atomic(kept, picture, private=True)
    return picture

