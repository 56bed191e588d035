"""Flat PDFs: a form printed or saved to PDF (from Word, LibreOffice, a PDF reader), or a fillable
PDF flattened. Only page content is left; pdfplumber gives its words with their positions and the
fields are found by their printed labels (``pipeline.extract.labels``).

The page becomes lines of segments: words on one visual line, split where a wide gap or a table's
cell border separates them. Check boxes count whether printed as characters (``☒ ☐ [X]``), as
glyphs of a symbol font (ZapfDingbats' ``4``, Wingdings' ``þ``: ``pipeline.extract.symbol_fonts``)
or drawn as little squares, a drawn tick or cross, a mark typed or a small picture inside meaning
checked. A small picture elsewhere (a drawn signature) reads as ``[picture]``. The footer's marker line
and page numbers are taken out of the text (the marker still says which form it is), and so are
the lines printed at the same edge of every page (an agency's letterhead, a running header or footer).
"""

from __future__ import annotations

import logging
import math
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from operator import itemgetter
from pathlib import Path
from typing import Any

import pdfplumber
from pdfminer.pdfparser import PDFSyntaxError
from pdfplumber.page import Page
from pypdf.errors import PdfReadError

from pipeline.extract.base import DocumentUnreadable, RawDocument
from pipeline.extract.layout import (
    CHECKED,
    PICTURE,
    UNCHECKED,
    Layout,
    Line,
    Segment,
    Token,
    box_mark,
    is_page_number,
    split_marks,
)
from pipeline.extract.recognise import MARKER
from pipeline.extract.symbol_fonts import BULLET, SYMBOL_TICK, font_family, symbol_text
from pipeline.model import InputKind

log = logging.getLogger(__name__)

SCANNED_REASON = (
    "scanned page, no text layer: the PDF holds pictures of its pages, which this pipeline does not read; "
    "read the values from the document, or ask the sender for the form filled on a computer (PDF or Word)"
)

BOX_MIN, BOX_MAX = 5.0, 16.0  # a drawn check box is a square this many points wide
GAP_FACTOR = 0.45  # a gap wider than this many font sizes separates two segments
OCR_GAP_FACTOR = 1.5  # ... or, between words OCR read in one line, this many
MIN_GAP = 4.0
RULE_MIN_LENGTH = 15.0
RULE_MIN_HEIGHT = 12.0  # taller than a check box's side
PARAGRAPH_GAP = 0.5  # a vertical gap wider than this many line heights is a paragraph break
# What typed inside a drawn box ticks it: beside a label these may be bullets, inside a box they are marks.
TICK_WORDS = frozenset({"x", "✔", "✓", "✗", "✘", "✕", "✖", "●", "◆", "★", "■", "√", "×", "*", "+", "/", "v", SYMBOL_TICK})
# A signature drawn or pasted as a picture is a value (``layout.PICTURE``): the form counts a drawn signature as signed.
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


def _smaller_than_a_box(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The paths or lines that could be a tick or a cross: smaller than the largest box."""
    return [i for i in items if i["x1"] - i["x0"] < BOX_MAX and i["bottom"] - i["top"] < BOX_MAX]


def _typed_tick(word: dict[str, Any]) -> bool:
    """Whether a word typed inside a box ticks it: an X, a tick, a box character checked."""
    return word["text"].casefold() in TICK_WORDS or bool(box_mark(word["text"]))


def _typed_in(box: dict[str, float], words: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The words typed inside a drawn box (within 2 points), and a symbol font's tick drawn over it."""
    # _inside(word, box, 2.0), written out: this runs for every word and every box of a page
    left, right, top, bottom = box["x0"] - 2.0, box["x1"] + 2.0, box["top"] - 2.0, box["bottom"] + 2.0
    return [w for w in words if (w["x0"] >= left and w["x1"] <= right and w["top"] >= top and w["bottom"] <= bottom)
            or (w["text"] == SYMBOL_TICK and _centred_in(w, box))]


def _drawn_tick(box: dict[str, float], marks: list[dict[str, Any]], strokes: list[dict[str, Any]]) -> bool:
    """Whether a tick or cross is drawn in the box: a path smaller than its outline, or two strokes."""
    return any(_inside(m, box) and _smaller(m, box) for m in marks) or sum(_inside(s, box) for s in strokes) >= 2


def _centred_in(item: dict[str, Any], box: dict[str, float]) -> bool:
    """Whether ``item``'s middle lies in the box: a form's check glyph is drawn at the field's own
    font size, often a little larger than its box."""
    x, y = (item["x0"] + item["x1"]) / 2, (item["top"] + item["bottom"]) / 2
    return box["x0"] - 1 <= x <= box["x1"] + 1 and box["top"] - 1 <= y <= box["bottom"] + 1


def _smaller(item: dict[str, Any], box: dict[str, float]) -> bool:
    """A path inside the box that is not the box's own outline (a tick, a cross)."""
    return (item["x1"] - item["x0"]) < (box["x1"] - box["x0"]) - 1.5 or (item["bottom"] - item["top"]) < (
        box["bottom"] - box["top"]
    ) - 1.5


def _box_words(
    page: Page, words: list[dict[str, Any]], pictures: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Words for drawn boxes (☒ when a tick or cross is drawn, typed or pictured inside, else ☐);
    words typed inside go. Returns the words and the pictures that are not inside a box."""
    boxes = _squares(page)
    if not boxes:
        return words, pictures
    marks, strokes = _smaller_than_a_box(page.curves), _smaller_than_a_box(page.lines)
    kept = list(words)
    for box in boxes:
        typed = _typed_in(box, kept)
        stamped = [p for p in pictures if _inside(p, box, 2.0)]  # a tick pasted as a small picture
        checked = _drawn_tick(box, marks, strokes) or bool(stamped) or any(map(_typed_tick, typed))
        pictures = [p for p in pictures if not any(p is q for q in stamped)]
        typed_ids = {id(w) for w in typed}
        kept = [w for w in kept if id(w) not in typed_ids]
        kept.append({**box, "text": CHECKED if checked else UNCHECKED, "size": box["bottom"] - box["top"]})
    return kept, pictures


def _pictures(page: Page) -> list[dict[str, Any]]:
    """The page's small pictures (a drawn signature, a pasted tick); larger ones are letterheads or scanned pages."""
    return [image for image in page.images
            if 0 < image["x1"] - image["x0"] <= PICTURE_MAX[0] and 0 < image["bottom"] - image["top"] <= PICTURE_MAX[1]]


def _picture_words(pictures: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A small picture (a drawn signature) stands as the word ``[picture]`` on the line of its middle."""
    words = []
    for image in pictures:
        middle = (image["top"] + image["bottom"]) / 2
        words.append({"text": PICTURE, "x0": image["x0"], "x1": image["x1"], "top": middle - 4, "bottom": middle + 4, "size": 8})
    return words


def _words(page: Page) -> list[dict[str, Any]]:
    """The page's words; a symbol font's glyphs read as the marks they draw, its decorations left out.

    Words are split where the font changes only on pages that use a symbol font (most pages have
    none, and splitting costs time): a mark is then a word of its own."""
    symbolic = any(font_family(name) for name in {char["fontname"] for char in page.chars})
    attributes = ["size", "fontname"] if symbolic else ["size"]
    words = page.extract_words(x_tolerance=1.5, y_tolerance=2, keep_blank_chars=False, extra_attrs=attributes)
    if not symbolic:
        return words
    read = []
    for word in words:
        family = font_family(word["fontname"])
        if family is None:
            read.append(word)
        elif text := symbol_text(family, word["text"]):
            read.append({**word, "text": text})
    return read


_BOX_OPENERS = {"[": "]", "(": ")"}


def _join_bracket_boxes(words: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``[`` ``]`` and ``[`` ``X`` ``]`` typed as boxes, which the page gives as separate words (a
    space inside), joined into one word (``[ ]``, ``[X]``) when they stand close on one line."""
    if not any(w["text"] in _BOX_OPENERS for w in words):
        return words  # most pages: no bracket stands alone
    out: list[dict[str, Any]] = []
    index = 0
    while index < len(words):
        word = words[index]
        closer = _BOX_OPENERS.get(word["text"])
        if closer is not None:
            for span in (2, 3):
                parts = words[index : index + span]
                if (len(parts) == span and parts[-1]["text"] == closer
                        and (span == 2 or parts[1]["text"].casefold() == "x")
                        and all(abs(p["top"] - word["top"]) < 2 and 0 <= p["x0"] - q["x1"] < 8 for q, p in zip(parts, parts[1:]))):
                    text = word["text"] + (" " if span == 2 else parts[1]["text"]) + closer
                    out.append({**word, "text": text, "x1": parts[-1]["x1"], "bottom": max(p["bottom"] for p in parts)})
                    index += span
                    break
            else:
                out.append(word)
                index += 1
            continue
        out.append(word)
        index += 1
    return out


def _split_glued_marks(words: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for word in words:
        pieces = split_marks(word["text"])
        if len(pieces) <= 1:
            if not pieces or pieces[0] == word["text"]:
                out.append(word)  # most words: nothing to split (the dicts are extract_words' own, fresh each call)
            else:
                out.append({**word, "text": pieces[0]})
            continue
        total = sum(len(p) for p in pieces) or 1
        x = word["x0"]
        width = word["x1"] - word["x0"]
        for piece in pieces:
            share = width * len(piece) / total
            out.append({**word, "text": piece, "x0": x, "x1": x + share})
            x += share
    return out


class _SortedRules:
    """Rules ``(position, start, end)`` sorted by position: the few at a range of positions are found
    by bisection, instead of every rule of the page being tried for every word gap or line (a page of
    tables has hundreds of cell borders)."""

    def __init__(self, rules: list[tuple[float, float, float]]) -> None:
        # A rule drawn at no real position (NaN, in a broken PDF) is in no range: it is left out, so
        # that the positions are in order for bisection.
        self.rules = sorted((rule for rule in rules if not math.isnan(rule[0])), key=itemgetter(0))
        self.positions = [rule[0] for rule in self.rules]

    def within(self, low: float, high: float) -> list[tuple[float, float, float]]:
        """The rules at ``low <= position <= high``."""
        if not low <= high:
            return []  # an empty range, or a bound that is NaN: no position is in it
        return self.rules[bisect_left(self.positions, low) : bisect_right(self.positions, high)]

    def crosses(self, low: float, high: float, level: float) -> bool:
        """Whether a rule at ``low <= position <= high`` reaches ``level`` (``start <= level <= end``)."""
        if not low <= high:
            return False  # as in ``within``
        positions = self.positions
        index = bisect_left(positions, low)
        while index < len(positions) and positions[index] <= high:
            _, start, end = self.rules[index]
            if start <= level <= end:
                return True
            index += 1
        return False


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


def _group_lines(words: list[dict[str, Any]]) -> list[tuple[list[dict[str, Any]], float, float]]:
    """Words on one visual line: each word joins the line whose band holds its vertical centre.
    Each line comes as its words (left to right), its top and its bottom."""
    lines: list[tuple[list[dict[str, Any]], float, float]] = []
    current: list[dict[str, Any]] = []
    top = bottom = 0.0  # the current line's band
    for word in sorted(words, key=itemgetter("top", "x0")):
        centre = (word["top"] + word["bottom"]) / 2
        if current and top - 0.5 <= centre <= bottom + 0.5:
            current.append(word)
            top = min(top, word["top"])
            bottom = max(bottom, word["bottom"])
        else:
            if current:
                lines.append((current, top, bottom))
            current, top, bottom = [word], word["top"], word["bottom"]
    if current:
        lines.append((current, top, bottom))
    by_x = itemgetter("x0")
    return [(sorted(line, key=by_x), top, bottom) for line, top, bottom in lines]


def _apart(previous: dict[str, Any], word: dict[str, Any], gap: float, size: float) -> bool:
    """Whether a gap between two words on a line parts two segments: wider than ``GAP_FACTOR`` font
    sizes. Words read by OCR carry the line Tesseract read them in (``run``): words of one run are
    one phrase unless the gap is very wide (OCR's word boxes are tight, and its gaps uneven), words
    of two runs never are (Tesseract parts a label's column from its value's)."""
    run, previous_run = word.get("run"), previous.get("run")
    if run is not None and previous_run is not None:
        return run != previous_run or gap > max(MIN_GAP, OCR_GAP_FACTOR * size)
    return gap > max(MIN_GAP, GAP_FACTOR * size)


def _segments(words: list[dict[str, Any]], vertical: _SortedRules, page: int) -> list[Segment]:
    """A line's words (left to right) as segments: split at a wide gap, or at a vertical rule
    (a cell border) between two words, level with the second."""
    segments: list[Segment] = []
    current: list[Token] = []
    previous: dict[str, Any] | None = None
    previous_size = 0.0
    for word in words:
        size = float(word.get("size") or 10.0)
        if previous is not None:
            gap = word["x0"] - previous["x1"]
            if _apart(previous, word, gap, max(previous_size, size)) or vertical.crosses(
                previous["x1"] - 1, word["x0"] + 1, (word["top"] + word["bottom"]) / 2
            ):
                segments.append(Segment(current))
                current = []
        current.append(Token(word["text"], float(word["x0"]), float(word["x1"]), confidence=word.get("confidence", 1.0),
                             top=float(word["top"]), bottom=float(word["bottom"]), page=page))
        previous, previous_size = word, size
    if current:
        segments.append(Segment(current))
    return segments


def _spans(rules: list[tuple[float, float, float]], segments: list[Segment]) -> bool:
    """Whether one of the horizontal ``rules`` runs over part of the line made of ``segments``."""
    if not rules:
        return False  # most lines: no rule just above them (and no need to work out their extent)
    x0, x1 = min(s.x0 for s in segments), max(s.x1 for s in segments)
    return any(hx0 < x1 and hx1 > x0 for _, hx0, hx1 in rules)


def page_lines(page: Page, number: int) -> tuple[list[Line], list[str], list[tuple[float, float, float]]]:
    """The page's lines, the text of the header and footer lines taken out (marker, page numbers),
    and the page's vertical rules."""
    words, pictures = _box_words(page, _split_glued_marks(_join_bracket_boxes(_words(page))), _pictures(page))
    # A symbol font's tick or shape outside any drawn box is a list's bullet, never a tick.
    words = [{**w, "text": BULLET} if w["text"] == SYMBOL_TICK else w for w in words]
    words += _picture_words(pictures)
    horizontal, vertical = _rules(page)
    lines, removed = lines_of_words(words, horizontal, vertical, number)
    return lines, removed, vertical


def lines_of_words(words: list[dict[str, Any]], horizontal: list[tuple[float, float, float]],
                   vertical: list[tuple[float, float, float]], number: int) -> tuple[list[Line], list[str]]:
    """A page's words (``text``, ``x0``, ``x1``, ``top``, ``bottom`` in points, with ``size`` and, when
    read by OCR, ``confidence``) as lines of segments, with its rules (horizontal, vertical); and the
    text of the header and footer lines taken out (marker, page numbers). A page read by OCR
    (``pipeline.extract.ocr``) is laid out by this same code."""
    horizontal_by_y, vertical_by_x = _SortedRules(horizontal), _SortedRules(vertical)
    lines: list[Line] = []
    removed: list[str] = []
    previous: Line | None = None
    for group, top, bottom in _group_lines(words):
        segments = _segments(group, vertical_by_x, number)
        texts = [s.text for s in segments]
        text = " ".join(texts)
        # (a line of one segment is a page number only if its text is: asked already)
        if MARKER.search(text) or is_page_number(text) or (len(texts) > 1 and all(is_page_number(t) for t in texts)):
            removed.append(text)
            continue
        ruled = previous is not None and _spans(horizontal_by_y.within(previous.bottom - 1, top + 1), segments)
        gap = previous is not None and top - previous.bottom > PARAGRAPH_GAP * previous.height
        line = Line(segments, top, bottom, number, f"page {number}", ruled_before=ruled, gap_before=gap or ruled)
        lines.append(line)
        previous = line
    return lines, removed


# How far from a page's top or bottom (a share of its height) an agency's letterhead, a running
# header or footer, is printed.
RUNNING_BAND = 0.15


def _running_key(line: Line, height: float) -> tuple[str, str] | None:
    """The band (top or bottom of the page) a line is printed in and its text as compared (case
    and spacing aside); None for a line in the body of the page."""
    if line.top < RUNNING_BAND * height:
        band = "top"
    elif line.bottom > (1 - RUNNING_BAND) * height:
        band = "bottom"
    else:
        return None
    return band, " ".join(line.text.split()).casefold()


def without_running_lines(lines: list[Line], page_sizes: dict[int, tuple[float, float]]) -> tuple[list[Line], list[str]]:
    """The lines without those printed at the same edge of every page of a document of two pages
    or more (an agency's letterhead, its address and phone lines, a running header or footer), and
    the text of those taken out. Printed on every page, they are never a field's value, and an
    empty field at a page's foot would otherwise read the footer (or the next page's letterhead)
    as its value. The text of a one-page document is kept: nothing tells its letterhead apart."""
    pages = sorted(page_sizes)
    if len(pages) < 2:
        return lines, []
    seen: dict[tuple[str, str], set[int]] = {}
    for line in lines:
        if line.page in page_sizes and (key := _running_key(line, page_sizes[line.page][1])) is not None:
            seen.setdefault(key, set()).add(line.page)
    running = {key for key, on in seen.items() if key[1] and on.issuperset(pages)}
    if not running:
        return lines, []
    kept, removed = [], []
    for line in lines:
        key = _running_key(line, page_sizes[line.page][1]) if line.page in page_sizes else None
        if key in running:
            removed.append(line.text)
        else:
            kept.append(line)
    return kept, removed


class FlatPdfExtractor:
    kind = InputKind.FLAT_PDF

    def read(self, path: Path, opened: Any = None) -> RawDocument:
        """Every page's words as lines for the label reader, the marker's lines set apart;
        DocumentUnreadable for a PDF that cannot be parsed or has no text at all (a scan)."""
        # pdfplumber parses the file itself (pdfminer): the pypdf reader detection used is not its own.
        try:
            with pdfplumber.open(path) as pdf:
                layout = Layout(wrapped=True)
                marker_parts: list[str] = []
                for number, page in enumerate(pdf.pages, start=1):
                    lines, removed, vertical = page_lines(page, number)
                    layout.lines.extend(lines)
                    layout.rules[number] = vertical
                    layout.page_sizes[number] = (float(page.width), float(page.height))  # its words' space
                    marker_parts.extend(removed)
                pages = len(pdf.pages)
                layout.lines, running = without_running_lines(layout.lines, layout.page_sizes)
                marker_parts.extend(running)
        except (PDFSyntaxError, PdfReadError, ValueError, KeyError, TypeError, AttributeError, RecursionError, OSError) as exc:
            raise DocumentUnreadable(f"the PDF could not be read ({type(exc).__name__})") from exc
        if not layout.lines:
            raise DocumentUnreadable(SCANNED_REASON)
        marker_text = "\n".join(marker_parts + [line.text for line in layout.lines])
        return RawDocument(marker_text=marker_text, pages=pages, layout=layout)
