"""pipeline.extract.labels.values: reading a value out of its region: boxes however they are typed
(characters, brackets, an X, Word's symbols), a choice as the option ticked, and a label printed
twice flagged when its values differ, never guessed."""

from __future__ import annotations

from pipeline.extract.labels import CONFLICT_CONFIDENCE
from tests.extract.labels.conftest import docx_with, read


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


def test_a_label_printed_twice_with_different_values_is_flagged(tmp_path):
    path = docx_with(tmp_path, lambda d: [d.add_paragraph("PSP phone: (517) 555-0160"), d.add_paragraph("PSP phone: (517) 555-0199")])
    read_value = read(path)["psp_phone"]
    assert read_value.confidence == CONFLICT_CONFIDENCE
    assert {read_value.value, *(c.value for c in read_value.conflicts)} == {"(517) 555-0160", "(517) 555-0199"}


def test_the_same_value_printed_twice_is_no_conflict(tmp_path):
    path = docx_with(tmp_path, lambda d: [d.add_paragraph("PSP phone: (517) 555-0160"), d.add_paragraph("PSP phone:  (517) 555-0160")])
    assert read(path)["psp_phone"].conflicts == ()
