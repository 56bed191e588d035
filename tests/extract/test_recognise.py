"""pipeline.extract.recognise: which form and version a document is: by marker, else by widget names,
else by its printed labels (a Word document typed by hand); else unknown."""

from __future__ import annotations

from docx import Document

from pipeline.extract import extract
from pipeline.extract.base import RawDocument
from pipeline.extract.recognise import recognise
from pipeline.model import ExtractionProblem, FieldValue, InputKind, ReadMethod
from schemas import load_form_spec


def widgets(keys):
    return {k: FieldValue(key=k, value="", method=ReadMethod.ACROFORM, location="page 1", confidence=1.0) for k in keys}


def test_the_marker_decides():
    recognition = recognise(RawDocument(marker_text="... Form PSP-REG version 2025.1   Page 1 of 3"))
    assert recognition.spec.form_id == "PSP-REG" and recognition.version == "2025.1" and recognition.problem is None


def test_an_unknown_version_goes_to_a_person():
    recognition = recognise(RawDocument(marker_text="Form PSP-ORP version 2031.4"))
    assert recognition.problem is ExtractionProblem.UNKNOWN_VERSION
    assert "2031.4" in recognition.detail


def test_without_a_marker_the_widget_names_decide():
    keys = load_form_spec("PSP-ORP").widget_keys
    recognition = recognise(RawDocument(widgets=widgets(keys[: int(len(keys) * 0.9)])))
    assert recognition.spec.form_id == "PSP-ORP" and recognition.version == "2025.1"


def test_neither_form_is_unknown():
    recognition = recognise(RawDocument(widgets=widgets(["name", "address", "cmhsp_name"]), marker_text="Dear coordinator"))
    assert recognition.spec is None
    assert recognition.problem is ExtractionProblem.UNKNOWN_FORM


# -- a Word document typed by hand, recognised by its labels -----------------------------------------


def test_a_document_with_the_labels_but_no_marker_is_recognised(tmp_path, received):
    spec = load_form_spec("PSP-REG")

    def build(doc):
        doc.add_paragraph("Lakeview Example Family Services")
        for field in spec.fields:
            doc.add_paragraph(f"{field.label}: ")

    path = tmp_path / "no-marker.docx"
    doc = Document()
    build(doc)
    doc.save(str(path))
    document = extract(received(path))
    assert (document.kind, document.form_id, document.form_version, document.problem) == (
        InputKind.WORD_DOCUMENT, "PSP-REG", "2025.1", None
    )


def test_a_letter_in_word_is_neither_form(tmp_path, received):
    path = tmp_path / "letter.docx"
    doc = Document()
    doc.add_paragraph("Dear Coordinator, our registration packet follows next week. City: Lansing.")
    doc.save(str(path))
    document = extract(received(path))
    assert document.form_id is None and document.problem == "unknown_form"
    assert "labels" in document.problem_detail


def test_on_a_picture_a_marker_misread_by_a_digit_still_names_the_form_when_its_labels_are_printed():
    from pipeline.extract.base import RawDocument
    from pipeline.extract.layout import Layout, Line, Segment, Token
    from pipeline.extract.recognise import recognise
    from schemas import load_form_spec

    spec = load_form_spec("PSP-REG")
    lines = [Line([Segment([Token(word, 10.0 * i, 10.0 * i + 8) for i, word in enumerate(f.label.split())])],
                  20.0 * n, 20.0 * n + 10, 1, "page 1") for n, f in enumerate(spec.fields)]
    for recognised, expected in ((True, (spec.version, None)), (False, ("2025.4", "unknown_version"))):
        layout = Layout(lines=lines, wrapped=True, recognised=recognised)
        found = recognise(RawDocument(marker_text="Form PSP-REG version 2025.4 Page 1 of 2", layout=layout))
        assert (found.version, found.problem) == expected
    bare = Layout(lines=[], wrapped=True, recognised=True)  # no labels: the misread marker alone does not say
    assert recognise(RawDocument(marker_text="Form PSP-REG version 2025.4", layout=bare)).problem == "unknown_version"
