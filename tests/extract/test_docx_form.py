"""Word forms read by content-control tag: text, drop-down, date and checkbox controls, and
controls still showing their placeholder."""

from __future__ import annotations

import pytest

from pipeline.extract import extract
from pipeline.model import InputKind, ReadMethod
from samples.fill import fill_docx
from schemas import FieldType, load_form_spec
from tests.conftest import VALID_VALUES
from tests.extract.conftest import blank


@pytest.mark.parametrize("form_id", ["PSP-ORP", "PSP-REG"])
def test_every_field_is_read_exactly_as_filled(form_id, tmp_path, received):
    spec = load_form_spec(form_id)
    values = dict(VALID_VALUES[form_id])
    long_key = "integration_plan" if form_id == "PSP-ORP" else "accommodations"
    values[long_key] = "First line of the answer.\nSecond line, with a comma; and ünïcödé – dashes."
    path = tmp_path / "filled.docx"
    fill_docx(blank(form_id, ".docx"), values, path)

    document = extract(received(path))
    assert document.problem is None
    assert (document.kind, document.form_id, document.form_version) == (InputKind.WORD_FORM, form_id, "2025.1")
    assert set(document.fields) == set(spec.widget_keys)
    for key, value in values.items():
        read = document.fields[key]
        assert read.method is ReadMethod.CONTENT_CONTROL and read.confidence == 1.0
        if value == "":
            assert read.value is None, key  # the control still shows its placeholder
        else:
            assert read.value == value, key


@pytest.mark.parametrize("state", [True, False])
def test_every_checkbox_in_both_states(state, tmp_path, received):
    spec = load_form_spec("PSP-ORP")
    boxes = {k: state for f in spec.fields if f.type is FieldType.CHECKBOX for k in f.widget_keys}
    path = tmp_path / "boxes.docx"
    fill_docx(blank("PSP-ORP", ".docx"), boxes, path)
    document = extract(received(path))
    assert {k: document.fields[k].value for k in boxes} == boxes


def test_placeholder_only_controls_are_empty(received):
    document = extract(received(blank("PSP-REG", ".docx")))
    assert document.form_id == "PSP-REG"
    spec = load_form_spec("PSP-REG")
    for field in spec.fields:
        for key in field.widget_keys:
            expected = False if field.type in (FieldType.CHECKBOX, FieldType.MULTICHOICE) else None
            assert document.fields[key].value is expected, key


def test_a_placeholder_left_as_plain_text_is_empty(tmp_path, received):
    path = tmp_path / "placeholder-text.docx"
    fill_docx(blank("PSP-REG", ".docx"), {"psp_first_name": "Click or tap here to enter text."}, path)
    assert extract(received(path)).fields["psp_first_name"].value is None


def test_a_zip_that_is_not_word_is_not_a_crash(tmp_path, received):
    import zipfile

    path = tmp_path / "not-word.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "hi")
    document = extract(received(path))
    assert document.problem == "unsupported_kind"
