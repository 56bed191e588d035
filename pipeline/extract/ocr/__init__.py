"""Reading pictures of pages (scans, faxes, phone photos) with text recognition (OCR).

Each page is cleaned (``clean``: a photo's paper cut out and set square, the light evened, the
lines levelled), its rules and check boxes found in the pixels and wiped off (``marks``), and its
words read by Tesseract (``tesseract``). The words, the boxes (☒ or ☐, decided by their ink) and
any drawing no word accounts for (``[picture]``: a handwritten signature) become lines of text
by the very code that lays out a flat PDF's page (``pdf_flat.lines_of_words``), so the form's
fields are found by their printed labels in the same way. A page that reads poorly because it
lies upside down or on its side is read again turned upright (``orientation``).

Every word keeps how sure Tesseract was of it, every box how clearly it is ticked or empty: a
field's value is only as sure as its least sure word, or its label's (``labels.values``), and a
value read unsurely sends the document to a person, showing what was read and how sure.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from pipeline.errors import DocumentUnreadable
from pipeline.extract.base import RawDocument
from pipeline.extract.layout import CHECKED, PICTURE, UNCHECKED, Layout, Line
from pipeline.extract.ocr.clean import cleaned, ink
from pipeline.extract.ocr.marks import (
    ARROW_LOOKALIKES,
    BOX_SIDE_POINTS,
    UNSURE_BOX_CONFIDENCE,
    PageMarks,
    drawn_ink,
    faint_ink,
    is_arrow,
    page_marks,
    read_as_box,
    unboxed_ticks,
    without_specks,
)
from pipeline.extract.ocr.orientation import read_upright
from pipeline.extract.ocr.pages import PageImage
from pipeline.extract.ocr.tesseract import LINE_SEGMENTATION, OcrWord, read_words
from pipeline.extract.pdf_flat import lines_of_words

log = logging.getLogger(__name__)

# One thread for OpenCV in each worker, as for Tesseract: the run already reads a document a core.
cv2.setNumThreads(1)

MARKS_DPI = 150.0  # rules, boxes and drawings are looked for this fine: a stroke is still a pixel or two, for a quarter of 300 dpi's work
READ_DPI = 200.0  # Tesseract reads best with letters 20-30 pixels tall: a coarser page is enlarged to this...
# ...and a finer one made smaller to this: Tesseract's time goes with the pixels, and a 300 dpi
# scan read at 240 reads as well (measured, seed 9137: 98.4% of fields against 98.2%) in 0.8 of the time
READ_MAX_DPI = 240.0
FINE_DPI = (180.0, 250.0)  # under the first a page is coarse; under the second, one bit a pixel is a fax's
BILEVEL_BLUR_SIGMA = 0.7  # pixels at READ_DPI: a one-bit page's lost pixels filled in, its letters still apart
BROKEN_STROKES_SHARE = 0.025  # ``broken_strokes``: a fax's, not a scanner's one-bit page
BILEVEL_GREY_SHARE = 0.5  # a page whose ink is less grey than this is one bit a pixel (a fax, a copier's black and white)
FINE_TRUST, MEDIUM_TRUST, COARSE_TRUST = 0.95, 0.9, 0.8  # ``trust``: no word of a coarse page reaches 0.8
JOIN_GAP = 0.12  # of a word's height: a gap this narrow is inside a word, not between two
NOISE_CONFIDENCE = 0.1  # a "word" read less surely than this is a smudge, a speck or a stroke, not text
STRAY_CONFIDENCE = 0.7  # Tesseract's own: a character apart from its line's words read less surely...
STRAY_GAP = 1.5  # ...this many times its height apart, is a stroke or a speck
DRAWN_CONFIDENCE = 0.9  # ink on a signature line: surely there, whoever's it is
LEGIBLE_CONFIDENCE = 0.6  # a page whose words average less than this is too poor to read
MIN_LEGIBLE_WORDS = 15
TOO_POOR = (
    "the scan is too poor to read: text recognition made out {words} word{s} with {confidence:.0%} confidence on "
    "average; a person reads it, or asks the sender for a clearer scan (300 dpi, black on white) or the form "
    "filled on a computer"
)


@dataclass
class PageReading:
    """One page as read: its lines, the header and footer text set apart, its vertical rules, and
    how legible it was (words read, their mean confidence)."""

    lines: list[Line]
    removed: list[str]
    vertical: list[tuple[float, float, float]]
    words: int
    confidence: float
    # The page's size in points, in which its words' places are; None when the page read is not the
    # picture as received (a photo's sheet cut out and set square): its places would not match it.
    size: tuple[float, float] | None = None


def _coarser(pixels: np.ndarray, dpi: float) -> tuple[np.ndarray, float]:
    """The page drawn at ``MARKS_DPI`` (when finer), where its rules, boxes and drawings are looked for."""
    if dpi <= MARKS_DPI * 1.15:
        return pixels, dpi
    factor = MARKS_DPI / dpi
    return cv2.resize(pixels, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA), dpi * factor


def _for_reading(page: PageImage, wiped: np.ndarray) -> tuple[np.ndarray, float]:
    """The page as Tesseract is given it: rules and boxes wiped to paper, enlarged to ``READ_DPI``
    or made smaller to ``READ_MAX_DPI``."""
    if wiped.shape != page.pixels.shape:
        wiped = cv2.resize(wiped, (page.pixels.shape[1], page.pixels.shape[0]), interpolation=cv2.INTER_NEAREST)
    pixels = cv2.bitwise_or(page.pixels, wiped)  # (``wiped`` is 255 where it wipes, 0 elsewhere)
    # (told only of a page as coarse as a fax's: finer, a one-bit page is a scanner's or a copier's,
    # and counting its pixels would cost a tenth of Tesseract's time on it)
    if (page.source_dpi or page.dpi) < FINE_DPI[1] and is_bilevel(page) and broken_strokes(pixels) >= BROKEN_STROKES_SHARE:
        # A fax's strokes are broken by single pixels lost on the line and its edges stepped:
        # Tesseract, which learnt its letters from smooth grey ones, reads a faxed "1" as "4" or an
        # "l" as "i". Blurred by a pixel they are whole and smooth again, as on a grey scan. (A
        # scanner's one-bit page has whole strokes, and reads better as it is.)
        pixels = cv2.GaussianBlur(pixels, (0, 0), BILEVEL_BLUR_SIGMA * page.dpi / READ_DPI)
    if page.dpi > READ_MAX_DPI:
        factor = READ_MAX_DPI / page.dpi
        return cv2.resize(pixels, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA), factor
    if page.dpi >= READ_DPI * 0.9:
        return pixels, 1.0
    factor = READ_DPI / page.dpi
    return cv2.resize(pixels, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC), factor


def _word(text: str, box: tuple[float, float, float, float], points: float, confidence: float,
          size: float | None = None) -> dict[str, Any]:
    x0, top, x1, bottom = (v * points for v in box)
    return {"text": text, "x0": x0, "x1": x1, "top": top, "bottom": bottom,
            "size": size if size is not None else max(bottom - top, 1.0), "confidence": confidence}


def _joined(read: list[OcrWord]) -> list[OcrWord]:
    """Words of one line that Tesseract parted with next to no gap ("Yps ilanti", an address at its
    "@") joined again, as sure as the less sure of the two: a gap between words is a space wide."""
    out: list[OcrWord] = []
    for word in read:
        previous = out[-1] if out else None
        if (previous is not None and previous.line == word.line
                and 0 <= word.x0 - previous.x1 < JOIN_GAP * max(word.bottom - word.top, previous.bottom - previous.top)):
            out[-1] = OcrWord(previous.text + word.text, previous.x0, min(previous.top, word.top), word.x1,
                              max(previous.bottom, word.bottom), min(previous.confidence, word.confidence), word.line)
            continue
        out.append(word)
    return out


def _words(read: list[OcrWord], factor: float, points: float) -> list[dict[str, Any]]:
    """Tesseract's words in points (the page's own scale). A word's size is its line's height (from
    the tops of its capitals to the tails of its descenders, as a font's size is measured), so that
    the gaps between words are judged as on a printed page: "is" is as large as "The" beside it."""
    heights: dict[tuple[int, int, int], tuple[int, int]] = {}
    for w in read:
        top, bottom = heights.get(w.line, (w.top, w.bottom))
        heights[w.line] = (min(top, w.top), max(bottom, w.bottom))
    return [{**_word(w.text, (w.x0 / factor, w.top / factor, w.x1 / factor, w.bottom / factor), points, w.confidence,
                     size=(heights[w.line][1] - heights[w.line][0]) / factor * points), "run": w.line}
            for w in read]


# A capital I in a sans-serif font is a plain vertical stroke: recognition may read it as one of
# these. Standing alone before a word in small letters ("| will attend", "{ have"), it is "I".
_STROKES = frozenset("|{}()[]!")
# (quotes, colons, strokes and dots: what a box side's dots are read as; never how a value begins)
# (and backslashes, braces and underscores, which no value begins with; a parenthesis is a box's
# side only when nothing closes it on its line: "(517) 555-0110" and "(LPC)" keep theirs)
_STRAY_BEFORE = re.compile(r"^[‘’'\"“”|:;,.`\\{_]+(?=[^\W_])")
_STRAY_ALONE = re.compile(r"[‘’'\"“”|:;,.`~_=\\]+")
_UNCLOSED_BEFORE = re.compile(r"^[(\[](?=[^\W_])")


# Quotes as typed: on a picture a curly quote and a straight one are a few pixels apart, and
# recognition reads a straight apostrophe as a curly one ("Children’s" for "Children's").
_STRAIGHT_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})

# A box typed with brackets ("[X]", "[ ]"), its brackets read as any of their look-alikes.
_TYPED_BOX = re.compile(r"^[\[({|]\s*([xX×✗✘]?)\s*[\])}|]$")


def _as_printed(read: list[OcrWord]) -> list[OcrWord]:
    """The words as printed where recognition is known to confuse look-alikes: a vertical stroke
    for "I", a typed box's brackets for parentheses or braces, a straight quote for a curly one;
    and without the dots of a box's side that no wiping took, which recognition reads as a quote,
    a colon, a stroke or a parenthesis nothing closes before a word ("‘Muskegon", "(5505 Example
    Drive") or as a word of their own."""
    out = []
    for index, word in enumerate(read):
        text = word.text.translate(_STRAIGHT_QUOTES)
        following = read[index + 1] if index + 1 < len(read) else None
        if (text in _STROKES and following is not None and following.line == word.line
                and following.text[:1].islower()):
            text = "I"
        elif box := _TYPED_BOX.match(text):
            text = "[X]" if box.group(1) else "[ ]"
        else:
            text = _STRAY_BEFORE.sub("", text)
            if _UNCLOSED_BEFORE.match(text) and not any(
                    ")" in other.text or "]" in other.text for other in read[index:] if other.line == word.line):
                text = text[1:]
        if not text or _STRAY_ALONE.fullmatch(text):
            continue
        out.append(word if text == word.text else dataclasses.replace(word, text=text))
    return out


# A date in figures as read: its month, day and year (or day, month and year).
_DATE_IN_FIGURES = re.compile(r"^(\d{1,2})([/.-])(\d{1,2})\2(\d{2}|\d{4})$")
REREAD_SCALE = 2.0  # a word read again is enlarged this much: a faxed "1" read as "4" is read as "1" (measured, seed 9137)
REREAD_CONFIDENCE = 0.75  # two readings of a word differed: a person confirms the second


def _possible_date(text: str) -> bool:
    found = _DATE_IN_FIGURES.match(text)
    if found is None:
        return False
    first, second = int(found[1]), int(found[3])
    return (1 <= first <= 12 and 1 <= second <= 31) or (1 <= second <= 12 and 1 <= first <= 31)


def _dates_read_again(read: list[OcrWord], picture: np.ndarray, dpi: float) -> list[OcrWord]:
    """Words shaped like a date in figures that is no date ("41/20/2026": a faxed "1" read as "4"
    beside it) read again alone, enlarged (``REREAD_SCALE``), as one line: taken when they then
    read as a possible date of the same shape, less surely than either reading alone (a person
    confirms it); left as read otherwise (the date's check finds it wrong)."""
    out = []
    for word in read:
        if _DATE_IN_FIGURES.match(word.text) is None or _possible_date(word.text):
            out.append(word)
            continue
        margin = word.bottom - word.top
        crop = picture[max(0, word.top - margin) : word.bottom + margin, max(0, word.x0 - margin) : word.x1 + margin]
        enlarged = cv2.resize(crop, None, fx=REREAD_SCALE, fy=REREAD_SCALE, interpolation=cv2.INTER_CUBIC)
        again = read_words(enlarged, dpi * REREAD_SCALE, segmentation=LINE_SEGMENTATION)
        text = again[0].text if len(again) == 1 else ""
        if _possible_date(text) and len(text) == len(word.text):
            word = dataclasses.replace(word, text=text, confidence=min(word.confidence, again[0].confidence, REREAD_CONFIDENCE))
        out.append(word)
    return out


def _strays(read: list[OcrWord], trusted: float) -> set[int]:
    """The single characters recognition read unsurely far from any other word of their line (or
    on a line of their own): a box's side ("!" at a field's end), a speck or a rule's end. A
    value's own one character ("2") is read surely; a typed X is a tick."""
    strays = set()
    for index, word in enumerate(read):
        if len(word.text) != 1 or word.text in "xX" or word.confidence >= STRAY_CONFIDENCE * trusted:
            continue
        far = STRAY_GAP * (word.bottom - word.top)
        neighbours = [read[k] for k in (index - 1, index + 1) if 0 <= k < len(read) and read[k].line == word.line]
        if all(max(other.x0 - word.x1, word.x0 - other.x1) > far for other in neighbours):
            strays.add(index)
    return strays


def _box_like(word: OcrWord, trusted: float, dpi: float) -> bool:
    """A "word" of a few characters read unsurely whose bounds are a check box's (square, a box's
    size): a box recognition could not read ("V7!" for a ticked one a fax broke the outline of)."""
    width, height = word.x1 - word.x0, word.bottom - word.top
    low, high = (side * dpi / 72.0 for side in BOX_SIDE_POINTS)
    return (len(word.text) <= 3 and word.confidence < STRAY_CONFIDENCE * trusted
            and low <= min(width, height) and max(width, height) <= high and max(width, height) <= 1.2 * min(width, height))


def _trusted(word: OcrWord, trusted: float) -> OcrWord:
    return dataclasses.replace(word, confidence=word.confidence * trusted)


def _covered(marks: PageMarks, words: Iterable[OcrWord], scale: float) -> np.ndarray:
    """Where the page's ink is accounted for: its rules and boxes, and the words read (their boxes
    in the picture read, ``scale`` times the marks' pixels)."""
    covered = marks.wiped.copy()
    for word in words:
        covered[int(word.top * scale) : int(word.bottom * scale) + 1, int(word.x0 * scale) : int(word.x1 * scale) + 1] = 255
    return covered


def broken_strokes(pixels: np.ndarray) -> float:
    """How broken a page's strokes are: its single pixels of paper with ink on both sides (left and
    right, or above and below), a share of its ink. A fax loses pixels on the line (measured: 0.03
    to 0.05); a scanner's one-bit page has next to none (0.01 or less at 200 dpi)."""
    ink = pixels < 128
    across = np.zeros_like(ink)
    across[:, 1:-1] = ink[:, :-2] & ink[:, 2:]
    down = np.zeros_like(ink)
    down[1:-1] = ink[:-2] & ink[2:]
    return float(np.count_nonzero(~ink & (across | down))) / max(1, int(np.count_nonzero(ink)))


def is_bilevel(page: PageImage) -> bool:
    """Whether a page is one bit a pixel (a fax, a copier's black and white): as its file says, or
    told from its pixels."""
    if page.bilevel is not None:
        return page.bilevel
    sample = page.pixels[::5, ::5]
    # one bit a pixel: its ink black, but for the grey a drawing's smoothing puts on the edges
    # (a grey scan's ink is nearly all grey: its share is 0.8 and more, a 1-bit page's 0.25 or less)
    ink = np.count_nonzero(sample < 224)
    return bool(np.count_nonzero((sample > 32) & (sample < 224)) < BILEVEL_GREY_SHARE * max(ink, 1))


def trust(page: PageImage) -> float:
    """How far Tesseract's confidence in a page's words is to be trusted (its confidence is
    multiplied by this). Measured on scans, faxes and photos made like the real thing
    (``samples/scans.py``, the README's accuracy table): on a coarse page (under 180 dpi, or one
    bit a pixel under 250 dpi: a fax) it misreads digits (5 for 6, 4 for 1) with full confidence,
    so no word of it is sure enough to decide on alone; on a page of 180 to 250 dpi a tenth less."""
    dpi = page.source_dpi or page.dpi
    if dpi < FINE_DPI[0] or (is_bilevel(page) and dpi < FINE_DPI[1]):
        return COARSE_TRUST
    return MEDIUM_TRUST if dpi < FINE_DPI[1] else FINE_TRUST


def read_page(page: PageImage) -> PageReading:
    """One page's picture read into lines of words, boxes and drawings."""
    received_shape = page.pixels.shape
    page = cleaned(page)
    size = (page.pixels.shape[1] * 72.0 / page.dpi, page.pixels.shape[0] * 72.0 / page.dpi)
    trusted = trust(page)
    work, work_dpi = _coarser(page.pixels, page.dpi)
    work_ink = without_specks(ink(work), work_dpi)
    marks = page_marks(work_ink, faint_ink(work), work_dpi)
    picture, factor = _for_reading(page, marks.wiped)
    read = [_trusted(w, trusted) for w in _joined(_as_printed(_dates_read_again(read_words(picture, page.dpi * factor),
                                                                               picture, page.dpi * factor)))]
    scale = work_dpi / (page.dpi * factor)
    text, unread = _text_of(read, trusted, work_ink, scale, page.dpi * factor)
    work_points = 72.0 / work_dpi
    words = _words(text, factor, 72.0 / page.dpi)
    words += [_word(CHECKED if b.checked else UNCHECKED, (b.x0, b.top, b.x1, b.bottom), work_points, b.confidence)
              for b in marks.boxes]
    covered = _covered(marks, read, scale)
    words += [_word(PICTURE, box, work_points, DRAWN_CONFIDENCE) for box in drawn_ink(work_ink, covered, work_dpi)]
    # (a tick recognition read as a smudge of a word is still a tick: only words read count here)
    ticks = unboxed_ticks(work_ink, _covered(marks, text, scale), work_dpi)
    words += [_word(CHECKED, box, work_points, UNSURE_BOX_CONFIDENCE) for box in ticks]
    words += [_word(CHECKED if read_as_box(work_ink, box) else UNCHECKED, box, work_points, UNSURE_BOX_CONFIDENCE)
              for box in unread]
    horizontal = [(y * work_points, x0 * work_points, x1 * work_points) for y, x0, x1 in marks.horizontal]
    vertical = [(x * work_points, top * work_points, bottom * work_points) for x, top, bottom in marks.vertical]
    lines, removed = lines_of_words(words, horizontal, vertical, page.number)
    if lines and lines[0].top < TRANSMISSION_LINE_POINTS and is_transmission_line(lines[0].text):
        removed.append(lines.pop(0).text)
    # (how legible the page is: by Tesseract's own confidence, before ``trust``)
    confidence = float(np.mean([w.confidence for w in text])) / trusted if text else 0.0
    return PageReading(lines, removed, vertical, len(text), confidence, size if page.pixels.shape == received_shape else None)


# The line a fax machine prints across the top of each page it sends: when (a time, and a date or
# the page's number among the pages sent) and from whom ("DEC-01-2026 11:38 FROM-AGENCY 5555550110 P.1/3").
TRANSMISSION_LINE_POINTS = 36.0  # the machine prints it within the page's top half inch, above the form's own margin
_TIME = re.compile(r"(?<![\d:])[0-2]?\d:[0-5]\d(?![\d:])")
_SENT_DATE_OR_PAGE = re.compile(
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b|\b\d{1,4}[-/.]\d{1,2}[-/.]\d{2,4}\b"
    r"|\bp(?:age|g)?\.?\s*\d{1,3}\s*(?:/|of)\s*\d{1,3}\b",
    re.IGNORECASE,
)


def is_transmission_line(text: str) -> bool:
    """Whether a page's top line is the sending fax machine's: a time, with a date or a page count.
    A form's own first line (its title, an agency's letterhead) holds no time of day."""
    return bool(_TIME.search(text)) and bool(_SENT_DATE_OR_PAGE.search(text))


def _text_of(read: list[OcrWord], trusted: float, work_ink: np.ndarray, scale: float,
             read_dpi: float) -> tuple[list[OcrWord], list[tuple[int, int, int, int]]]:
    """The words read that are text, and the boxes recognition read as words (in the marks'
    pixels, ``scale`` times the picture read's). A "word" read with next to no confidence is a
    smudge or a stroke (left to the drawings), a stray character is a box's side or a speck, and
    a drop-down list's arrow the wiping missed (blurred) is no word either; a box whose outline a
    fax broke, read as a smudge of a word, is an unsure box, ticked by its ink."""
    strays = _strays(read, trusted)
    text, unread = [], []
    for index, word in enumerate(read):
        at = (word.x0 * scale, word.top * scale, word.x1 * scale, word.bottom * scale)
        if word.confidence < NOISE_CONFIDENCE or index in strays or (word.text in ARROW_LOOKALIKES and is_arrow(work_ink, at)):
            continue
        if _box_like(word, trusted, read_dpi):
            unread.append(tuple(int(round(v)) for v in at))
        else:
            text.append(word)
    return text, unread


def read_pages(pages: Iterable[PageImage]) -> RawDocument:
    """A document's pages read into one layout for the label reader; DocumentUnreadable, in plain
    words, when the pictures are too poor to read."""
    layout = Layout(wrapped=True, recognised=True)
    marker_parts: list[str] = []
    count = words = 0
    confidences: list[float] = []
    for page in pages:
        reading = read_upright(page, read_page)
        count += 1
        layout.lines.extend(reading.lines)
        layout.rules[page.number] = reading.vertical
        if reading.size is not None:
            layout.page_sizes[page.number] = reading.size
        marker_parts.extend(reading.removed)
        words += reading.words
        confidences.append(reading.confidence * reading.words)
    if count == 0:
        raise DocumentUnreadable("the file holds no pages; a person should open it")
    confidence = sum(confidences) / words if words else 0.0
    if words < MIN_LEGIBLE_WORDS or confidence < LEGIBLE_CONFIDENCE:
        raise DocumentUnreadable(TOO_POOR.format(words=words, s="" if words == 1 else "s", confidence=confidence))
    log.debug("read %d page(s) by OCR: %d words, mean confidence %.2f", count, words, confidence)
    marker_text = "\n".join(marker_parts + [line.text for line in layout.lines])
    return RawDocument(marker_text=marker_text, pages=count, layout=layout)


__all__ = ["PageImage", "PageReading", "read_page", "read_pages"]
