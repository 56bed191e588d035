"""Word forms read by content-control tag: text, drop-down, date and checkbox controls, and
controls still showing their placeholder."""

from __future__ import annotations

import pytest
from docx.oxml.ns import qn

from pipeline.extract import docx_form, extract
from pipeline.model import InputKind, ReadMethod
from samples.fill import fill_docx
from schemas import FieldType, load_form_spec
from tests.conftest import VALID_VALUES
from tests.extract.conftest import FORMS, blank


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


# -- the untouched official form is read by its controls alone ----------------------------------

SUBMISSIONS = FORMS.parent / "submissions"


def _body(path):
    import docx

    return docx.Document(str(path)).element.body


def test_what_the_official_forms_print_is_recorded_from_the_blank_forms():
    """``samples/make_forms.py`` records it with the forms: a form changed without it fails here."""
    import json
    from importlib import resources

    from pipeline.extract import official_forms

    recorded = json.loads(resources.files("pipeline.extract").joinpath(official_forms.OFFICIAL_FORMS_FILE).read_text("utf-8"))
    blanks = {f"{form_id} 2025.1": _body(blank(form_id, ".docx")) for form_id in ("PSP-ORP", "PSP-REG")}
    assert recorded == {
        "fingerprints": {name: docx_form.form_text_fingerprint(body) for name, body in blanks.items()},
        "option_rows": {name: official_forms.printed_option_rows(body) for name, body in blanks.items()},
    }
    assert recorded["option_rows"]["PSP-REG 2025.1"] == [" SED\u2003\u2003 I/DD\u2003\u2003 Autism"]


def test_filling_the_controls_keeps_the_forms_own_text(tmp_path):
    for form_id in ("PSP-ORP", "PSP-REG"):
        path = tmp_path / f"{form_id}.docx"
        fill_docx(blank(form_id, ".docx"), dict(VALID_VALUES[form_id]), path)
        assert docx_form.form_text_fingerprint(_body(path)) in docx_form.official_form_fingerprints()


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(lambda body: _first_outside_control(body, "w:t").__setattr__("text", "Name: Jane Doe"), id="typed-over-a-label"),
        pytest.param(lambda body: _add_run_after_first_control(body, "typed beside"), id="typed-beside-a-control"),
        pytest.param(lambda body: _remove_first_control(body), id="a-control-deleted"),
    ],
)
def test_text_typed_outside_the_controls_changes_the_fingerprint(edit):
    body = _body(blank("PSP-REG", ".docx"))
    edit(body)
    assert docx_form.form_text_fingerprint(body) not in docx_form.official_form_fingerprints()


def _first_outside_control(body, tag):
    return next(t for t in body.iter(qn(tag)) if not any(a.tag == qn("w:sdt") for a in t.iterancestors()))


def _add_run_after_first_control(body, text):
    _add_run_after(next(body.iter(qn("w:sdt"))), text)


def _remove_first_control(body):
    sdt = next(body.iter(qn("w:sdt")))
    sdt.getparent().remove(sdt)


@pytest.mark.parametrize("path", sorted(SUBMISSIONS.glob("*.docx")), ids=lambda p: p.stem)
def test_reading_by_controls_alone_gives_what_the_second_reading_gives(path, received, monkeypatch):
    """Each sample Word form is untouched: read with and without the labels' second reading,
    every field, where it was read, and how sure, are the same."""
    quick = extract(received(path))
    monkeypatch.setattr(docx_form, "official_form_fingerprints", frozenset)
    full = extract(received(path))
    assert quick.kind is InputKind.WORD_FORM
    assert quick.model_dump() == full.model_dump()


def test_a_typed_over_form_still_gets_its_second_reading(tmp_path, received):
    """A value typed beside an empty control is found by its label (the layout is read)."""
    from docx import Document as open_docx

    values = dict(VALID_VALUES["PSP-REG"], psp_email="")
    path = tmp_path / "typed.docx"
    fill_docx(blank("PSP-REG", ".docx"), values, path)
    document = open_docx(str(path))
    control = next(s for s in document.element.body.iter(qn("w:sdt"))
                   if s.find(f"{qn('w:sdtPr')}/{qn('w:tag')}").get(qn("w:val")) == "psp_email")
    _add_run_after(control, " jane.parent@example.org")
    document.save(str(path))
    read = extract(received(path)).fields["psp_email"]
    assert read.value == "jane.parent@example.org"
    assert read.method is not ReadMethod.CONTENT_CONTROL


def _run(text):
    from docx.oxml import OxmlElement

    run, t = OxmlElement("w:r"), OxmlElement("w:t")
    t.text = text
    t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    run.append(t)
    return run


def _add_run_after(element, text):
    element.addnext(_run(text))


def _boxes_deleted(path, *, ticked_as_x: bool, row_typed: str | None = None, emphasised: str | None = None,
                   typed_in: dict[str, str] | None = None) -> None:
    """Type over a filled Word form as agencies do: every check box control deleted, an X typed
    where a ticked one stood (with ``ticked_as_x``), nothing where an unticked one stood; the
    child's condition row retyped as ``row_typed``, or its option ``emphasised`` highlighted,
    when given; ``typed_in`` text controls' values typed in their place."""
    from docx import Document as open_docx

    from pipeline.extract.docx_kind import W14_CHECKBOX, W14_CHECKED, W14_VAL

    document = open_docx(str(path))
    body = document.element.body
    for sdt in list(body.iter(qn("w:sdt"))):
        properties = sdt.find(qn("w:sdtPr"))
        box = properties.find(W14_CHECKBOX)
        tag = properties.find(qn("w:tag")).get(qn("w:val"))
        if box is None:
            if tag in (typed_in or {}):
                _add_run_after(sdt, typed_in[tag])
                sdt.getparent().remove(sdt)
            continue
        state = box.find(W14_CHECKED)
        if ticked_as_x and state is not None and state.get(W14_VAL) == "1":
            _add_run_after(sdt, "X ")
        sdt.getparent().remove(sdt)
    row = next(p for p in body.iter(qn("w:p")) if "".join(p.itertext()).strip().startswith("SED"))
    if row_typed is not None:
        for run in row.findall(qn("w:r")):
            row.remove(run)
        row.append(_run(row_typed))
    if emphasised is not None:
        from docx.oxml import OxmlElement

        run = next(r for r in row.findall(qn("w:r")) if "".join(t.text for t in r.iter(qn("w:t"))).strip() == emphasised)
        properties = run.find(qn("w:rPr"))
        if properties is None:
            properties = OxmlElement("w:rPr")
            run.insert(0, properties)
        highlight = OxmlElement("w:highlight")
        highlight.set(qn("w:val"), "yellow")
        properties.append(highlight)
    document.save(str(path))


CONDITIONS = ("child_condition_sed", "child_condition_idd", "child_condition_autism")


@pytest.mark.parametrize(
    ("ticked", "ticked_as_x", "changes", "expected"),
    [
        # the row as the form prints it, its boxes gone, in a document that ticks with an X: none chosen
        pytest.param((), True, {}, [False, False, False], id="printed-row-none-ticked"),
        pytest.param(("child_condition_idd",), True, {}, [False, True, False], id="printed-row-one-ticked"),
        # no tick anywhere: every box may have been lost, not left unticked: a person reads it
        pytest.param((), False, {}, None, id="no-tick-anywhere"),
        # nor is an "x" in a value or a sentence a tick
        pytest.param((), False, {"typed_in": {"accommodations": "Breaks 2 x per day"}}, None, id="an-x-in-a-value"),
        # an option highlighted is an option marked: a person reads it
        pytest.param((), True, {"emphasised": "I/DD"}, None, id="an-option-highlighted"),
        # options written out, by spaces however many or by commas: every option chosen? A person reads it
        pytest.param((), True, {"row_typed": "SED   I/DD   Autism"}, None, id="options-typed-apart"),
        pytest.param((), True, {"row_typed": "SED I/DD Autism"}, None, id="options-typed-as-a-list"),
        pytest.param((), True, {"row_typed": "SED, I/DD, Autism"}, None, id="options-typed-with-commas"),
    ],
)
def test_a_row_of_options_whose_boxes_were_deleted(tmp_path, received, ticked, ticked_as_x, changes, expected):
    values = dict(VALID_VALUES["PSP-REG"]) | {key: key in ticked for key in CONDITIONS}
    path = tmp_path / "typed-over.docx"
    fill_docx(blank("PSP-REG", ".docx"), values, path)
    _boxes_deleted(path, ticked_as_x=ticked_as_x, **changes)
    fields = extract(received(path)).fields
    conditions = [fields[k] for k in CONDITIONS]
    if expected is None:
        assert all(f.value is None and f.confidence < 0.8 for f in conditions)
    else:
        assert [f.value for f in conditions] == expected and all(f.confidence >= 0.8 for f in conditions)
        assert fields["commit_classroom"].value is True  # the X before a statement is its tick
