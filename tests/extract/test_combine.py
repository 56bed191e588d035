"""pipeline.extract.combine: one reading per field from the file's own form fields and its printed
labels: either alone as read, an empty control giving way to what is typed beside it, and two
readings that disagree flagged with both, never guessed."""

from __future__ import annotations

from pathlib import Path

from docx import Document

from pipeline.extract import extract
from pipeline.extract.base import RawDocument
from pipeline.extract.combine import combine
from pipeline.extract.docx_text import read_docx_text
from pipeline.extract.labels import CONFLICT_CONFIDENCE
from pipeline.model import FieldValue, InputKind, ReadMethod
from schemas import load_form_spec
from tests.extract.conftest import typed_beside_a_control

REG = load_form_spec("PSP-REG")


def control(key: str, value: str | bool) -> FieldValue:
    return FieldValue(key=key, value=value, method=ReadMethod.CONTENT_CONTROL, location="content control",
                      confidence=1.0)


def typed(tmp_path: Path, *paragraphs: str):
    """The layout of a Word document holding these paragraphs."""
    document = Document()
    for text in paragraphs:
        document.add_paragraph(text)
    document.save(str(tmp_path / "typed.docx"))
    return read_docx_text(tmp_path / "typed.docx")[1]


def test_a_field_read_one_way_only_is_that_reading(tmp_path):
    raw = RawDocument(widgets={"psp_city": control("psp_city", "Mason"), "Text7": control("Text7", "not the form's")},
                      layout=typed(tmp_path, "PSP phone: (517) 555-0150"))
    fields = combine(REG, raw)
    assert fields["psp_city"] == control("psp_city", "Mason")
    assert fields["psp_phone"].value == "(517) 555-0150" and fields["psp_phone"].method is ReadMethod.LABEL
    assert "Text7" not in fields  # only the form's own keys


def test_without_a_layout_only_the_form_fields_count():
    assert combine(REG, RawDocument(widgets={"psp_city": control("psp_city", "Mason")})) == {
        "psp_city": control("psp_city", "Mason")
    }


def test_readings_that_agree_are_the_controls(tmp_path):
    fields = combine(REG, RawDocument(widgets={"psp_city": control("psp_city", "Mason")},
                                      layout=typed(tmp_path, "Home city: mason")))
    assert fields["psp_city"] == control("psp_city", "Mason")


def test_an_empty_control_gives_way_to_the_value_typed_beside_it(tmp_path):
    fields = combine(REG, RawDocument(widgets={"psp_city": control("psp_city", "")},
                                      layout=typed(tmp_path, "Home city: Mason")))
    assert (fields["psp_city"].value, fields["psp_city"].method) == ("Mason", ReadMethod.LABEL)


def test_a_control_and_text_that_disagree_are_flagged_with_both(tmp_path):
    fields = combine(REG, RawDocument(widgets={"psp_city": control("psp_city", "Lansing")},
                                      layout=typed(tmp_path, "Home city: Mason")))
    city = fields["psp_city"]
    assert (city.value, city.method, city.confidence) == ("Lansing", ReadMethod.CONTENT_CONTROL, CONFLICT_CONFIDENCE)
    assert [c.value for c in city.conflicts] == ["Mason"] and "say different things" in city.note


def test_a_box_disagrees_even_unticked_but_a_label_with_nothing_beside_it_does_not(tmp_path):
    layout = typed(tmp_path, "☒ I will attend all 5 days of classroom training", "Home city:")
    fields = combine(REG, RawDocument(widgets={"commit_classroom": control("commit_classroom", False),
                                               "psp_city": control("psp_city", "Mason")}, layout=layout))
    assert fields["commit_classroom"].confidence == CONFLICT_CONFIDENCE
    assert fields["psp_city"] == control("psp_city", "Mason")


# -- the official Word form, typed over ------------------------------------------------------------


def test_a_control_and_different_text_beside_it_are_not_guessed(tmp_path, received):
    """The official Word form, with a second value typed next to a filled control."""
    document = extract(received(typed_beside_a_control(tmp_path, tmp_path / "beside.docx", filled="Lansing", typed=" Mason")))
    city = document.fields["psp_city"]
    assert document.kind is InputKind.WORD_FORM
    assert city.value == "Lansing" and city.method is ReadMethod.CONTENT_CONTROL
    assert city.confidence == CONFLICT_CONFIDENCE and [c.value for c in city.conflicts] == ["Lansing Mason"]


def test_an_empty_control_with_the_value_typed_beside_it_takes_the_typed_value(tmp_path, received):
    city = extract(received(typed_beside_a_control(tmp_path, tmp_path / "beside.docx", filled="", typed="Mason"))).fields["psp_city"]
    assert (city.value, city.method, city.conflicts) == ("Mason", ReadMethod.LABEL, ())
