"""Word forms: the values of content controls (``w:sdt``), found by their tag.

Text, drop-down, date and checkbox controls; inline controls (in a paragraph), block controls
(around paragraphs) and cell controls alike. A control still showing its placeholder is empty,
whether Word marked it (``w:showingPlcHdr``) or the placeholder text was left behind as text.

Agencies also type over the form: a control deleted and its value typed in its place, or typed
beside it. So the document's text is read too (``layout``), and fields are found by their printed
labels as well; ``pipeline.extract.combine`` decides between a control and the text beside it.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import docx
from docx.opc.exceptions import PackageNotFoundError
from docx.oxml.ns import qn
from lxml import etree

from pipeline.extract.base import DocumentUnreadable, RawDocument
from pipeline.extract.docx_kind import DocxKind, docx_kind, is_docx
from pipeline.extract.docx_text import DocxLayoutBuilder
from pipeline.model import FieldValue, InputKind, ReadMethod

W14_NS = "http://schemas.microsoft.com/office/word/2010/wordml"
W14_CHECKBOX = f"{{{W14_NS}}}checkbox"
W14_CHECKED = f"{{{W14_NS}}}checked"
W14_VAL = f"{{{W14_NS}}}val"

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


def _control_text(content: etree._Element) -> str:
    """The text of a control's content: paragraphs and breaks become line breaks, tabs spaces."""
    paragraphs: list[str] = []
    current: list[str] = []
    for node in content.iter(qn("w:t"), qn("w:br"), qn("w:cr"), qn("w:tab"), qn("w:p")):
        if node.tag == qn("w:p"):
            if current:
                paragraphs.append("".join(current))
            current = []
        elif node.tag == qn("w:t"):
            current.append(node.text or "")
        elif node.tag == qn("w:tab"):
            current.append(" ")
        else:
            current.append("\n")
    if current:
        paragraphs.append("".join(current))
    return "\n".join(paragraphs)


def _location(sdt: etree._Element, body: etree._Element) -> str:
    cell = next(sdt.iterancestors(qn("w:tc")), None)
    if cell is not None:
        row = next(cell.iterancestors(qn("w:tr")))
        table = next(row.iterancestors(qn("w:tbl")))
        tables = body.findall(".//" + qn("w:tbl"))
        table_no = next((i for i, t in enumerate(tables, start=1) if t is table), 0)
        row_no = list(table.iterchildren(qn("w:tr"))).index(row) + 1
        return f"table {table_no} row {row_no}"
    top = sdt
    for ancestor in sdt.iterancestors():
        if ancestor is body:
            break
        top = ancestor
    return f"paragraph {body.index(top) + 1}"


def _control_value(sdt: etree._Element) -> str | bool | None:
    properties = sdt.find(qn("w:sdtPr"))
    content = sdt.find(qn("w:sdtContent"))
    if properties is not None:
        checkbox = properties.find(W14_CHECKBOX)
        if checkbox is not None:
            checked = checkbox.find(W14_CHECKED)
            return checked is not None and checked.get(W14_VAL, "0").lower() in ("1", "true", "on")
        if properties.find(qn("w:showingPlcHdr")) is not None:
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

    def sniff(self, path: Path, head: bytes) -> bool:
        # A Word file with none of the form's controls left is read as text (docx_kind decides).
        return is_docx(path, head) and docx_kind(path) is DocxKind.FORM

    def read(self, path: Path) -> RawDocument:
        try:
            document = docx.Document(str(path))
        except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, etree.XMLSyntaxError) as exc:
            raise DocumentUnreadable(f"the Word file could not be opened ({type(exc).__name__})") from exc

        body = document.element.body
        widgets: dict[str, FieldValue] = {}
        for sdt in body.iter(qn("w:sdt")):
            tag = sdt.find(f"{qn('w:sdtPr')}/{qn('w:tag')}")
            key = tag.get(qn("w:val")) if tag is not None else None
            if not key or key in widgets:
                continue
            widgets[key] = FieldValue(
                key=key,
                value=_control_value(sdt),
                method=ReadMethod.CONTENT_CONTROL,
                location=_location(sdt, body),
                confidence=1.0,
            )

        footer_text: list[str] = []
        for section in document.sections:
            for footer in (section.footer, section.first_page_footer, section.even_page_footer):
                if not footer.is_linked_to_previous or section is document.sections[0]:
                    footer_text.append(_control_text(footer._element))
        layout = DocxLayoutBuilder().build(body)
        return RawDocument(widgets=widgets, marker_text="\n".join(footer_text), layout=layout)
