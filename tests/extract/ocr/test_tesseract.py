"""pipeline.extract.ocr.tesseract: Debian's Tesseract run on a page, its TSV read into words with
their boxes and confidences; one thread, nothing written to disk, a missing program named."""

from __future__ import annotations

import pytest

from pipeline.extract.ocr.tesseract import parse_tsv, read_words, tesseract_environment
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
