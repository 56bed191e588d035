"""pipeline.extract.ocr.tesseract: Debian's Tesseract run on a page, its TSV read into words with
their boxes and confidences; one thread, the page handed in a file in memory (not on its standard
input, which Tesseract reads a byte at a time), nothing written to disk, a missing program named."""

from __future__ import annotations

import os

import numpy as np
import pytest

import pipeline.extract.ocr.tesseract as tesseract
from pipeline.extract.ocr.tesseract import (
    LOWEST_HANDED_FD,
    in_memory,
    parse_tsv,
    read_words,
    tesseract_environment,
)
from tests.extract.ocr.conftest import as_pixels, drawn

TSV = (
    "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n"
    "1\t1\t0\t0\t0\t0\t0\t0\t1700\t2200\t-1\t\n"
    "5\t1\t2\t1\t1\t1\t100\t200\t80\t20\t96.5\tFirst\n"
    "5\t1\t2\t1\t1\t2\t190\t200\t70\t20\t91\tname\n"
    "5\t1\t3\t1\t1\t1\t600\t198\t90\t24\t12.0\t\"Jordan\n"
    "5\t1\t3\t1\t1\t2\t700\t198\t10\t24\t95\t \n"
)


def test_the_tsv_gives_each_word_its_box_line_and_confidence():
    words = parse_tsv(TSV)
    assert [w.text for w in words] == ["First", "name", '"Jordan']  # quotes kept as read, blanks dropped
    first = words[0]
    assert (first.x0, first.top, first.x1, first.bottom) == (100, 200, 180, 220)
    assert first.confidence == pytest.approx(0.965)
    assert first.line == (2, 1, 1) and words[2].line == (3, 1, 1)


def test_a_page_is_read_with_the_words_printed_on_it(filled_packet):
    words = read_words(as_pixels(drawn(filled_packet, 200)), 200)
    texts = [w.text for w in words]
    assert "Registration" in texts and "Jordan" in texts
    assert all(0.0 <= w.confidence <= 1.0 for w in words)
    jordan = next(w for w in words if w.text == "Jordan")
    assert jordan.confidence > 0.8


def test_tesseract_runs_on_one_thread():
    assert tesseract_environment()["OMP_THREAD_LIMIT"] == "1"


def test_the_page_is_handed_in_a_file_in_memory_not_on_standard_input(monkeypatch):
    handed = {}

    def run_tool(argv, *, stdin=None, pass_fds=(), **_):
        (fd,) = pass_fds
        assert argv[1] == f"/proc/self/fd/{fd}" and fd >= LOWEST_HANDED_FD
        with open(argv[1], "rb") as picture:  # (opened by its path, as Tesseract does)
            handed.update(stdin=stdin, picture=picture.read())
        return TSV.encode()

    monkeypatch.setattr(tesseract, "run_tool", run_tool)
    pixels = np.full((40, 60), 255, dtype=np.uint8)
    assert [w.text for w in read_words(pixels, 200)] == ["First", "name", '"Jordan']
    assert handed["stdin"] is None and handed["picture"].startswith(b"P5") and len(handed["picture"]) > 40 * 60


def test_a_file_in_memory_is_gone_once_closed():
    with in_memory(b"P5 page") as fd:
        with open(f"/proc/self/fd/{fd}", "rb") as again:
            assert again.read() == b"P5 page"
        assert not os.path.exists(os.readlink(f"/proc/self/fd/{fd}"))  # in memory: no path on any disk
    with pytest.raises(OSError):
        os.fstat(fd)
