"""The text of a document laid out as lines of segments, for reading fields by their printed labels.

Flat PDFs (words with their positions, from pdfplumber) and Word documents read as text
(paragraphs and table cells) are both turned into this one shape, so that one reader
(``pipeline.extract.labels``) finds labels and values in either:

* a ``Line`` is a row of text: a visual line of a PDF page, or a paragraph of a Word document (a
  table row's first paragraphs side by side, then its second ones...). It knows its page, its
  vertical extent, and whether a hard break (a ruled line, a new table row) or a soft one (a
  paragraph gap) separates it from the line above;
* a ``Segment`` is a run of words on a line with no wide gap, tab or cell border inside;
* a ``Token`` is a word, or a check box, normalised to ``☒`` (checked) or ``☐`` (unchecked).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

# A drawing on the page (a signature drawn or pasted, ink no word accounts for on a scan) stands as this word.
PICTURE = "[picture]"
CHECKED = "\u2612"  # ☒
UNCHECKED = "\u2610"  # ☐

# How check boxes print, typed or drawn, in the fonts agencies use (Wingdings' boxes extract as
# private-use characters, or as their Latin-1 look-alikes when the font has no Unicode map).
CHECKED_MARKS = frozenset(
    {"☒", "☑", "✔", "✓", "✗", "✘", "⊠", "⌧", "▣", "■", "[x]", "(x)", "[✔]", "[✓]", "\uf0fe", "\uf0fd", "\uf078", "þ", "ý"}
)
UNCHECKED_MARKS = frozenset({"☐", "□", "❏", "❑", "▢", "[]", "[ ]", "()", "( )", "\uf0a8", "\uf06f", "\uf071", "¨"})
# Characters that are marks on their own and may be glued to the word after them ("☒Full-time").
MARK_CHARACTERS = frozenset(ch for mark in CHECKED_MARKS | UNCHECKED_MARKS if len(mark) == 1 for ch in mark) - {"þ", "ý", "¨"}


@lru_cache(maxsize=1 << 14)
def box_mark(text: str) -> bool | None:
    """True for a checked box, False for an unchecked one, None for anything else."""
    # Asked of every token again and again while labels are read (``Token.mark``): answered once per text.
    key = text.strip().casefold()
    if key in CHECKED_MARKS:
        return True
    if key in UNCHECKED_MARKS:
        return False
    return None


@dataclass
class Token:
    """A word (or a box) with its horizontal extent on its line."""

    text: str
    x0: float
    x1: float
    legacy: bool = False  # the value of a Word legacy form field
    # How sure text recognition (OCR) is of the word, or of a box's state, 0..1; 1 for text a file holds as text.
    confidence: float = 1.0
    # Where the word stands on its page from the page's top (points), when it is on a page (a PDF, a
    # picture read by OCR); None in Word. Carried along only to show the value's place (``FieldValue.area``).
    top: float | None = None
    bottom: float | None = None
    page: int = 0
    # A word of a row of options exactly as the official blank Word form prints it, its boxes
    # deleted (``official_forms``): the form's print, not options written out.
    printed: bool = False

    @property
    def mark(self) -> bool | None:
        """True for a checked box, False for an unchecked one, None for a word."""
        return box_mark(self.text)


@dataclass
class Segment:
    tokens: list[Token]

    @property
    def x0(self) -> float:
        """Where the segment starts: its first token's left edge."""
        return self.tokens[0].x0

    # (lists, not generators, in these: asked for very often, of a few tokens each)
    @property
    def x1(self) -> float:
        """Where the segment ends: its rightmost token's right edge."""
        return max([t.x1 for t in self.tokens])

    @property
    def text(self) -> str:
        """The segment's tokens joined by spaces."""
        return " ".join([t.text for t in self.tokens])


@dataclass
class Line:
    segments: list[Segment]
    top: float
    bottom: float
    page: int
    where: str
    row: str | None = None  # the table row it belongs to (Word); None outside tables and in PDFs
    ruled_before: bool = False  # a ruled line or a new table row separates it from the line above
    gap_before: bool = False  # a paragraph gap separates it from the line above
    cells: list[tuple[float, float]] = field(default_factory=list)  # a Word table row's cells, empty ones too

    @property
    def text(self) -> str:
        """The line's segments joined by spaces."""
        return " ".join([s.text for s in self.segments])

    @property
    def height(self) -> float:
        """The line's height, at least 1 (gaps between lines are measured in it)."""
        return max(self.bottom - self.top, 1.0)


@dataclass
class Layout:
    lines: list[Line] = field(default_factory=list)
    # True for a page's visual lines (a value wrapped over lines is one text: joined with a space);
    # False for a Word document's paragraphs (each a line of the value: joined with a line break).
    wrapped: bool = True
    # A PDF page's vertical rules (x, top, bottom): table borders and box edges bound its columns.
    rules: dict[int, list[tuple[float, float, float]]] = field(default_factory=dict)
    # Its words were read off pictures of the pages by text recognition (OCR): each carries its confidence.
    recognised: bool = False
    # Each page's size in points (width, height) as it is shown, where its words' places are known.
    page_sizes: dict[int, tuple[float, float]] = field(default_factory=dict)
    # The label readings made of it, by form (``pipeline.extract.labels.read_labels``).
    readings: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@lru_cache(maxsize=1 << 16)
def split_marks(text: str) -> tuple[str, ...]:
    """Split box characters off the words they are glued to, and join ``[ X ]`` into one mark."""
    # Asked for every word of every page, and the same words come back page after page: split once each
    # (a tuple, so that no caller can change what the next one gets).
    pieces: list[str] = []
    for word in text.split():
        start = 0
        while start < len(word) and word[start] in MARK_CHARACTERS:
            pieces.append(word[start])
            start += 1
        end = len(word)
        tail: list[str] = []
        while end > start and word[end - 1] in MARK_CHARACTERS:
            tail.insert(0, word[end - 1])
            end -= 1
        if end > start:
            pieces.append(word[start:end])
        pieces.extend(tail)
    return tuple(join_bracket_marks(pieces))


_OPENERS = {"[": "]", "(": ")"}


def join_bracket_marks(words: list[str]) -> list[str]:
    """``[`` ``X`` ``]`` -> ``[X]``; ``[`` ``]`` -> ``[ ]``: boxes typed with brackets."""
    out: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        closer = _OPENERS.get(word)
        if closer and i + 1 < len(words) and words[i + 1] == closer:
            out.append(word + " " + closer)
            i += 2
            continue
        if closer and i + 2 < len(words) and words[i + 1].casefold() == "x" and words[i + 2] == closer:
            out.append(word + words[i + 1] + closer)
            i += 3
            continue
        out.append(word)
        i += 1
    return out


def tokens_between(text: str, x0: float, x1: float, *, legacy: bool = False) -> list[Token]:
    """Tokens of ``text`` spread evenly over ``[x0, x1]`` (for text whose word positions are not known)."""
    words = split_marks(text)
    if not words:
        return []
    step = (x1 - x0) / len(words)
    return [Token(w, x0 + i * step, x0 + (i + 1) * step, legacy) for i, w in enumerate(words)]


_PAGE_NUMBER = re.compile(r"^\s*page\s+\d+\s+of\s+\d+\s*$", re.IGNORECASE)


def is_page_number(text: str) -> bool:
    """Whether a line is only "Page N of M": taken out of the text, never a value."""
    return bool(_PAGE_NUMBER.match(text))
