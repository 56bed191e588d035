"""A page fed upside down or on its side (a sheet the wrong way round in the scanner or the fax, a
photo taken sideways with no EXIF tag) is read turned upright.

Asking Tesseract a page's orientation (OSD) costs about a second, as much as reading it, so only a
page that reads poorly (measured: a page read upright averages 0.86 or more, scans, faxes and
photos alike; one upside down about 0.5) or whose words were read down the page (a page on its
side reads surely, but word by word down it) is asked, and the page turned as OSD says is
kept only when it reads clearly better: OSD's guess alone never decides. OCRmyPDF's
``--rotate-pages`` asks OSD of every page instead, and turns it past a confidence of its own.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

import cv2
import numpy as np

from pipeline.extract.ocr.pages import PageImage
from pipeline.extract.ocr.tesseract import page_turn

if TYPE_CHECKING:
    from pipeline.extract.ocr import PageReading

log = logging.getLogger(__name__)

TURN_TRIED_BELOW = 0.75  # a page's mean confidence (Tesseract's own) under which its orientation is asked
TURN_CONFIDENCE = 2.0  # OSD's own scale: under it a guess
TURN_GAIN = 0.15  # of mean confidence: a turned reading this much surer is the page's reading
MIN_TURNED_WORDS = 15  # and it reads at least a few words
SIDEWAYS_WORD_LETTERS, SIDEWAYS_MIN_WORDS = 4, 10  # words long enough to be wider than tall when read across
OSD_DPI = 200.0  # a finer page tells its orientation no better, and costs more


def read_sideways(reading: PageReading) -> bool:
    """Whether a page's words were read down the page rather than across: Tesseract reads a page
    lying on its side surely (measured: 0.91), word by word, but each word's box is then taller
    than it is wide, and the lines made of them are nonsense."""
    words = [token for line in reading.lines for segment in line.segments for token in segment.tokens
             if len(token.text) >= SIDEWAYS_WORD_LETTERS and token.text.isalpha() and token.top is not None]
    if len(words) < SIDEWAYS_MIN_WORDS:
        return False
    tall = sum(1 for token in words if token.bottom - token.top > token.x1 - token.x0)
    return tall > len(words) / 2


def read_upright(page: PageImage, read: Callable[[PageImage], PageReading]) -> PageReading:
    """``read(page)``, or, when it reads poorly and OSD says the page lies turned, ``read`` of the
    page turned upright if that reads clearly better. A page read turned has no ``size``: its
    words' places are not those of the original, which the desk draws as it came."""
    reading = read(page)
    sideways = read_sideways(reading)
    if reading.confidence >= TURN_TRIED_BELOW and not sideways:
        return reading
    factor = min(1.0, OSD_DPI / page.dpi)
    pixels = page.pixels if factor == 1.0 else cv2.resize(page.pixels, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
    turn, sure = page_turn(pixels, page.dpi * factor)
    if turn == 0 or sure < TURN_CONFIDENCE:
        return reading
    # (``turn`` is clockwise; numpy turns counter-clockwise)
    turned = read(dataclasses.replace(page, pixels=np.ascontiguousarray(np.rot90(page.pixels, k=-turn // 90))))
    # (a page read down its side was read surely, but wrongly: read across once turned, and as
    # surely as a page upright, it is the page's reading)
    better = turned.confidence >= (TURN_TRIED_BELOW if sideways else reading.confidence + TURN_GAIN)
    if not better or read_sideways(turned) or turned.words < MIN_TURNED_WORDS:
        return reading
    log.debug("page %d read turned %d degrees clockwise (orientation confidence %.1f)", page.number, turn, sure)
    return dataclasses.replace(turned, size=None)
