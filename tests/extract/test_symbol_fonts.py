"""pipeline.extract.symbol_fonts: a symbol font's glyph read by its font and code together (a ZapfDingbats
``4`` is a check, a Wingdings ``þ`` a checked box), the font known by its family whatever the subset
prefix or the printer's substitute. Boxes read from real renditions: tests/extract/test_check_marks.py."""

from __future__ import annotations

import pytest

from pipeline.extract.layout import CHECKED, UNCHECKED
from pipeline.extract.symbol_fonts import (
    DINGBATS,
    SYMBOL,
    SYMBOL_TICK,
    TICK,
    WINGDINGS,
    WINGDINGS_2,
    font_family,
    symbol_mark,
    symbol_text,
)


def test_fonts_are_known_by_family_whatever_the_subset_or_substitute():
    assert font_family("QYCPWV+D050000L") == DINGBATS  # poppler's and Ghostscript's ZapfDingbats
    assert font_family("ZapfDingbats") == font_family("ZaDb") == font_family("ITC Zapf Dingbats") == DINGBATS
    assert font_family("ABCDEF+Wingdings-Regular") == WINGDINGS
    assert font_family("Wingdings2") == font_family("Wingdings 2") == WINGDINGS_2
    assert font_family("SymbolMT") == font_family("StandardSymbolsPS") == SYMBOL
    assert font_family("Helvetica") is font_family("MSGothic") is font_family(None) is None


def test_a_symbol_fonts_codes_are_marks_and_its_other_glyphs_decorations():
    # box glyphs are boxes wherever they stand
    assert symbol_text(DINGBATS, "q") == symbol_text(WINGDINGS, "\uf0a8") == symbol_text(WINGDINGS_2, "£") == UNCHECKED
    assert symbol_text(WINGDINGS, "þ") == symbol_text(WINGDINGS, "\uf0fe") == symbol_text(WINGDINGS_2, "R") == CHECKED
    # ticks, crosses and shapes are marks only inside a drawn box (``SYMBOL_TICK``): Word's
    # bullets are Wingdings ✓ and ●, and ZapfDingbats' 4 is Acrobat's check
    for family, code in ((DINGBATS, "4"), (DINGBATS, "3"), (DINGBATS, "l"), (WINGDINGS, "ü"), (WINGDINGS_2, "P"),
                         (SYMBOL, "\u221a")):
        assert symbol_text(family, code) == SYMBOL_TICK, (family, code)
    # Wingdings' bullet (l), arrow (Ø) and telephone are not letters of a value, nor marks
    assert symbol_text(WINGDINGS, "l") == symbol_text(WINGDINGS, "Ø") == symbol_text(WINGDINGS, "(") == ""
    # Symbol decodes into real characters: Greek stays text
    assert symbol_text(SYMBOL, "αβ") == "αβ"


@pytest.mark.parametrize(("family", "character", "mark"), [
    (WINGDINGS, "\uf0fe", True),  # the private-use code of a font mapped onto itself
    (WINGDINGS, "þ", True),  # the same code, where the font has no Unicode map
    (WINGDINGS, "\uf0a8", False),
    (DINGBATS, "4", TICK),
    (WINGDINGS, "Ø", None),
])
def test_a_character_is_a_box_a_tick_or_a_decoration(family, character, mark):
    assert symbol_mark(family, character) == mark


def test_marks_of_one_word_are_spaced_and_symbol_keeps_its_text_beside_them():
    assert symbol_text(WINGDINGS, "þ¨") == f"{CHECKED} {UNCHECKED}"
    assert symbol_text(SYMBOL, "\u221aαβ") == f"{SYMBOL_TICK} αβ"
