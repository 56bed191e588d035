"""pipeline.extract.docx_text: a Word body laid out as lines for the label reader (a paragraph a line,
tabs splitting segments, a table row's cells side by side where the grid puts them), the headers and
footers where the marker line stands, and the legacy fields named like the form's keys."""

from __future__ import annotations

from pathlib import Path

import pytest
from docx import Document

from pipeline.extract.base import DocumentUnreadable
from pipeline.extract.docx_text import (
    PAGE_WIDTH,
    WordDocumentExtractor,
    legacy_widgets,
    read_docx_text,
)
from pipeline.model import ReadMethod
from tests.extract.conftest import SUBMISSIONS


def saved(tmp_path: Path, build) -> Path:
    document = Document()
    build(document)
    path = tmp_path / "typed.docx"
    document.save(str(path))
    return path


def test_paragraphs_are_lines_and_tabs_split_them_into_segments(tmp_path):
    def build(document):
        document.add_paragraph("First name:\tJordan")
        document.add_paragraph("")  # an empty paragraph is no line
        document.add_paragraph("Last name: Example")

    _, layout, legacy, _ = read_docx_text(saved(tmp_path, build))
    assert not layout.wrapped and legacy == {}
    segments = [[s.text for s in line.segments] for line in layout.lines]
    assert segments == [["First name:", "Jordan"], ["Last name: Example"]]
    assert [line.where for line in layout.lines] == ["paragraph 1", "paragraph 3"]
    first, second = layout.lines[0].segments
    assert first.x0 == 0.0 and second.x1 <= PAGE_WIDTH and first.x1 <= second.x0


def test_a_table_row_is_its_cells_side_by_side_in_the_grid_s_columns(tmp_path):
    def build(document):
        table = document.add_table(rows=2, cols=2)
        table.cell(0, 0).text, table.cell(0, 1).text = "Home street address", "415 Sample Street"
        table.cell(1, 0).text, table.cell(1, 1).text = "Hours per week", ""

    _, layout, _, _ = read_docx_text(saved(tmp_path, build))
    first, second = layout.lines
    assert [s.text for s in first.segments] == ["Home street address", "415 Sample Street"]
    assert (first.where, first.row, first.ruled_before) == ("table 1 row 1", "t1r1", True)
    assert [s.text for s in second.segments] == ["Hours per week"]
    assert len(second.cells) == 2  # the empty cell is still a cell: a value left blank stands there
    label, value = first.segments
    assert label.x1 <= second.cells[1][0] <= value.x0


def test_the_marker_is_looked_for_in_the_footer_and_the_body(tmp_path):
    def build(document):
        document.add_paragraph("Body text")
        document.sections[0].footer.paragraphs[0].text = "Form PSP-REG version 2025.1"

    _, _, _, marker_text = read_docx_text(saved(tmp_path, build))
    assert "Form PSP-REG version 2025.1" in marker_text and "Body text" in marker_text


def test_the_document_detection_opened_is_read_not_the_file_again(tmp_path):
    opened = Document(str(SUBMISSIONS / "reg_valid_cei.docx"))
    document, layout, _, _ = read_docx_text(tmp_path / "never-there.docx", opened)
    assert document is opened and layout.lines


def test_legacy_fields_named_like_keys_are_read_as_surely_as_controls():
    widgets = legacy_widgets({"psp_city": "Mason", "commit_classroom": True})
    assert {key: (w.value, w.method, w.confidence) for key, w in widgets.items()} == {
        "psp_city": ("Mason", ReadMethod.LEGACY_FORM_FIELD, 1.0),
        "commit_classroom": (True, ReadMethod.LEGACY_FORM_FIELD, 1.0),
    }


def test_a_word_document_with_text_is_laid_out_and_one_without_is_unreadable(tmp_path):
    raw = WordDocumentExtractor().read(saved(tmp_path, lambda d: d.add_paragraph("Home city: Lansing")))
    assert raw.widgets == {} and [line.text for line in raw.layout.lines] == ["Home city: Lansing"]
    with pytest.raises(DocumentUnreadable, match="has no text"):
        WordDocumentExtractor().read(saved(tmp_path, lambda d: None))


def test_a_label_beside_an_empty_value_in_a_table_of_labels_over_values_is_a_label(tmp_path, received):
    # "Contact phone | Executive Director" over "(empty) | Jamie Exemplar": the phone was left
    # empty, and "Executive Director" is the next field's label, not the phone's value (it went
    # to a person as a phone number that is no number, and the director's name was lost).
    from pipeline.extract import extract

    def build(document):
        document.add_paragraph("PSP Organizational Readiness Plan")
        table = document.add_table(rows=2, cols=3)
        for k, text in enumerate(("Contact email", "Contact phone", "Executive Director")):
            table.cell(0, k).text = text
        table.cell(1, 0).text, table.cell(1, 2).text = "reese.sampleton@example.org", "Jamie Exemplar"
        document.sections[0].footer.paragraphs[0].text = "Form PSP-ORP version 2025.1"

    fields = extract(received(saved(tmp_path, build))).fields
    assert fields["director_name"].value == "Jamie Exemplar"
    assert fields["contact_phone"].value == "" and fields["contact_email"].value == "reese.sampleton@example.org"
