"""pipeline.extract.labels.values: reading a value out of its region: boxes however they are typed
(characters, brackets, an X, Word's symbols), a choice as the option ticked, and a label printed
twice flagged when its values differ, never guessed."""

from __future__ import annotations

import pytest

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


# -- values read off a picture (OCR): as sure as their least sure word ------------------------------


def _recognised(rows: list[list[tuple[str, float]]]):
    """A layout as OCR makes one: each row's label words (text, confidence), then after "|" its
    value's, on a line of its own, laid out by the flat-PDF code, marked as recognised."""
    from pipeline.extract.layout import Layout
    from pipeline.extract.pdf_flat import lines_of_words

    words = []
    for number, row in enumerate(rows):
        top, x, run = 100 + 20 * number, 50.0, 1
        for text, confidence in row:
            if text == "|":
                x, run = 300.0, 2  # the value, in its box to the right: a run of Tesseract's own
                continue
            words.append({"text": text, "x0": x, "x1": x + 5 * len(text), "top": top, "bottom": top + 10,
                          "size": 10, "confidence": confidence, "run": (number, run, 1)})
            x += 5 * len(text) + 3
    lines, _ = lines_of_words(words, [], [], 1)
    return Layout(lines=lines, wrapped=True, recognised=True)


def test_a_value_read_by_ocr_is_as_sure_as_its_least_sure_word():
    from pipeline.extract.labels import read_labels
    from pipeline.model import LOW_CONFIDENCE, ReadMethod
    from tests.extract.labels.conftest import REG

    layout = _recognised([
        [("First", 0.96), ("name", 0.95), ("|", 1), ("Jordan", 0.62)],
        [("Last", 0.96), ("name", 0.96), ("|", 1), ("Example", 0.97)],
        [("Preferred", 0.95), ("name", 0.93)],  # optional, blank
        [("Home", 0.95), ("city", 0.95)],  # required, blank: faint writing may be there
        [("☒", 0.5), *((word, 0.9) for word in "I have first-hand experience navigating public child-serving systems".split())],
    ])
    values = read_labels(layout, REG).values
    first = values["psp_first_name"]
    assert (first.value, first.method, first.confidence) == ("Jordan", ReadMethod.OCR, 0.62)
    assert "text recognition read it with 62% confidence" in first.note
    assert values["psp_last_name"].confidence >= LOW_CONFIDENCE and values["psp_last_name"].note is None
    assert values["psp_preferred_name"].value == "" and values["psp_preferred_name"].confidence >= LOW_CONFIDENCE
    city = values["psp_city"]
    assert city.value == "" and city.confidence < LOW_CONFIDENCE
    assert "nothing was read there on the picture of the page" in city.note
    box = values["lived_experience_systems"]
    assert (box.value, box.confidence) == (True, 0.5)  # the box's own state was unsure


@pytest.mark.parametrize(("read", "other", "key", "value", "confidence"), [
    # a date: the printed hint misread after it and the box's side before it (the hint read least surely)
    ([("Date", 0.95), ("of", 0.95), ("hire", 0.95), ("as", 0.95), ("PSP", 0.95), ("|", 1), ("(11/16/2026", 0.7),
      ("MADD", 0.3)],
     [("Home", 0.95), ("city", 0.95), ("|", 1), ("Bad", 0.9), ("Axe", 0.9), ("MADD", 0.9)],  # no date: as read
     "hire_date", "11/16/2026", 0.3),
    # an email: the box's side before it, read least surely, and spaces around its "@"
    ([("PSP", 0.95), ("email", 0.95), ("|", 1), ("I", 0.4), ("dana.sample", 0.9), ("@", 0.9), ("example.org", 0.9)],
     [("Home", 0.95), ("city", 0.95), ("|", 1), ("I", 0.9), ("a@b.org", 0.9)],  # not an email's field: as read
     "psp_email", "dana.sample@example.org", 0.4),
])
def test_on_a_picture_a_value_is_read_without_what_recognition_read_around_it(read, other, key, value, confidence):
    from pipeline.extract.labels import read_labels
    from tests.extract.labels.conftest import REG

    values = read_labels(_recognised([read, other]), REG).values
    found = values[key]
    assert found.value == value
    assert found.confidence == pytest.approx(confidence)  # as sure as every word read there, those left out too
    assert "left out" in found.note
    assert values["psp_city"].value == " ".join(text for text, _ in other[3:])


def test_an_email_of_two_words_is_read_as_it_is():
    from pipeline.extract.labels import read_labels
    from tests.extract.labels.conftest import REG

    row = [("PSP", 0.95), ("email", 0.95), ("|", 1), ("jo", 0.9), ("smith@example.org", 0.9)]
    assert read_labels(_recognised([row]), REG).values["psp_email"].value == "jo smith@example.org"


def test_on_a_picture_a_state_code_read_in_small_letters_is_the_code():
    from pipeline.extract.labels import read_labels
    from tests.extract.labels.conftest import REG

    layout = _recognised([
        [("Home", 0.95), ("state", 0.95), ("|", 1), ("Mi", 0.9)],
        [("Home", 0.95), ("city", 0.95), ("|", 1), ("Mi", 0.9)],  # not a state's field: as read
    ])
    values = read_labels(layout, REG).values
    state = values["psp_state"]
    assert (state.value, state.confidence) == ("MI", pytest.approx(0.9))
    assert "capitals" in state.note
    assert values["psp_city"].value == "Mi"


def test_a_label_ocr_misread_by_a_letter_is_the_label_as_sure_as_its_spelling():
    from pipeline.extract.labels import LOOSE_CONFIDENCE, read_labels
    from tests.extract.labels.conftest import REG

    row = [("☒", 0.99), *((word, 0.99) for word in "I wi11 attend ail 5 days of classroom training".split())]
    values = read_labels(_recognised([row]), REG).values
    box = values["commit_classroom"]
    assert box.value is True
    # not a reworded label (read at LOOSE_CONFIDENCE, with a note saying so): a misread one, as
    # sure as its spelling is close to the form's (three letters in 38 misread)
    assert box.confidence == pytest.approx(35 / 38, abs=0.01) and box.confidence > LOOSE_CONFIDENCE
    assert "was taken for" not in (box.note or "")


def test_on_a_picture_a_box_not_found_is_not_a_box_seen_empty():
    from pipeline.extract.labels import read_labels
    from pipeline.model import LOW_CONFIDENCE
    from tests.extract.labels.conftest import REG

    row = [(word, 0.97) for word in "I have first-hand experience navigating public child-serving systems".split()]
    box = read_labels(_recognised([row]), REG).values["lived_experience_systems"]
    assert box.value is False and box.confidence < LOW_CONFIDENCE
    assert box.note == "no box was found beside it on the picture of the page"


def _recognised_segments(rows: list[list[list[tuple[str, float]]]], recognised: bool = True):
    """A layout as OCR makes one from rows of segments (Tesseract's runs, 20 points apart), each a
    list of (word, confidence)."""
    from pipeline.extract.layout import Layout
    from pipeline.extract.pdf_flat import lines_of_words

    words = []
    for number, row in enumerate(rows):
        top, x = 100 + 20 * number, 50.0
        for run, segment in enumerate(row, start=1):
            for text, confidence in segment:
                words.append({"text": text, "x0": x, "x1": x + 5 * len(text), "top": top, "bottom": top + 10,
                              "size": 10, "confidence": confidence, "run": (number, run, 1)})
                x += 5 * len(text) + 3
            x += 20
    lines, _ = lines_of_words(words, [], [], 1)
    return Layout(lines=lines, wrapped=True, recognised=recognised)


def _conditions(option: str, recognised: bool = True):
    from pipeline.extract.labels import read_labels
    from tests.extract.labels.conftest import REG

    row = [[("My", 0.97), ("child's", 0.97), ("condition", 0.97)], [("☒", 0.97)], [("SED", 0.9)],
           [("☐", 0.97)], [(option, 0.5)], [("☒", 0.97)], [("Autism", 0.9)]]
    values = read_labels(_recognised_segments([row], recognised), REG).values
    return [values[f"child_condition_{key}"] for key in ("sed", "idd", "autism")]


@pytest.mark.parametrize("misread", ["/DD", "VDD", "1/DD"])
def test_on_a_picture_an_option_misread_by_a_letter_is_still_its_box(misread):
    from pipeline.model import LOW_CONFIDENCE

    sed, idd, autism = _conditions(misread)
    assert (sed.value, idd.value, autism.value) == (True, False, True)
    assert idd.confidence < LOW_CONFIDENCE  # as sure as the misread word: a person confirms it


@pytest.mark.parametrize("read", ["XQZ", "SDD"])  # like no option, or like two alike
def test_an_option_read_like_no_option_clearly_is_not_guessed(read):
    _, idd, _ = _conditions(read)
    assert idd.value is None and "could not be read" in idd.note


def test_an_option_spelt_otherwise_in_a_typed_document_is_not_taken_for_it():
    # text typed by a person is as they meant it: "VDD" is not "I/DD" there
    _, idd, _ = _conditions("VDD", recognised=False)
    assert idd.value is None


def test_a_box_label_misread_under_a_blank_field_is_its_label_not_the_field_s_value():
    from pipeline.extract.labels import read_labels
    from schemas import load_form_spec

    orp = load_form_spec("PSP-ORP")
    rows = [
        [[(w, 0.96) for w in "If other, describe credential".split()]],  # optional, left blank
        [[("☒", 0.97)], [(w, 0.8) for w in "The supervisor is a CMH Qualified Mental F ealth Professional".split()]],
    ]
    values = read_labels(_recognised_segments(rows), orp).values
    assert values["supervisor_credential_other"].value == ""
    qmhp = values["supervisor_is_qmhp"]
    assert qmhp.value is True and qmhp.confidence <= 0.8
