"""Flat PDFs: a form printed or saved to PDF (from Word, LibreOffice, a PDF reader), or a fillable
PDF flattened. Only page content is left; pdfplumber gives its words with their positions and the
fields are found by their printed labels (``pipeline.extract.labels``).

The page becomes lines of segments: words on one visual line, split where a wide gap or a table's
cell border separates them. Check boxes count whether printed as characters (``☒ ☐ [X]``) or
drawn as little squares, a drawn tick or cross inside meaning checked. A small picture (a drawn
signature) reads as ``[picture]``. The footer's marker line
and page numbers are taken out of the text (the marker still says which form it is).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pdfplumber
from pdfminer.pdfparser import PDFSyntaxError
from pdfplumber.page import Page
from pypdf.errors import PdfReadError

from pipeline.extract.base import DocumentUnreadable, RawDocument
from pipeline.extract.layout import (
    CHECKED,
    UNCHECKED,
    Layout,
    Line,
    Segment,
    Token,
    box_mark,
    is_page_number,
    split_marks,
)
from pipeline.extract.pdf_kind import PdfKind, is_pdf, pdf_kind
from pipeline.extract.recognise import MARKER
from pipeline.model import InputKind

log = logging.getLogger(__name__)

SCANNED_REASON = (
    "scanned page, no text layer: the PDF holds pictures of its pages, which this pipeline does not read; "
    "read the values from the document, or ask the sender for the form filled on a computer (PDF or Word)"
)

BOX_MIN, BOX_MAX = 5.0, 16.0  # a drawn check box is a square this many points wide
GAP_FACTOR = 0.45  # a gap wider than this many font sizes separates two segments
MIN_GAP = 4.0
RULE_MIN_LENGTH = 15.0
RULE_MIN_HEIGHT = 12.0  # taller than a check box's side
PARAGRAPH_GAP = 0.5  # a vertical gap wider than this many line heights is a paragraph break
TICK_WORDS = frozenset({"x", "✔", "✓", "✗", "✘"})
# A signature drawn or pasted as a picture is a value: the form counts a drawn signature as signed.
PICTURE = "[picture]"
PICTURE_MAX = (320.0, 120.0)  # points; larger pictures are letterheads or scanned pages


def _squares(page: Page) -> list[dict[str, float]]:
    """Drawn check boxes: small squares, one per place (a box drawn twice is one box)."""
    found: list[dict[str, float]] = []
    for rect in page.rects:
        width, height = rect["x1"] - rect["x0"], rect["bottom"] - rect["top"]
        if not (BOX_MIN <= width <= BOX_MAX and BOX_MIN <= height <= BOX_MAX and abs(width - height) <= 2):
            continue
        if any(abs(rect["x0"] - s["x0"]) < 2 and abs(rect["top"] - s["top"]) < 2 for s in found):
            continue
        found.append({k: rect[k] for k in ("x0", "x1", "top", "bottom")})
    return found


def _inside(item: dict[str, Any], box: dict[str, float], slack: float = 1.0) -> bool:
    return (
        item["x0"] >= box["x0"] - slack
        and item["x1"] <= box["x1"] + slack
        and item["top"] >= box["top"] - slack
        and item["bottom"] <= box["bottom"] + slack
    )


def _smaller(item: dict[str, Any], box: dict[str, float]) -> bool:
    """A path inside the box that is not the box's own outline (a tick, a cross)."""
    return (item["x1"] - item["x0"]) < (box["x1"] - box["x0"]) - 1.5 or (item["bottom"] - item["top"]) < (
        box["bottom"] - box["top"]
    ) - 1.5


def _box_words(page: Page, words: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Words for drawn boxes (☒ when a tick or cross is drawn or typed inside, else ☐); words typed inside go."""
    boxes = _squares(page)
    if not boxes:
        return words
    marks = [c for c in page.curves if c["x1"] - c["x0"] < BOX_MAX and c["bottom"] - c["top"] < BOX_MAX]
    strokes = [ln for ln in page.lines if ln["x1"] - ln["x0"] < BOX_MAX and ln["bottom"] - ln["top"] < BOX_MAX]
    kept = list(words)
    for box in boxes:
        typed = [w for w in kept if _inside(w, box, 2.0)]
        checked = any(_inside(m, box) and _smaller(m, box) for m in marks) or sum(_inside(s, box) for s in strokes) >= 2
        if any(w["text"].casefold() in TICK_WORDS or box_mark(w["text"]) for w in typed):
            checked = True
        kept = [w for w in kept if not any(w is t for t in typed)]
        size = box["bottom"] - box["top"]
        kept.append({**box, "text": CHECKED if checked else UNCHECKED, "size": size})
    return kept


def _picture_words(page: Page) -> list[dict[str, Any]]:
    """A small picture (a drawn signature) stands as the word ``[picture]`` on the line of its middle."""
    words = []
    for image in page.images:
        width, height = image["x1"] - image["x0"], image["bottom"] - image["top"]
        if 0 < width <= PICTURE_MAX[0] and 0 < height <= PICTURE_MAX[1]:
            middle = (image["top"] + image["bottom"]) / 2
            words.append({"text": PICTURE, "x0": image["x0"], "x1": image["x1"], "top": middle - 4, "bottom": middle + 4, "size": 8})
    return words


def _split_glued_marks(words: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for word in words:
        pieces = split_marks(word["text"])
        if len(pieces) <= 1:
            out.append({**word, "text": pieces[0] if pieces else word["text"]})
            continue
        total = sum(len(p) for p in pieces) or 1
        x = word["x0"]
        width = word["x1"] - word["x0"]
        for piece in pieces:
            share = width * len(piece) / total
            out.append({**word, "text": piece, "x0": x, "x1": x + share})
            x += share
    return out


def _rules(page: Page) -> tuple[list[tuple[float, float, float]], list[tuple[float, float, float]]]:
    """Horizontal rules (y, x0, x1) and vertical ones (x, top, bottom): table borders, box edges."""
    horizontal: list[tuple[float, float, float]] = []
    vertical: list[tuple[float, float, float]] = []
    for edge in page.edges:
        if edge["orientation"] == "h" and edge["x1"] - edge["x0"] >= RULE_MIN_LENGTH:
            horizontal.append((edge["top"], edge["x0"], edge["x1"]))
        elif edge["orientation"] == "v" and edge["bottom"] - edge["top"] >= RULE_MIN_HEIGHT:
            vertical.append((edge["x0"], edge["top"], edge["bottom"]))
    return horizontal, vertical


def _group_lines(words: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Words on one visual line: each word joins the line whose band holds its vertical centre."""
    lines: list[dict[str, Any]] = []
    for word in sorted(words, key=lambda w: (w["top"], w["x0"])):
        centre = (word["top"] + word["bottom"]) / 2
        line = lines[-1] if lines else None
        if line is not None and line["top"] - 0.5 <= centre <= line["bottom"] + 0.5:
            line["words"].append(word)
            line["top"] = min(line["top"], word["top"])
            line["bottom"] = max(line["bottom"], word["bottom"])
        else:
            lines.append({"top": word["top"], "bottom": word["bottom"], "words": [word]})
    return [sorted(line["words"], key=lambda w: w["x0"]) for line in lines]


def _segments(words: list[dict[str, Any]], vertical: list[tuple[float, float, float]]) -> list[Segment]:
    segments: list[Segment] = []
    current: list[Token] = []
    previous: dict[str, Any] | None = None
    for word in words:
        if previous is not None:
            gap = word["x0"] - previous["x1"]
            size = max(float(previous.get("size") or 10.0), float(word.get("size") or 10.0))
            centre = (word["top"] + word["bottom"]) / 2
            ruled = any(
                previous["x1"] - 1 <= x <= word["x0"] + 1 and top <= centre <= bottom for x, top, bottom in vertical
            )
            if ruled or gap > max(MIN_GAP, GAP_FACTOR * size):
                segments.append(Segment(current))
                current = []
        current.append(Token(word["text"], float(word["x0"]), float(word["x1"])))
        previous = word
    if current:
        segments.append(Segment(current))
    return segments


def page_lines(page: Page, number: int) -> tuple[list[Line], list[str], list[tuple[float, float, float]]]:
    """The page's lines, the text of the header and footer lines taken out (marker, page numbers),
    and the page's vertical rules."""
    words = page.extract_words(x_tolerance=1.5, y_tolerance=2, keep_blank_chars=False, extra_attrs=["size"])
    words = _box_words(page, _split_glued_marks(words)) + _picture_words(page)
    horizontal, vertical = _rules(page)
    lines: list[Line] = []
    removed: list[str] = []
    previous: Line | None = None
    for group in _group_lines(words):
        segments = _segments(group, vertical)
        top = min(w["top"] for w in group)
        bottom = max(w["bottom"] for w in group)
        text = " ".join(s.text for s in segments)
        if MARKER.search(text) or is_page_number(text) or all(is_page_number(s.text) for s in segments):
            removed.append(text)
            continue
        x0, x1 = min(s.x0 for s in segments), max(s.x1 for s in segments)
        ruled = previous is not None and any(
            previous.bottom - 1 <= y <= top + 1 and hx0 < x1 and hx1 > x0 for y, hx0, hx1 in horizontal
        )
        gap = previous is not None and top - previous.bottom > PARAGRAPH_GAP * previous.height
        line = Line(segments, top, bottom, number, f"page {number}", ruled_before=ruled, gap_before=gap or ruled)
        lines.append(line)
        previous = line
    return lines, removed, vertical


class FlatPdfExtractor:
    kind = InputKind.FLAT_PDF

    def sniff(self, path: Path, head: bytes) -> bool:
        return is_pdf(head) and pdf_kind(path) is PdfKind.FLAT

    def read(self, path: Path) -> RawDocument:
        try:
            with pdfplumber.open(path) as pdf:
                layout = Layout(wrapped=True)
                marker_parts: list[str] = []
                for number, page in enumerate(pdf.pages, start=1):
                    lines, removed, vertical = page_lines(page, number)
                    layout.lines.extend(lines)
                    layout.rules[number] = vertical
                    marker_parts.extend(removed)
                pages = len(pdf.pages)
        except (PDFSyntaxError, PdfReadError, ValueError, KeyError, TypeError, AttributeError, RecursionError, OSError) as exc:
            raise DocumentUnreadable(f"the PDF could not be read ({type(exc).__name__})") from exc
        if not layout.lines:
            raise DocumentUnreadable(SCANNED_REASON)
        marker_text = "\n".join(marker_parts + [line.text for line in layout.lines])
        return RawDocument(marker_text=marker_text, pages=pages, layout=layout)
