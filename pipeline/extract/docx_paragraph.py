"""One Word paragraph read as lines (line breaks) of segments (tabs) of text: its runs, its check
boxes (typed, content controls, symbols from Wingdings, legacy check box fields), its pictures, and
its legacy form fields, shown by their value (a text field its text, a drop-down its chosen entry)
and collected by name. A complex field may begin in one paragraph and end in another: the reader
keeps the fields open between paragraphs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

from docx.oxml.ns import qn
from lxml import etree

from pipeline.extract.docx_kind import W14_CHECKBOX, W14_CHECKED, W14_VAL
from pipeline.extract.layout import CHECKED, UNCHECKED
from pipeline.extract.symbol_fonts import (
    TICK,
    WINGDINGS,
    WINGDINGS_2,
    font_family,
    symbol_mark,
)

MC_ALTERNATE = "{http://schemas.openxmlformats.org/markup-compatibility/2006}AlternateContent"

_SKIP = {qn("w:rPr"), qn("w:pPr"), qn("w:sdtPr"), qn("w:del"), qn("w:delText"), qn("w:txbxContent"), MC_ALTERNATE}

# WordprocessingML tags and attributes, qualified once (the layout walks every element of the body).
_W_BR = qn("w:br")
_W_CHAR = qn("w:char")
_W_CHECKBOX = qn("w:checkBox")
_W_CHECKED = qn("w:checked")
_W_CR = qn("w:cr")
_W_DDLIST = qn("w:ddList")
_W_DEFAULT = qn("w:default")
_W_DRAWING = qn("w:drawing")
_W_FFDATA = qn("w:ffData")
_W_FLDCHAR = qn("w:fldChar")
_W_FLDCHARTYPE = qn("w:fldCharType")
_W_INSTRTEXT = qn("w:instrText")
_W_LISTENTRY = qn("w:listEntry")
_W_NAME = qn("w:name")
_W_NOBREAKHYPHEN = qn("w:noBreakHyphen")
_W_PICT = qn("w:pict")
_W_RESULT = qn("w:result")
_W_SDT = qn("w:sdt")
_W_SDTCONTENT = qn("w:sdtContent")
_W_SDTPR = qn("w:sdtPr")
_W_SYM = qn("w:sym")
_W_FONT = qn("w:font")
_W_T = qn("w:t")
_W_TAB = qn("w:tab")
_W_TXBXCONTENT = qn("w:txbxContent")
_W_VAL = qn("w:val")
_LAYOUT_TAGS = {_W_TAB, _W_BR, _W_CR}  # what lays text out: a tab, a line break


def _checked_attr(element: etree._Element | None, default: bool) -> bool:
    if element is None:
        return default
    value = element.get(_W_VAL)
    return default if value is None else value.lower() in ("1", "true", "on")


def _box(checked: bool) -> str:
    """A box as the text of a line: spaced from the words around it."""
    return " " + (CHECKED if checked else UNCHECKED) + " "


@dataclass
class _Field:
    """A complex field being read (``w:fldChar`` begin ... separate ... end)."""

    ff_data: etree._Element | None
    instruction: str = ""
    in_result: bool = False

    @property
    def kind(self) -> str:
        return self.instruction.strip().split(" ", 1)[0].upper() if self.instruction.strip() else ""


@dataclass
class _Piece:
    text: str
    legacy: bool = False
    source: etree._Element | None = None  # the ``w:t`` it was read from, for ``emphasised``

    @property
    def emphasised(self) -> bool:
        """Whether its run is highlighted, shaded, struck, underlined or bold: a way to mark an
        option too. Asked only of a row that reads as the form's print, not of every text."""
        return self.source is not None and _emphasised(self.source)


@dataclass
class _Paragraph:
    """A paragraph as lines (line breaks) of segments (tabs) of pieces."""

    lines: list[list[list[_Piece]]] = field(default_factory=lambda: [[[]]])

    def add(self, text: str, legacy: bool = False, source: etree._Element | None = None) -> None:
        self.lines[-1][-1].append(_Piece(text, legacy, source))

    def tab(self) -> None:
        self.lines[-1].append([])

    def newline(self) -> None:
        self.lines.append([[]])


def _ff_value(ff_data: etree._Element, kind: str) -> str | bool | None:
    if kind == "FORMCHECKBOX":
        box = ff_data.find(_W_CHECKBOX)
        if box is None:
            return None
        checked = box.find(_W_CHECKED)
        if checked is not None:
            return _checked_attr(checked, True)
        return _checked_attr(box.find(_W_DEFAULT), False)
    if kind == "FORMDROPDOWN":
        listing = ff_data.find(_W_DDLIST)
        if listing is None:
            return None
        entries = [e.get(_W_VAL, "") for e in listing.findall(_W_LISTENTRY)]
        chosen = listing.find(_W_RESULT)
        if chosen is None:
            chosen = listing.find(_W_DEFAULT)
        index = int(chosen.get(_W_VAL, "0")) if chosen is not None else 0
        return entries[index] if 0 <= index < len(entries) else None
    return None


def _symbol_box(font: str | None, char: str | None) -> bool | None:
    """A box inserted as a symbol (Insert > Symbol, ``w:sym``): checked, unchecked, or None for any
    other symbol; read by its font and code (``symbol_fonts``). A tick typed as a symbol is one (a
    list's bullets are numbering, never ``w:sym``). Without a font, Wingdings, then Wingdings 2."""
    try:
        character = chr(int(char or "", 16))
    except ValueError:
        return None
    family = font_family(font)
    for candidate in ([family] if family else [WINGDINGS, WINGDINGS_2]):
        mark = symbol_mark(candidate, character)
        if mark is not None:
            return True if mark == TICK else bool(mark)
    return None


_EMPHASIS = tuple(qn(f"w:{tag}") for tag in ("highlight", "shd", "strike", "dstrike", "u", "b"))
_W_RPR = qn("w:rPr")


def _emphasised(text: etree._Element) -> bool:
    """Whether a text's run is highlighted, shaded, struck, underlined or bold (set on, not off)."""
    run = text.getparent()
    properties = run.find(_W_RPR) if run is not None else None
    if properties is None:
        return False
    for tag in _EMPHASIS:
        found = properties.find(tag)
        if found is not None and found.get(_W_VAL, "true").lower() not in ("0", "false", "none", "off"):
            return True
    return False


class ParagraphReader:
    """Reads paragraphs (``paragraph``), keeping the legacy form fields open across them, and their
    values by name (``legacy``)."""

    def __init__(self) -> None:
        self.fields: list[_Field] = []
        self.legacy: dict[str, str | bool | None] = {}
        self._text_field_parts: list[str] = []

    def _walk(self, element: etree._Element, paragraph: _Paragraph) -> None:
        """Read an element's children into ``paragraph``: each by its tag (``_READERS``); any other
        (a run, a hyperlink, a smart tag...) by what it holds. Inside a field's instruction a tab or
        a break is the instruction's, and is not read as one."""
        for child in element:
            tag = child.tag
            if not isinstance(tag, str) or tag in _SKIP:
                continue
            read = None if tag in _LAYOUT_TAGS and self._in_instruction() else self._READERS.get(tag)
            if read is None:
                self._walk(child, paragraph)
            else:
                read(self, child, paragraph)

    def _in_instruction(self) -> bool:
        """Inside a field's code (``FORMTEXT``...), before its result: nothing there is the text."""
        return bool(self.fields) and not self.fields[-1].in_result

    def _in_text_field(self) -> bool:
        """Inside a legacy text field: its text is the field's value too."""
        return bool(self.fields) and self.fields[-1].kind == "FORMTEXT"

    def _content_control(self, sdt: etree._Element, paragraph: _Paragraph) -> None:
        """A checkbox content control as its box; any other as its content."""
        properties = sdt.find(_W_SDTPR)
        box = properties.find(W14_CHECKBOX) if properties is not None else None
        if box is not None:
            state = box.find(W14_CHECKED)
            paragraph.add(_box(state is not None and state.get(W14_VAL, "0").lower() in ("1", "true", "on")))
            return
        content = sdt.find(_W_SDTCONTENT)
        if content is not None:
            self._walk(content, paragraph)

    def _instruction_text(self, element: etree._Element, paragraph: _Paragraph) -> None:
        """A field's code, kept to tell its kind."""
        if self._in_instruction():
            self.fields[-1].instruction += element.text or ""

    def _text(self, element: etree._Element, paragraph: _Paragraph) -> None:
        """Text (``w:t``), a legacy text field's value too when inside one."""
        if self._in_instruction():
            return
        legacy = self._in_text_field()
        paragraph.add(element.text or "", legacy, element)
        if legacy:
            self._text_field_parts.append(element.text or "")

    def _tab(self, element: etree._Element, paragraph: _Paragraph) -> None:
        """A tab starts a segment."""
        paragraph.tab()

    def _line_break(self, element: etree._Element, paragraph: _Paragraph) -> None:
        """A line break starts a line (and a line of a legacy text field's value)."""
        paragraph.newline()
        if self._in_text_field():
            self._text_field_parts.append("\n")

    def _no_break_hyphen(self, element: etree._Element, paragraph: _Paragraph) -> None:
        """A hyphen Word keeps apart from the text (``w:noBreakHyphen``)."""
        paragraph.add("-")

    def _symbol(self, element: etree._Element, paragraph: _Paragraph) -> None:
        """A box inserted as a symbol (``_symbol_box``); other symbols are not text."""
        state = _symbol_box(element.get(_W_FONT), element.get(_W_CHAR))
        if state is not None:
            paragraph.add(_box(state))

    def _picture(self, element: etree._Element, paragraph: _Paragraph) -> None:
        """A picture (a drawn signature...) is seen as one; a text box's text is not the body's."""
        if element.find(".//" + _W_TXBXCONTENT) is None:
            paragraph.add(" [picture] ")

    def _field_char(self, element: etree._Element, paragraph: _Paragraph) -> None:
        """A complex field begins, shows its result, or ends: at its end a legacy field is shown by
        its value (a check box as a box, a drop-down as its entry) and its value kept by name."""
        kind = element.get(_W_FLDCHARTYPE)
        if kind == "begin":
            self.fields.append(_Field(element.find(_W_FFDATA)))
        elif kind == "separate" and self.fields:
            current = self.fields[-1]
            current.in_result = True
            if current.kind == "FORMTEXT":
                self._text_field_parts = []
        elif kind == "end" and self.fields:
            current = self.fields.pop()
            if current.ff_data is None:
                return
            name_element = current.ff_data.find(_W_NAME)
            name = name_element.get(_W_VAL) if name_element is not None else None
            if current.kind == "FORMTEXT":
                value: str | bool | None = "".join(self._text_field_parts).strip()
            else:
                value = _ff_value(current.ff_data, current.kind)
                if current.kind == "FORMCHECKBOX" and value is not None:
                    paragraph.add(_box(bool(value)), True)
                elif current.kind == "FORMDROPDOWN" and value:
                    paragraph.add(" " + str(value) + " ", True)
            if name:
                self.legacy.setdefault(name, value)

    # How each element a paragraph holds is read (``_walk``).
    _READERS: ClassVar[dict[str, Callable[[ParagraphReader, etree._Element, _Paragraph], None]]] = {
        _W_SDT: _content_control,
        _W_FLDCHAR: _field_char,
        _W_INSTRTEXT: _instruction_text,
        _W_T: _text,
        _W_TAB: _tab,
        _W_BR: _line_break,
        _W_CR: _line_break,
        _W_NOBREAKHYPHEN: _no_break_hyphen,
        _W_SYM: _symbol,
        _W_DRAWING: _picture,
        _W_PICT: _picture,
    }

    def paragraph(self, p: etree._Element) -> _Paragraph:
        """One ``w:p`` as text with its tabs, breaks, boxes and fields (a table cell's, a footer's)."""
        paragraph = _Paragraph()
        if self._in_text_field() and self.fields[-1].in_result and self._text_field_parts:
            self._text_field_parts.append("\n")  # a legacy text field's value goes on in a new paragraph
        self._walk(p, paragraph)
        return paragraph
