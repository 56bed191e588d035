"""Fields found by their printed labels in Word documents typed by hand: every layout agencies use,
boxes however typed, labels wrapped or reworded, a label printed twice, a label missing."""

from __future__ import annotations

from pathlib import Path

from docx import Document

from pipeline.extract import extract
from pipeline.extract.docx_text import read_docx_text
from pipeline.extract.labels import (
    CONFLICT_CONFIDENCE,
    LOOSE_CONFIDENCE,
    read_labels,
    similarity,
    words_of,
)
from pipeline.model import InputKind, ReadMethod
from schemas import load_form_spec

REG = load_form_spec("PSP-REG")


def docx_with(tmp_path: Path, build, name: str = "typed.docx") -> Path:
    doc = Document()
    build(doc)
    doc.sections[0].footer.paragraphs[0].text = "Form PSP-REG version 2025.1"
    path = tmp_path / name
    doc.save(str(path))
    return path


def read(path: Path):
    _, layout, _, _ = read_docx_text(path)
    return read_labels(layout, REG).values


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


def test_two_column_table_and_row_of_labels_over_row_of_values(tmp_path):
    def build(doc):
        table = doc.add_table(rows=2, cols=2)
        table.cell(0, 0).text, table.cell(0, 1).text = "Home street address", "415 Sample Street"
        table.cell(1, 0).text, table.cell(1, 1).text = "Hours per week", ""
        grid = doc.add_table(rows=2, cols=3)
        for i, (label, value) in enumerate((("First name", "Jordan"), ("Last name", "Example"), ("Preferred name", ""))):
            grid.cell(0, i).text, grid.cell(1, i).text = label, value

    values = read(docx_with(tmp_path, build))
    assert values["psp_street"].value == "415 Sample Street"
    assert values["hours_per_week"].value == ""
    assert (values["psp_first_name"].value, values["psp_last_name"].value) == ("Jordan", "Example")
    assert values["psp_preferred_name"].value == ""
    assert values["psp_last_name"].location == "table 2 row 2"  # where the value stands


def test_value_on_the_line_under_its_label_and_narratives_over_paragraphs(tmp_path):
    def build(doc):
        for text in ("Date of hire as PSP", "11/16/2026", "Accessibility or dietary accommodations:",
                     "Vegetarian meals, please.", "A ground-floor room.", "Lodging needed", "No"):
            doc.add_paragraph(text)

    values = read(docx_with(tmp_path, build))
    assert values["hire_date"].value == "11/16/2026"
    assert values["accommodations"].value == "Vegetarian meals, please.\nA ground-floor room."
    assert values["lodging_needed"].value == "No"


def test_boxes_however_they_are_typed(tmp_path):
    def build(doc):
        doc.add_paragraph("☒ I will attend all 5 days of classroom training")
        doc.add_paragraph("[X] I will take part in 10 months of individual and group coaching, including monthly group coaching calls")
        doc.add_paragraph("I will attend the quarterly Professional Development and Technical Assistance meetings")
        doc.add_paragraph("X I understand the confidentiality, HIPAA and mandated reporting requirements of the role")
        doc.add_paragraph("I have first-hand experience navigating public child-serving systems: ☐")
        doc.add_paragraph("My child's condition: ☑ SED  ☐ I/DD  ☑ Autism")
        doc.add_paragraph("Position: [ ] Full-time   [X] Part-time")

    values = read(docx_with(tmp_path, build))
    assert values["commit_classroom"].value is True
    assert values["commit_coaching"].value is True
    assert values["commit_quarterly_pd"].value is False  # nothing printed: not checked
    assert values["ack_confidentiality"].value is True
    assert values["lived_experience_systems"].value is False
    assert [values[k].value for k in ("child_condition_sed", "child_condition_idd", "child_condition_autism")] == [True, False, True]
    assert values["position_type"].value == "Part-time"


def test_word_checkbox_symbols_and_controls_count(tmp_path):
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    def build(doc):
        p = doc.add_paragraph()
        p.add_run()._r.append(parse_xml(f'<w:sym {nsdecls("w")} w:font="Wingdings" w:char="F0FE"/>'))
        p.add_run(" I will attend all 5 days of classroom training")
        p = doc.add_paragraph()
        p.add_run()._r.append(parse_xml(f'<w:sym {nsdecls("w")} w:font="Wingdings" w:char="F0A8"/>'))
        p.add_run(" I will attend the quarterly Professional Development and Technical Assistance meetings")

    values = read(docx_with(tmp_path, build))
    assert (values["commit_classroom"].value, values["commit_quarterly_pd"].value) == (True, False)


def test_a_label_wrapped_over_two_lines_of_its_cell(tmp_path):
    def build(doc):
        table = doc.add_table(rows=1, cols=2)
        cell = table.cell(0, 0)
        cell.paragraphs[0].add_run("Community Mental Health Services").add_break()
        cell.paragraphs[0].add_run("Program (CMHSP)")
        table.cell(0, 1).text = "CMHA-CEI"

    assert read(docx_with(tmp_path, build))["cmhsp_name"].value == "CMHA-CEI"


def test_a_label_cut_short_is_a_loose_match_with_low_confidence(tmp_path):
    values = read(docx_with(tmp_path, lambda d: d.add_paragraph("Home ZIP: 48912")))
    assert values["psp_zip"].value == "48912"
    assert values["psp_zip"].confidence == LOOSE_CONFIDENCE
    assert "'Home ZIP' was taken for 'Home ZIP code'" in values["psp_zip"].note


def test_an_ambiguous_short_label_is_no_label():
    scores = sorted((similarity(words_of("Supervisor"), tuple(words_of(f.label))) for f in REG.fields), reverse=True)
    assert scores[0] - scores[1] < 0.08  # as like "Supervisor email" as "Supervisor phone": not read


def test_a_label_printed_twice_with_different_values_is_flagged(tmp_path):
    path = docx_with(tmp_path, lambda d: [d.add_paragraph("PSP phone: (517) 555-0160"), d.add_paragraph("PSP phone: (517) 555-0199")])
    read_value = read(path)["psp_phone"]
    assert read_value.confidence == CONFLICT_CONFIDENCE
    assert {read_value.value, *(c.value for c in read_value.conflicts)} == {"(517) 555-0160", "(517) 555-0199"}


def test_the_same_value_printed_twice_is_no_conflict(tmp_path):
    path = docx_with(tmp_path, lambda d: [d.add_paragraph("PSP phone: (517) 555-0160"), d.add_paragraph("PSP phone:  (517) 555-0160")])
    assert read(path)["psp_phone"].conflicts == ()


def typed_beside_a_control(tmp_path: Path, out: Path, *, filled: str, typed: str) -> Path:
    """The official Word form with its city control set to ``filled`` and ``typed`` right after it."""
    import zipfile

    from samples.fill import fill_docx
    from tests.extract.conftest import blank

    source = tmp_path / "filled-city.docx"
    fill_docx(blank("PSP-REG", ".docx"), {"psp_city": filled}, source)
    with zipfile.ZipFile(source) as z:
        entries = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    document_xml = dict(entries)["word/document.xml"].decode()
    end = document_xml.index("</w:sdt>", document_xml.index('w:val="psp_city"')) + len("</w:sdt>")
    document_xml = document_xml[:end] + f'<w:r><w:t xml:space="preserve">{typed}</w:t></w:r>' + document_xml[end:]
    with zipfile.ZipFile(out, "w") as z:
        for name, data in entries:
            z.writestr(name, document_xml.encode() if name == "word/document.xml" else data)
    return out


def test_a_control_and_different_text_beside_it_are_not_guessed(tmp_path):
    """The official Word form, with a second value typed next to a filled control."""
    document = extract(_received(typed_beside_a_control(tmp_path, tmp_path / "beside.docx", filled="Lansing", typed=" Mason")))
    city = document.fields["psp_city"]
    assert document.kind is InputKind.WORD_FORM
    assert city.value == "Lansing" and city.method is ReadMethod.CONTENT_CONTROL
    assert city.confidence == CONFLICT_CONFIDENCE and [c.value for c in city.conflicts] == ["Lansing Mason"]


def test_an_empty_control_with_the_value_typed_beside_it_takes_the_typed_value(tmp_path):
    city = extract(_received(typed_beside_a_control(tmp_path, tmp_path / "beside.docx", filled="", typed="Mason"))).fields["psp_city"]
    assert (city.value, city.method, city.conflicts) == ("Mason", ReadMethod.LABEL, ())


def test_a_document_with_the_labels_but_no_marker_is_recognised(tmp_path):
    spec = REG

    def build(doc):
        doc.add_paragraph("Lakeview Example Family Services")
        for field in spec.fields:
            doc.add_paragraph(f"{field.label}: ")

    path = tmp_path / "no-marker.docx"
    doc = Document()
    build(doc)
    doc.save(str(path))
    document = extract(_received(path))
    assert (document.kind, document.form_id, document.form_version, document.problem) == (
        InputKind.WORD_DOCUMENT, "PSP-REG", "2025.1", None
    )


def test_a_letter_in_word_is_neither_form(tmp_path):
    path = tmp_path / "letter.docx"
    doc = Document()
    doc.add_paragraph("Dear Coordinator, our registration packet follows next week. City: Lansing.")
    doc.save(str(path))
    document = extract(_received(path))
    assert document.form_id is None and document.problem == "unknown_form"
    assert "labels" in document.problem_detail


def _received(path: Path):
    from pipeline.intake import receive

    return receive(path, path.parent)
