"""Word forms: the values of content controls (``w:sdt``), found by their tag.

Text, drop-down, date and checkbox controls; inline controls (in a paragraph), block controls
(around paragraphs) and cell controls alike. A control still showing its placeholder is empty,
whether Word marked it (``w:showingPlcHdr``) or the placeholder text was left behind as text.

Agencies also type over the form: a control deleted and its value typed in its place, or typed
beside it. So the document's text is read too (``layout``), and fields are found by their printed
labels as well; ``pipeline.extract.combine`` decides between a control and the text beside it.
That second reading is two thirds of the cost of a Word form, and it can find nothing when the
form's own text is untouched: a document whose text outside its controls, and whose controls'
order, are exactly those of an official blank form (``official_forms``, recorded by
``samples/make_forms.py``) has nothing typed beside a control, and is read by its controls alone.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from docx.document import Document
from docx.oxml.ns import nsmap, qn
from lxml import etree

from pipeline.extract.base import RawDocument
from pipeline.extract.docx_kind import W14_CHECKBOX, W14_CHECKED, W14_VAL, open_docx
from pipeline.extract.docx_text import DocxLayoutBuilder
from pipeline.extract.official_forms import official_form_fingerprints
from pipeline.model import FieldValue, InputKind, ReadMethod

# Placeholders Word shows in empty controls; a control showing one holds nothing.
PLACEHOLDERS = frozenset(
    {
        "click or tap here to enter text.",
        "click or tap to enter a date.",
        "choose an item.",
        "click here to enter text.",
        "click here to enter a date.",
        "enter text.",
    }
)


# Everything outside the controls that could carry a value (text, symbols, field codes), and the
# tag of each outermost control, in document order (lxml's XPath: the walk is done in C).
_FORM_TEXT = etree.XPath(
    ".//w:t[not(ancestor::w:sdt)] | .//w:sym[not(ancestor::w:sdt)] | .//w:instrText[not(ancestor::w:sdt)]"
    " | .//w:drawing[not(ancestor::w:sdt)] | .//w:pict[not(ancestor::w:sdt)]"
    " | .//w:sdt[not(ancestor::w:sdt)]/w:sdtPr/w:tag",
    namespaces={"w": nsmap["w"]},
)
_W_T, _W_SYM, _W_INSTR, _W_TAG = qn("w:t"), qn("w:sym"), qn("w:instrText"), qn("w:tag")


def form_text_fingerprint(body: etree._Element) -> str:
    """A digest of a Word form's own text: what stands outside its content controls (whitespace
    left out, so that Word's way of splitting runs and lines does not count) and where each
    control stands in it. Equal to an official blank form's when nothing was typed outside a control."""
    parts = []
    for node in _FORM_TEXT(body):
        if node.tag == _W_T or node.tag == _W_INSTR:
            parts.append("".join((node.text or "").split()))
        elif node.tag == _W_TAG:
            parts.append("\x00" + (node.get(qn("w:val")) or ""))
        elif node.tag == _W_SYM:
            parts.append("\x01" + (node.get(qn("w:char")) or ""))
        else:
            parts.append("\x03")  # a picture
    return hashlib.sha256("\x02".join(parts).encode("utf-8")).hexdigest()


_W_P, _W_BR, _W_CR, _W_TAB = qn("w:p"), qn("w:br"), qn("w:cr"), qn("w:tab")


def _control_text(content: etree._Element) -> str:
    """The text of a control's content: paragraphs and breaks become line breaks, tabs spaces."""
    paragraphs: list[str] = []
    current: list[str] = []
    for node in content.iter(_W_T, _W_BR, _W_CR, _W_TAB, _W_P):
        tag = node.tag
        if tag == _W_P:
            if current:
                paragraphs.append("".join(current))
            current = []
        elif tag == _W_T:
            current.append(node.text or "")
        elif tag == _W_TAB:
            current.append(" ")
        else:
            current.append("\n")
    if current:
        paragraphs.append("".join(current))
    return "\n".join(paragraphs)


class _Locations:
    """Where each control stands ("table 2 row 5", "paragraph 7"): the tables and their rows are
    numbered once per document, not again for each of its controls."""

    def __init__(self, body: etree._Element) -> None:
        self.body = body
        self._tables: dict[etree._Element, int] | None = None
        self._rows: dict[etree._Element, dict[etree._Element, int]] = {}

    def of(self, sdt: etree._Element) -> str:
        cell = next(sdt.iterancestors(qn("w:tc")), None)
        if cell is not None:
            row = next(cell.iterancestors(qn("w:tr")))
            table = next(row.iterancestors(qn("w:tbl")))
            if self._tables is None:
                self._tables = {t: i for i, t in enumerate(self.body.iter(qn("w:tbl")), start=1)}
            rows = self._rows.get(table)
            if rows is None:
                rows = self._rows[table] = {r: i for i, r in enumerate(table.iterchildren(qn("w:tr")), start=1)}
            if row not in rows:
                raise ValueError("a table row of the form is not a row of its table")
            return f"table {self._tables.get(table, 0)} row {rows[row]}"
        top = sdt
        for ancestor in sdt.iterancestors():
            if ancestor is self.body:
                break
            top = ancestor
        return f"paragraph {self.body.index(top) + 1}"


_W_SDT_PR, _W_SDT_CONTENT, _W_PLACEHOLDER = qn("w:sdtPr"), qn("w:sdtContent"), qn("w:showingPlcHdr")


def _control_value(sdt: etree._Element) -> str | bool | None:
    properties = sdt.find(_W_SDT_PR)
    content = sdt.find(_W_SDT_CONTENT)
    if properties is not None:
        checkbox = properties.find(W14_CHECKBOX)
        if checkbox is not None:
            checked = checkbox.find(W14_CHECKED)
            return checked is not None and checked.get(W14_VAL, "0").lower() in ("1", "true", "on")
        if properties.find(_W_PLACEHOLDER) is not None:
            return None
    text = _control_text(content) if content is not None else ""
    if text.strip().casefold() in PLACEHOLDERS:
        return None
    if not text.strip() and properties is not None:
        # The text shows what the person chose; the date Word stored is the fallback when it is gone.
        date_control = properties.find(qn("w:date"))
        if date_control is not None and date_control.get(qn("w:fullDate")):
            return date_control.get(qn("w:fullDate"))[:10]
    return text


class WordFormExtractor:
    kind = InputKind.WORD_FORM

    def read(self, path: Path, opened: Document | None = None) -> RawDocument:
        """The content controls by their tags, the footers' text for the marker, and the text
        typed beside the controls (none when the form is untouched)."""
        document = opened if opened is not None else open_docx(path)  # opened already to tell its kind
        body = document.element.body
        widgets: dict[str, FieldValue] = {}
        locations = _Locations(body)
        tag_path, val = f"{qn('w:sdtPr')}/{qn('w:tag')}", qn("w:val")
        for sdt in body.iter(qn("w:sdt")):
            tag = sdt.find(tag_path)
            key = tag.get(val) if tag is not None else None
            if not key or key in widgets:
                continue
            widgets[key] = FieldValue(
                key=key,
                value=_control_value(sdt),
                method=ReadMethod.CONTENT_CONTROL,
                location=locations.of(sdt),
                confidence=1.0,
            )

        footer_text: list[str] = []
        for section in document.sections:
            for footer in (section.footer, section.first_page_footer, section.even_page_footer):
                if not footer.is_linked_to_previous or section is document.sections[0]:
                    footer_text.append(_control_text(footer._element))
        # An untouched official form has nothing beside its controls for the labels to find.
        untouched = form_text_fingerprint(body) in official_form_fingerprints()
        layout = None if untouched else DocxLayoutBuilder().build(body)
        return RawDocument(widgets=widgets, marker_text="\n".join(footer_text), layout=layout)
