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

A symbol font's other glyphs (Wingdings' bullets, arrows and telephones) are decorations, never
text: they are left out, not read as the letter their code happens to be.
"""

from __future__ import annotations

import re
from functools import lru_cache

from pipeline.extract.layout import CHECKED, UNCHECKED

DINGBATS, WINGDINGS, WINGDINGS_2, SYMBOL = "dingbats", "wingdings", "wingdings2", "symbol"

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

# Per family: character code -> checked (True) or unchecked (False). Codes not listed are
# decorations. Adobe's ZapfDingbats encoding and Microsoft's Wingdings charts.
_MARKS: dict[str, dict[int, bool]] = {
    DINGBATS: {
        0x33: True, 0x34: True,  # ✓ ✔ (a19, a20: PyMuPDF's and pdf-lib's /CA "4" check)
        0x35: True, 0x36: True, 0x37: True, 0x38: True,  # ✕ ✖ ✗ ✘ (/CA "8": cross)
        0x6C: True, 0x6E: True, 0x75: True, 0x48: True,  # ● ■ ◆ ★ (/CA circle, square, diamond, star)
        0x6F: False, 0x70: False, 0x71: False, 0x72: False,  # ❏ ❐ ❑ ❒ (empty boxes)
        0x6D: False,  # ❍ (an empty circle)
    },
    WINGDINGS: {
        0xFC: True, 0xFB: True, 0xFD: True, 0xFE: True, 0x78: True,  # ✓ ✗ ☒ ☑ ⌧
        0xA8: False, 0x6F: False, 0x71: False, 0x72: False,  # ☐ □ ❑ ❒
    },
    WINGDINGS_2: {
        0x50: True, 0x4F: True, 0x51: True, 0x52: True, 0x53: True, 0x54: True,  # ✓ ✗ ☒ ☑ ☒ ☒
        0xA3: False, 0x2A: False, 0xA2: False,  # ☐
    },
    SYMBOL: {
        0xD6: True,  # √ (the radical, typed as a tick)
        0x221A: True,  # √ as extractors decode the Symbol encoding
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


def symbol_mark(family: str, character: str) -> bool | None:
    """Checked (True), unchecked (False), or None for a decoration, of one character of a symbol font."""
    code = ord(character)
    if 0xF000 <= code <= 0xF0FF:  # the font's own private-use map
        code -= 0xF000
    return _MARKS[family].get(code)


@lru_cache(maxsize=4096)
def symbol_text(family: str, text: str) -> str:
    """A word of a symbol font as marks (``☒``/``☐``, space-separated); empty for decorations.

    Symbol is the exception: the Symbol encoding is a Greek and mathematical alphabet that
    extractors decode into real text, so its other characters are kept as they are.
    """
    marks: list[str] = []
    kept: list[str] = []
    for character in text:
        mark = symbol_mark(family, character)
        if mark is not None:
            marks.append(CHECKED if mark else UNCHECKED)
        elif family == SYMBOL:
            kept.append(character)
    if kept:
        return "".join(kept) if not marks else " ".join([*marks, "".join(kept)])
    return " ".join(marks)
