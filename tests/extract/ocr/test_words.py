"""pipeline.extract.ocr: the words recognition read, as printed: a box's side read as a quote, a
colon or a stroke is no part of a value, a single character read unsurely apart from its
line's words is a stroke or a speck, not a word, and a box read as a smudge of a word is a box."""

from __future__ import annotations

import pytest

from pipeline.extract.ocr import _as_printed, _box_like, _strays
from pipeline.extract.ocr.tesseract import OcrWord


def _word(text: str, x0: int, confidence: float = 0.95, line: tuple[int, int, int] = (1, 1, 1)) -> OcrWord:
    return OcrWord(text, x0, 100, x0 + 12 * len(text), 124, confidence, line)


@pytest.mark.parametrize(("read", "printed"), [
    ("‘Muskegon", "Muskegon"),  # the dots of a faxed box's left side
    ("'555", "555"),
    (":Parker", "Parker"),
    ("(517)", "(517)"),  # a phone's own parenthesis stays
    ("Children’s", "Children's"),  # an apostrophe inside a word stays, straight as typed
    ("O'Neil", "O'Neil"),
    ("\\Charlie", "Charlie"),  # a faxed side's dots read as a backslash, a brace or a rule's underscore
    ("{Ingham", "Ingham"),
    ("_Jordan", "Jordan"),
    ("(03/01/2027", "03/01/2027"),  # a parenthesis nothing closes
    ("(LPC)", "(LPC)"),
])
def test_a_box_side_read_before_a_word_is_dropped(read, printed):
    assert [w.text for w in _as_printed([_word(read, 10)])] == [printed]


def test_a_box_side_read_as_a_word_of_its_own_is_dropped():
    words = [_word("Weekly", 10), _word(":", 200), _word("‘", 300), _word("=", 400), _word("\\", 500)]
    assert [w.text for w in _as_printed(words)] == ["Weekly"]


def test_a_parenthesis_closed_further_on_its_line_stays():
    words = [_word("(5505", 10), _word("Example", 80), _word("(optional", 10, line=(2, 1, 1)), _word("note)", 130, line=(2, 1, 1))]
    assert [w.text for w in _as_printed(words)] == ["5505", "Example", "(optional", "note)"]


def test_a_stroke_before_a_lowercase_word_is_still_an_I():
    assert [w.text for w in _as_printed([_word("|", 10), _word("am", 30)])] == ["I", "am"]


def test_a_single_character_read_unsurely_far_from_its_words_is_a_stray():
    words = [_word("Tatum", 10), _word("Specimen", 90), _word("!", 700, confidence=0.53)]
    assert _strays(words, 1.0) == {2}


def test_a_single_character_of_the_value_is_no_stray():
    # a middle initial close to its name, a value's own digit read surely, a typed X
    assert _strays([_word("Jordan", 10), _word("J", 90, confidence=0.5), _word("Example", 110)], 1.0) == set()
    assert _strays([_word("2", 400, confidence=0.93, line=(4, 1, 1))], 1.0) == set()
    assert _strays([_word("X", 400, confidence=0.4, line=(5, 1, 1))], 1.0) == set()


def test_a_stray_is_told_by_recognition_s_own_confidence_not_the_page_s_trust():
    # on a fax every confidence is scaled by 0.8: a character read at 0.9 is no stray there
    assert _strays([_word("7", 400, confidence=0.9 * 0.8, line=(4, 1, 1))], 0.8) == set()
    assert _strays([_word("7", 400, confidence=0.5 * 0.8, line=(4, 1, 1))], 0.8) == {0}


def _at(text: str, width: int, height: int, confidence: float) -> OcrWord:
    return OcrWord(text, 100, 100, 100 + width, 100 + height, confidence, (1, 1, 1))


@pytest.mark.parametrize("read", ["V7!", "(|", "\\/|", "fi"])
def test_a_box_read_as_a_smudge_of_a_word_is_a_box(read):
    # 31 pixels square at 204 dpi: an 11-point box, its tick read as letters with little confidence
    assert _box_like(_at(read, 31, 31, 0.31), 1.0, 204)


@pytest.mark.parametrize(("read", "width", "height", "confidence"), [
    ("If", 13, 20, 0.66),  # a word's own shape
    ("V7!", 31, 31, 0.93),  # read surely: whatever it is, it was read
    ("Yes.", 31, 31, 0.4),  # four characters: a word
    ("o", 6, 6, 0.4),  # smaller than any box
])
def test_a_word_is_not_taken_for_a_box(read, width, height, confidence):
    assert not _box_like(_at(read, width, height, confidence), 1.0, 204)
