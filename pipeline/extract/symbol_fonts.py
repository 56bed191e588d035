"""Check marks drawn with symbol fonts, whose character codes are ordinary letters and digits.

A PDF check box's appearance is a glyph of ZapfDingbats (``/MK /CA``: ``4`` a check, ``8`` a
cross, ``l`` a circle, ``n`` a square, ``u`` a diamond, ``H`` a star; PyMuPDF and MuPDF draw
``3``), and Word's Insert > Symbol boxes are Wingdings or Wingdings 2 glyphs. Once flattened or
printed, a text extractor gives the character code: the letter ``3``, ``n`` or ``þ``, or the same
code in the private-use area (U+F000 + code) when the font maps itself there. What the glyph
*is* follows from the font and the code together, so they are read together here.

The font is known by its family, whatever the subset prefix (``QYCPWV+``) or the substitute a
printer used: Ghostscript and poppler put URW's ``D050000L`` for ZapfDingbats and ``S050000L``
(``StandardSymbolsPS``) for Symbol.

Only a box glyph is a box wherever it stands (☒ ☑ ☐ ❑). A tick, a cross or a filled shape (✓ ✗ ●
■ ◆ ★) is also what Word's bullet lists print (Wingdings ✓ and ●): it is a mark only inside a
drawn box (``SYMBOL_TICK``, for ``pdf_flat._box_words``); elsewhere it is a bullet, never a tick.
A symbol font's other glyphs (arrows, telephones) are decorations, never text: they are left out,
not read as the letter their code happens to be.
"""

from __future__ import annotations

import re
from functools import lru_cache

from pipeline.extract.layout import CHECKED, UNCHECKED

DINGBATS, WINGDINGS, WINGDINGS_2, SYMBOL = "dingbats", "wingdings", "wingdings2", "symbol"

# A tick, cross or shape glyph of a symbol font: a mark inside a drawn box, a bullet elsewhere.
SYMBOL_TICK = "[symbol-tick]"
BULLET = "\u2022"
TICK = "tick"

# Family names, after the subset prefix and everything but letters and digits are taken out,
# lower-cased. Wingdings 2 before Wingdings (its name begins with the other's).
_FAMILIES = (
    ("wingdings2", WINGDINGS_2),
    ("wingdings", WINGDINGS),
    ("zapfdingbats", DINGBATS),
    ("itczapfdingbats", DINGBATS),
    ("dingbats", DINGBATS),
    ("zadb", DINGBATS),
    ("d050000l", DINGBATS),
    ("standardsymbol", SYMBOL),
    ("s050000l", SYMBOL),
    ("symbolmt", SYMBOL),
    ("symbol", SYMBOL),
)

# Per family: character code -> a checked box (True), an unchecked one (False), or a tick, cross
# or shape (TICK). Codes not listed are decorations. Adobe's ZapfDingbats encoding and
# Microsoft's Wingdings charts.
_MARKS: dict[str, dict[int, bool | str]] = {
    DINGBATS: {
        0x33: TICK, 0x34: TICK,  # ✓ ✔ (a19, a20: PyMuPDF's check, pdf-lib's and Acrobat's /CA "4")
        0x35: TICK, 0x36: TICK, 0x37: TICK, 0x38: TICK,  # ✕ ✖ ✗ ✘ (/CA "8": cross)
        0x6C: TICK, 0x6E: TICK, 0x75: TICK, 0x48: TICK,  # ● ■ ◆ ★ (/CA circle, square, diamond, star)
        0x6F: False, 0x70: False, 0x71: False, 0x72: False,  # ❏ ❐ ❑ ❒ (empty boxes)
    },
    WINGDINGS: {
        0xFC: TICK, 0xFB: TICK, 0x78: TICK,  # ✓ ✗ ⌧ (Word's check-mark bullet is 0xFC)
        0xFD: True, 0xFE: True,  # ☒ ☑
        0xA8: False, 0x6F: False, 0x71: False, 0x72: False,  # ☐ □ ❑ ❒
    },
    WINGDINGS_2: {
        0x50: TICK, 0x4F: TICK,  # ✓ ✗
        0x51: True, 0x52: True, 0x53: True, 0x54: True,  # ☒ ☑ ☒ ☒
        0xA3: False, 0x2A: False, 0xA2: False,  # ☐
    },
    SYMBOL: {
        0xD6: TICK,  # √ (the radical, typed as a tick)
        0x221A: TICK,  # √ as extractors decode the Symbol encoding
    },
}  # fmt: skip

_NOT_NAME = re.compile(r"[^0-9a-z]")


@lru_cache(maxsize=256)
def font_family(fontname: str | None) -> str | None:
    """The symbol font family of a font name (``ABCDEF+ZapfDingbats`` -> ``dingbats``), or None."""
    if not fontname:
        return None
    name = _NOT_NAME.sub("", fontname.rsplit("+", 1)[-1].casefold())
    for prefix, family in _FAMILIES:
        if name.startswith(prefix):
            return family
    return None


def symbol_mark(family: str, character: str) -> bool | str | None:
    """A checked box (True), an unchecked one (False), a tick or shape (``TICK``), or None for a
    decoration, of one character of a symbol font."""
    code = ord(character)
    if 0xF000 <= code <= 0xF0FF:  # the font's own private-use map
        code -= 0xF000
    return _MARKS[family].get(code)


@lru_cache(maxsize=4096)
def symbol_text(family: str, text: str) -> str:
    """A word of a symbol font as marks (``☒``/``☐``; a tick or shape as ``SYMBOL_TICK``),
    space-separated; empty for decorations.

    Symbol is the exception: the Symbol encoding is a Greek and mathematical alphabet that
    extractors decode into real text, so its other characters are kept as they are.
    """
    marks: list[str] = []
    kept: list[str] = []
    for character in text:
        mark = symbol_mark(family, character)
        if mark == TICK:
            marks.append(SYMBOL_TICK)
        elif mark is not None:
            marks.append(CHECKED if mark else UNCHECKED)
        elif family == SYMBOL:
            kept.append(character)
    if kept:
        return "".join(kept) if not marks else " ".join([*marks, "".join(kept)])
    return " ".join(marks)
