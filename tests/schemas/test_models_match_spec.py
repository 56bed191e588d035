"""The project's copy of the specification is the program office's, and the pydantic models agree
with it on every key, requirement, choice and bound."""

from __future__ import annotations

import typing
from pathlib import Path

import annotated_types
import pytest

from schemas import RECORD_MODELS, FieldType, FormId, load_form_spec
from schemas.reference import REFERENCE_FILES
from schemas.spec import SPEC_FILES

REPO = Path(__file__).resolve().parents[2]
SHARED_FORMS = REPO.parent / "shared" / "forms"


@pytest.mark.skipif(not SHARED_FORMS.is_dir(), reason="the program office's specification (../shared/forms) is not beside this checkout")
@pytest.mark.parametrize("name", [*SPEC_FILES.values()])
def test_project_copy_of_the_spec_is_the_program_offices(name):
    assert (REPO / "schemas" / "forms" / name).read_bytes() == (SHARED_FORMS / name).read_bytes()


@pytest.mark.skipif(not SHARED_FORMS.is_dir(), reason="the program office's reference data is not beside this checkout")
@pytest.mark.parametrize("name", REFERENCE_FILES)
def test_packaged_reference_data_is_the_program_offices(name):
    assert (REPO / "schemas" / "reference" / name).read_bytes() == (SHARED_FORMS / name).read_bytes()


def _literal_options(annotation) -> tuple[str, ...]:
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if typing.get_origin(annotation) is list:
        return _literal_options(typing.get_args(annotation)[0])
    assert typing.get_origin(annotation) is typing.Literal, annotation
    return typing.get_args(annotation)


@pytest.mark.parametrize("form_id", list(FormId))
def test_model_has_exactly_the_spec_fields_in_order(form_id):
    spec = load_form_spec(form_id)
    assert list(RECORD_MODELS[form_id].model_fields) == [f.key for f in spec.fields]


@pytest.mark.parametrize("form_id", list(FormId))
def test_required_fields_are_required_and_optional_ones_default_to_none(form_id):
    model = RECORD_MODELS[form_id]
    for field in load_form_spec(form_id).fields:
        info = model.model_fields[field.key]
        assert info.is_required() == field.required, field.key
        if not field.required:
            assert info.default is None


@pytest.mark.parametrize("form_id", list(FormId))
def test_choices_are_the_spec_choices(form_id):
    model = RECORD_MODELS[form_id]
    for field in load_form_spec(form_id).fields:
        if field.type in (FieldType.CHOICE, FieldType.MULTICHOICE):
            assert _literal_options(model.model_fields[field.key].annotation) == field.choices, field.key


@pytest.mark.parametrize("form_id", list(FormId))
def test_bounds_are_the_spec_bounds(form_id):
    model = RECORD_MODELS[form_id]
    for field in load_form_spec(form_id).fields:
        if field.type not in (FieldType.INT, FieldType.DECIMAL):
            continue
        metadata = model.model_fields[field.key].metadata
        ge = next(m.ge for m in metadata if isinstance(m, annotated_types.Ge))
        le = next(m.le for m in metadata if isinstance(m, annotated_types.Le))
        assert (float(ge), float(le)) == (field.min, field.max), field.key


@pytest.mark.parametrize("form_id", list(FormId))
def test_boxes_that_must_be_checked_reject_an_unchecked_box(form_id):
    model = RECORD_MODELS[form_id]
    from pydantic import TypeAdapter, ValidationError

    for field in load_form_spec(form_id).fields:
        if field.type is not FieldType.CHECKBOX:
            continue
        info = model.model_fields[field.key]
        adapter = TypeAdapter(typing.Annotated[(info.annotation, *info.metadata)])
        assert adapter.validate_python(True) is True
        if field.must_be_checked:
            with pytest.raises(ValidationError):
                adapter.validate_python(False)


TYPE_CHECKS = {
    FieldType.DATE: ("3/8/27", "2027-03-08"),
    FieldType.PHONE: ("517.555.0142", "(517) 555-0142"),
    FieldType.EMAIL: ("a@Example.org", "a@example.org"),
    FieldType.CMHSP: ("dwihn", "Detroit Wayne Integrated Health Network"),
    FieldType.COUNTY_LIST: ("Kent and Ottawa County", ["Kent", "Ottawa"]),
}


@pytest.mark.parametrize("form_id", list(FormId))
def test_each_field_type_normalises_as_its_spec_type_says(form_id):
    from pydantic import TypeAdapter

    model = RECORD_MODELS[form_id]
    for field in load_form_spec(form_id).fields:
        if field.type not in TYPE_CHECKS:
            continue
        raw, expected = TYPE_CHECKS[field.type]
        info = model.model_fields[field.key]
        adapter = TypeAdapter(typing.Annotated[(info.annotation, *info.metadata)])
        assert adapter.dump_python(adapter.validate_python(raw), mode="json") == expected, field.key
