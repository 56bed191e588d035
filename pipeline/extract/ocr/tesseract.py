"""Tesseract, Debian's, run on one page: its words with their boxes and its confidence in each.

The page goes to Tesseract as an uncompressed grey picture (PGM: nothing to compress or
decompress) in a file held in memory only (Linux's memfd), and its words come back as TSV on its
standard output; nothing is written to disk. (Not on its standard input: Tesseract reads that a
byte at a time, at a tenth of its time on a page, 0.08-0.1 s.) Tesseract runs on one thread
(``OMP_THREAD_LIMIT=1``): the run already reads a document per core, and Tesseract's own threads
would only fight them for the cores.
"""

from __future__ import annotations

import csv
import fcntl
import io
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import cv2
import numpy as np

from pipeline.errors import DocumentUnreadable
from pipeline.extract.tools import ToolMissing, find_tool, run_tool

# Page segmentation: a page of forms is sparse text, labels and values in columns, read as
# blocks of their own (3, automatic) rather than as one block whose lines run across the columns.
PAGE_SEGMENTATION = 3
LINE_SEGMENTATION = 7  # a single line of text: a word read again alone
PAGE_TIMEOUT_SECONDS = 40.0
LOWEST_HANDED_FD = 10  # a file handed to Tesseract is numbered above those the shell running it uses (``tools``: 0 to 3)


@dataclass(frozen=True)
class OcrWord:
    """A word Tesseract read: its text, its box (pixels) and its confidence (0..1)."""

    text: str
    x0: int
    top: int
    x1: int
    bottom: int
    confidence: float
    line: tuple[int, int, int]  # Tesseract's (block, paragraph, line): the words it read as one line


def tesseract_environment() -> dict[str, str]:
    """The environment Tesseract runs in: one thread, and the language data where Debian puts it."""
    environment = {key: value for key, value in os.environ.items() if key in ("PATH", "HOME", "LANG", "TESSDATA_PREFIX")}
    environment["OMP_THREAD_LIMIT"] = "1"
    return environment


def read_words(pixels: np.ndarray, dpi: float, *, segmentation: int = PAGE_SEGMENTATION) -> list[OcrWord]:
    """The words Tesseract reads on a grey page drawn at ``dpi``."""
    return parse_tsv(_tesseract(pixels, dpi, ["-l", "eng", "--psm", str(segmentation), "tsv"],
                                package="tesseract-ocr and tesseract-ocr-eng", what="text recognition (Tesseract)"))


def _tesseract(pixels: np.ndarray, dpi: float, options: list[str], *, package: str, what: str) -> str:
    """What Tesseract prints on its standard output for a grey page drawn at ``dpi``, handed to it
    in a file in memory; DocumentUnreadable, saying ``what`` was being done, when it fails."""
    program = find_tool("tesseract", package)
    ok, encoded = cv2.imencode(".pgm", pixels)
    if not ok:  # pragma: no cover - a grey numpy picture always encodes
        raise ValueError("the page could not be handed to Tesseract")
    with in_memory(encoded) as fd:
        out = run_tool([program, f"/proc/self/fd/{fd}", "stdout", "--dpi", str(int(round(dpi))), *options],
                       timeout=PAGE_TIMEOUT_SECONDS, what=what, env=tesseract_environment(), pass_fds=(fd,))
    return out.decode("utf-8", errors="replace")


@contextmanager
def in_memory(data: np.ndarray | bytes) -> Iterator[int]:
    """A file held in memory only (memfd) with ``data`` in it, open as a descriptor another program
    is handed and opens by its path (``/proc/self/fd/N``); gone once closed."""
    made = os.memfd_create("psp-page", os.MFD_CLOEXEC)
    try:
        fd = fcntl.fcntl(made, fcntl.F_DUPFD_CLOEXEC, LOWEST_HANDED_FD)
    finally:
        os.close(made)
    try:
        view = memoryview(data).cast("B")
        while view:
            view = view[os.write(fd, view):]
        yield fd
    finally:
        os.close(fd)


def parse_tsv(tsv: str) -> list[OcrWord]:
    """Tesseract's TSV as words: its rows of level 5 with text in them."""
    words = []
    for row in csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE):
        if row.get("level") != "5":
            continue
        text = (row.get("text") or "").strip()
        try:
            confidence = float(row["conf"])
            left, top, width, height = (int(row[k]) for k in ("left", "top", "width", "height"))
            line = (int(row["block_num"]), int(row["par_num"]), int(row["line_num"]))
        except (KeyError, TypeError, ValueError):
            continue
        if not text or confidence < 0:
            continue
        words.append(OcrWord(text, left, top, left + width, top + height, min(confidence, 100.0) / 100.0, line))
    return words


_TURN = re.compile(r"^Rotate:\s*(\d+)\s*$", re.MULTILINE)
_TURN_CONFIDENCE = re.compile(r"^Orientation confidence:\s*([\d.]+)\s*$", re.MULTILINE)


def page_turn(pixels: np.ndarray, dpi: float) -> tuple[int, float]:
    """How far a page must be turned clockwise to stand upright (0, 90, 180 or 270 degrees), and
    how sure Tesseract's orientation detection (OSD, ``--psm 0``) is of it (its own scale: under 2
    is a guess). A page with too little text to tell, or that OSD cannot read, is (0, 0.0)."""
    try:
        out = _tesseract(pixels, dpi, ["--psm", "0"], package="tesseract-ocr and tesseract-ocr-osd",
                         what="finding the page's orientation (Tesseract)")
    except ToolMissing:
        raise
    except DocumentUnreadable:  # "Too few characters": nothing to turn by
        return 0, 0.0
    turn, sure = _TURN.search(out), _TURN_CONFIDENCE.search(out)
    if turn is None or sure is None or int(turn.group(1)) % 90:
        return 0, 0.0
    return int(turn.group(1)) % 360, float(sure.group(1))
