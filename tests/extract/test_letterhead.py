"""An agency's letterhead printed over and under every page (its name, address and phone lines) is
never a field's value: a field at a page's foot reads its own value from the next page, past the
letterhead, and the letterhead's lines are taken out like the marker line."""

from __future__ import annotations

import hashlib

from pipeline.extract import extract
from pipeline.extract.layout import Line, Segment, Token
from pipeline.extract.pdf_flat import without_running_lines
from pipeline.model import ReceivedFile
from samples.renditions import (
    TEXT_BOX_STYLES,
    DocStyle,
    layout_docx,
    soffice_convert,
    soffice_path,
)
from schemas.spec import load_form_spec
from tests.conftest import RECEIVED_AT, VALID_PACKET, require_tools

LETTERHEAD = ["Lakeview Example Family Services", "1200 Example Avenue, Lansing, MI 48910", "Phone (517) 555-0190"]


def _line(text: str, page: int, top: float) -> Line:
    tokens = [Token(word, 72.0 + 30 * i, 100.0 + 30 * i) for i, word in enumerate(text.split())]
    return Line([Segment(tokens)], top, top + 10, page, f"page {page}")


def test_lines_at_the_same_edge_of_every_page_are_taken_out():
    sizes = {1: (612.0, 792.0), 2: (612.0, 792.0)}
    lines = [_line("Lakeview Example Family Services", 1, 30), _line("Home city: Lansing", 1, 300),
             _line("Lakeview Example Family Services", 1, 760), _line("Lakeview  example family services", 2, 30),
             _line("Home city: Lansing", 2, 300), _line("Lakeview Example Family Services", 2, 760)]
    kept, removed = without_running_lines(lines, sizes)
    assert [line.text for line in kept] == ["Home city: Lansing", "Home city: Lansing"]  # the body is kept
    assert len(removed) == 4


def test_a_line_on_one_page_only_or_a_one_page_document_is_kept():
    two = {1: (612.0, 792.0), 2: (612.0, 792.0)}
    lines = [_line("Lakeview Example Family Services", 1, 30), _line("Home city: Lansing", 2, 30)]
    assert without_running_lines(lines, two) == (lines, [])
    one = [_line("Lakeview Example Family Services", 1, 30)]
    assert without_running_lines(one, {1: (612.0, 792.0)}) == (one, [])


def test_a_letterhead_over_and_under_every_page_is_no_fields_value(tmp_path):
    require_tools([] if soffice_path() else ["soffice (libreoffice-writer-nogui)"])
    from docx import Document

    source = tmp_path / "packet.docx"
    style = DocStyle(layouts=["under"], box=TEXT_BOX_STYLES[0], choice_boxes=False, multi_list=False)
    values = {**VALID_PACKET, "psp_preferred_name": "", "provider_agency_name": ""}
    layout_docx(load_form_spec("PSP-REG"), values, source, style, letterhead=LETTERHEAD,
                title="New Parent Support Partner: registration", letterhead_on_every_page=True)
    document = Document(str(source))
    document.sections[0].footer.add_paragraph(" | ".join(LETTERHEAD))  # and under each page, beside the marker
    document.save(str(source))
    soffice_convert([source], "pdf", tmp_path)
    pdf = source.with_suffix(".pdf")
    data = pdf.read_bytes()
    read = extract(ReceivedFile(path=pdf, original_name=pdf.name, sha256=hashlib.sha256(data).hexdigest(),
                                size=len(data), received_at=RECEIVED_AT))
    assert read.form_id == "PSP-REG" and read.pages >= 2
    texts = {key: v.value for key, v in read.fields.items() if isinstance(v.value, str)}
    assert not [key for key, text in texts.items() if "Lakeview" in text or "555-0190" in text]
    for key in ("psp_first_name", "psp_county", "supervisor_name", "supervisor_email", "director_signature"):
        assert " ".join(texts[key].split()) == VALID_PACKET[key], key
