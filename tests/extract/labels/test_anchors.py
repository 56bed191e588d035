"""pipeline.extract.labels.anchors: where each printed label is, found as printed (case, spacing
and punctuation aside), after a colon or wrapped over the lines of its cell."""

from __future__ import annotations

from pipeline.extract.docx_text import read_docx_text
from pipeline.extract.labels import label_coverage, read_labels
from pipeline.model import ReadMethod
from tests.extract.labels.conftest import REG, docx_with, read


def test_label_colon_value_paragraphs(tmp_path):
    path = docx_with(tmp_path, lambda d: [d.add_paragraph(t) for t in (
        "First name: Jordan", "E-mail of nobody: x@example.org", "PSP EMAIL:   jordan@example.org",
        "Home city: Lansing\tHome state: MI", "Preferred name:",
    )])
    values = read(path)
    assert values["psp_first_name"].value == "Jordan"
    assert values["psp_email"].value == "jordan@example.org"  # case and spacing aside
    assert (values["psp_city"].value, values["psp_state"].value) == ("Lansing", "MI")
    assert values["psp_preferred_name"].value == ""  # the label is there, with nothing after it
    assert values["psp_first_name"].method is ReadMethod.LABEL and values["psp_first_name"].confidence >= 0.9


def test_a_label_wrapped_over_two_lines_of_its_cell(tmp_path):
    def build(doc):
        table = doc.add_table(rows=1, cols=2)
        cell = table.cell(0, 0)
        cell.paragraphs[0].add_run("Community Mental Health Services").add_break()
        cell.paragraphs[0].add_run("Program (CMHSP)")
        table.cell(0, 1).text = "CMHA-CEI"

    assert read(docx_with(tmp_path, build))["cmhsp_name"].value == "CMHA-CEI"


def test_each_label_is_anchored_where_it_stands_and_read_once_per_layout(tmp_path):
    path = docx_with(tmp_path, lambda d: [d.add_paragraph(t) for t in (
        "First name: Jordan", "☒ I will attend all 5 days of classroom training",
    )])
    _, layout, _, _ = read_docx_text(path)
    reading = read_labels(layout, REG)
    anchors = {anchor.field.key: anchor for anchor in reading.anchors}
    assert set(anchors) == reading.found_fields == {"psp_first_name", "commit_classroom"}
    first, box = anchors["psp_first_name"], anchors["commit_classroom"]
    assert (first.line, first.colon, first.loose, first.marks_before) == (0, True, False, [])
    assert (box.line, box.colon, box.marks_before) == (1, False, [True])  # the box printed before its label
    assert label_coverage(layout, REG) == 2 / len(REG.fields)
    assert read_labels(layout, REG) is reading  # recognising and extracting ask for the same reading
