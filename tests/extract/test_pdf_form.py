"""Fillable PDFs read with pypdf: every field, every checkbox state, any on-state name."""

from __future__ import annotations

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject

from pipeline.extract import extract
from pipeline.model import InputKind, ReadMethod
from samples.fill import fill_pdf
from schemas import load_form_spec
from tests.conftest import VALID_VALUES
from tests.extract.conftest import blank


@pytest.mark.parametrize("form_id", ["PSP-ORP", "PSP-REG"])
def test_every_field_is_read_exactly_as_filled(form_id, tmp_path, received):
    values = dict(VALID_VALUES[form_id])
    long_key = "integration_plan" if form_id == "PSP-ORP" else "accommodations"
    values[long_key] = "First line of the answer.\nSecond line, with a comma; and ünïcödé – dashes."
    path = tmp_path / "filled.pdf"
    fill_pdf(blank(form_id, ".pdf"), values, path)

    document = extract(received(path))
    assert document.problem is None
    assert (document.kind, document.form_id, document.form_version) == (InputKind.FILLABLE_PDF, form_id, "2025.1")
    assert set(document.fields) == set(load_form_spec(form_id).widget_keys)
    for key, value in values.items():
        read = document.fields[key]
        if value == "":
            assert not read.value, key
        else:
            assert read.value == value, key
        assert read.method is ReadMethod.ACROFORM
        assert read.confidence == 1.0
        assert read.location.startswith("page ")


@pytest.mark.parametrize("state", [True, False])
def test_every_checkbox_in_both_states(state, tmp_path, received):
    spec = load_form_spec("PSP-REG")
    boxes = {k: state for f in spec.fields if f.type in ("checkbox", "multichoice") for k in f.widget_keys}
    path = tmp_path / "boxes.pdf"
    fill_pdf(blank("PSP-REG", ".pdf"), boxes, path)
    document = extract(received(path))
    assert {k: document.fields[k].value for k in boxes} == boxes


@pytest.mark.parametrize("on_state", ["/On", "/1", "/Ja"])
def test_any_on_state_other_than_off_is_checked(on_state, tmp_path, received):
    writer = PdfWriter(clone_from=PdfReader(blank("PSP-REG", ".pdf")))
    for page in writer.pages:
        for ref in page.get("/Annots", []):
            annotation = ref.get_object()
            if annotation.get("/T") == "child_condition_idd":
                annotation[NameObject("/V")] = NameObject(on_state)
                annotation[NameObject("/AS")] = NameObject(on_state)
    path = tmp_path / "other-on-state.pdf"
    with path.open("wb") as handle:
        writer.write(handle)
    document = extract(received(path))
    assert document.fields["child_condition_idd"].value is True
    assert document.fields["child_condition_sed"].value is False


def test_blank_form_reads_as_empty(received):
    document = extract(received(blank("PSP-ORP", ".pdf")))
    assert document.form_id == "PSP-ORP"
    assert all(read.is_empty for read in document.fields.values())


def test_a_pdf_that_is_not_a_pdf_is_unreadable_not_a_crash(tmp_path, received):
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.7\n" + b"\x00garbage" * 100)
    document = extract(received(path))
    assert document.problem == "unreadable"
    assert document.form_id is None
