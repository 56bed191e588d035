"""Flat PDFs drawn by hand (reportlab): a label and its value beside it, a box drawn with a tick,
a signature drawn as a picture; and the chooser that tells a flat PDF from a fillable one."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from reportlab.lib.pagesizes import letter
from reportlab.pdfgen.canvas import Canvas

from pipeline.extract import extract
from pipeline.intake import receive
from pipeline.model import InputKind, ReadMethod

# A line of a printed page: (x, y, text), or (x, y, text, font, size) in a font of its own.
PrintedLine = tuple


def printed_page(path: Path, *lines: PrintedLine, font: str = "Helvetica") -> Path:
    """A one-page PDF with ``lines`` drawn at their places, in ``font`` at 10 points unless a line
    names its own (an agency's hint in small italics); the extraction tests read it."""
    c = Canvas(str(path), pagesize=letter)
    for x, y, text, *style in lines:
        c.setFont(*(style or (font, 10)))
        c.drawString(x, y, text)
    c.save()
    return path


def flat_pdf(path: Path, signature: Path) -> Path:
    c = Canvas(str(path), pagesize=letter)
    c.setFont("Helvetica", 10)
    c.drawString(54, 700, "First name")
    c.drawString(260, 700, "Jordan")
    c.drawString(54, 680, "Parent Support Partner signature")
    c.drawImage(str(signature), 260, 674, width=90, height=22)
    c.rect(54, 657, 10, 10)
    c.line(56, 662, 59, 659)
    c.line(59, 659, 63, 666)  # a tick drawn in the box
    c.drawString(72, 658, "I will attend all 5 days of classroom training")
    c.rect(54, 637, 10, 10)
    c.drawString(72, 638, "I will attend the quarterly Professional Development and Technical Assistance meetings")
    c.drawString(54, 40, "Form PSP-REG version 2025.1")
    c.save()
    return path


def test_values_beside_labels_drawn_boxes_and_a_drawn_signature(tmp_path):
    signature = tmp_path / "signature.png"
    Image.new("L", (180, 44), 0).save(signature)
    path = flat_pdf(tmp_path / "printed.pdf", signature)
    document = extract(receive(path, tmp_path))
    assert (document.kind, document.form_id) == (InputKind.FLAT_PDF, "PSP-REG")
    fields = document.fields
    assert fields["psp_first_name"].value == "Jordan" and fields["psp_first_name"].method is ReadMethod.LABEL
    assert fields["psp_signature"].value == "[picture]"  # signed, by a drawn signature
    assert (fields["commit_classroom"].value, fields["commit_quarterly_pd"].value) == (True, False)


def test_printed_instructions_under_a_field_are_not_its_value(tmp_path):
    # An agency's own version of the form prints a hint under an optional field and one under a
    # required one; printed or flattened, each sits where a value would.
    printed_page(
        tmp_path / "hints.pdf",
        (54, 700, "First name"),
        (260, 700, "Jordan"),
        (54, 680, "Contract provider agency name"),
        (54, 668, "Required when PSPs are employed by a contract agency", "Helvetica-Oblique", 8),
        (54, 640, "Last name"),
        (54, 628, "Enter the last name as it appears on the PSP's employment record", "Helvetica-Oblique", 8),
        (54, 40, "Form PSP-REG version 2025.1"),
    )
    document = extract(receive(tmp_path / "hints.pdf", tmp_path))
    fields = document.fields
    assert fields["psp_first_name"].value == "Jordan"
    assert fields["provider_agency_name"].value == ""  # optional: blank, as it was left
    last = fields["psp_last_name"]  # required: never blank on a guess, a person reads it
    assert last.confidence < 0.8 and "printed instructions" in (last.note or "")


def test_an_answer_that_starts_like_an_instruction_is_kept(tmp_path):
    from pipeline.extract.labels import is_printed_instruction
    from schemas.spec import load_form_spec

    spec = load_form_spec("PSP-REG")
    # names whose words are the form's own ("family", "partner", "provider") and begin like an
    # instruction: blanking one made a valid plan fail ORP-R03 (seed 9137's generated corpus)
    for answer in ("Enter Health Inc.", "Family Services of Barry County", "Optimal Care Partners", "If applicable",
                   "Example Family Partners, Inc.", "Select Parent Support Partner Services", "Complete Family Care of the County"):
        assert not is_printed_instruction(answer, spec), answer
    assert is_printed_instruction("Complete only if the credential above is Other", spec)
    # an agency's own wording, none of the specification's: it speaks to the reader
    for hint in ("Leave blank if this does not apply to your agency", "Please write it as it appears on your records",
                 "Required: this must be filled in before the form is sent", "If applicable, please provide this as well"):
        assert is_printed_instruction(hint, spec), hint
    # answers that say "please", "only", "if" or "you" once or twice are answers
    for answer in ("PSPs will join weekly team meetings and, when a family asks, attend school meetings with the parent.",
                   "Gluten free only, please.", "Vegan meals only please, if possible.", "Help When You Need It Inc",
                   "Director of Family Services, if applicable", "the PSP will follow up only if you ask."):
        assert not is_printed_instruction(answer, spec), answer


def test_a_box_ticked_with_an_x_typed_apart_and_its_label_wrapping_back_under_it(tmp_path):
    # As a retyped form saved as PDF prints it: "X" alone, the label after a gap, its second line
    # back at the margin under the X; a value above it must not run on into it.
    printed_page(
        tmp_path / "ticks.pdf",
        (54, 700, "Number of PSP positions planned:"),
        (54, 686, "3"),
        (54, 668, "X"),
        (72, 668, "PSP candidates will be parents or primary caregivers with lived experience raising a child"),
        (54, 655, "with SED and/or I/DD, including autism"),
        (54, 637, "X"),
        (72, 637, "Identify a supervisor within the CMHSP, and the contract agency if applicable, to oversee"),
        (54, 624, "PSPs"),
        (54, 40, "Form PSP-ORP version 2025.1"),
    )
    fields = extract(receive(tmp_path / "ticks.pdf", tmp_path)).fields
    assert fields["psp_positions_planned"].value == "3"
    assert fields["hiring_lived_experience"].value is True and fields["commit_supervisor"].value is True


@pytest.mark.parametrize("x_style", [True, False], ids=["ticks-typed-as-x", "no-ticks-anywhere"])
def test_options_all_printed_bare_go_to_a_person_whatever_the_documents_style(tmp_path, x_style):
    # A row of bare options: none ticked, or every one chosen ("SED, I/DD, Autism" for a child
    # with all three)? Even where the document ticks with "X", a person reads it: reading it as
    # none ticked rejected a valid packet (REG-R01).
    printed_page(
        tmp_path / "bare.pdf",
        (54, 700, "PSP first name:"),
        (200, 700, "Jordan"),
        (54, 680, "My child's condition:"),
        (200, 680, "SED"),
        (260, 680, "I/DD"),
        (320, 680, "Autism"),
        *([(54, 660, "X")] if x_style else []),
        (72, 660, "I will attend all 5 days of classroom training"),
        (54, 40, "Form PSP-REG version 2025.1"),
    )
    fields = extract(receive(tmp_path / "bare.pdf", tmp_path)).fields
    conditions = [fields[k] for k in ("child_condition_sed", "child_condition_idd", "child_condition_autism")]
    assert all(f.value is None and f.confidence < 0.8 for f in conditions)
    assert fields["commit_classroom"].value is x_style


def test_an_instruction_printed_under_a_value_is_not_part_of_it(tmp_path):
    # An agency's version prints its own instruction in small italics under the value: a ZIP code
    # followed by "Please write it as..." is a ZIP code, not a value to reject (ORP-R06 and the
    # like would have said something no person agrees with).
    printed_page(
        tmp_path / "under.pdf",
        (54, 700, "Home ZIP code:"),
        (200, 700, "48910"),
        (200, 690, "Please write it as it appears on your agency's records", "Helvetica-Oblique", 8),
        (54, 670, "Contract provider agency name:"),
        (200, 660, "Leave blank if this does not apply to your agency", "Helvetica-Oblique", 8),
        (54, 40, "Form PSP-REG version 2025.1"),
    )
    fields = extract(receive(tmp_path / "under.pdf", tmp_path)).fields
    assert fields["psp_zip"].value == "48910"
    assert fields["provider_agency_name"].value == ""  # optional: blank, as it was left


def test_boxes_typed_as_brackets_with_a_space_inside_are_boxes(tmp_path):
    # "[ ]" prints as two words on a page ("[" and "]"); before they were joined, a row of them read
    # as every option printed and none ticked, and "[ ] I will attend" as text beside a box.
    printed_page(
        tmp_path / "brackets.pdf",
        (54, 700, "My child's condition:"),
        (200, 700, "[ ] SED   [ X ] I/DD   [ ] Autism"),
        (54, 680, "[ ] I will attend all 5 days of classroom training"),
        (54, 660, "[X] I will take part in 10 months of individual and group coaching"),
        (54, 40, "Form PSP-REG version 2025.1"),
    )
    fields = extract(receive(tmp_path / "brackets.pdf", tmp_path)).fields
    assert [fields[k].value for k in ("child_condition_sed", "child_condition_idd", "child_condition_autism")] == [
        False, True, False]
    assert (fields["commit_classroom"].value, fields["commit_coaching"].value) == (False, True)


def test_a_row_of_boxes_is_read_whole_even_where_an_option_says_more(tmp_path):
    # "☒ Part-time, only if you work fewer than 30 hours" on the line under "☒ Full-time" is the
    # second box of the row, not an instruction to cut off: two boxes ticked go to a person (a
    # cut row read as Full-time alone let 32 hours pass REG-R08).
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    pdfmetrics.registerFont(TTFont("DejaVu", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"))
    printed_page(
        tmp_path / "position.pdf",
        (72, 680, "Position: \u2612 Full-time"),
        (120, 667, "\u2612 Part-time, please only if you work fewer than 30 hours"),
        (72, 640, "Hours per week: 32"),
        (54, 40, "Form PSP-REG version 2025.1"),
        font="DejaVu",
    )
    position = extract(receive(tmp_path / "position.pdf", tmp_path)).fields["position_type"]
    assert position.value is None and position.confidence < 0.8


@pytest.mark.parametrize("ruled", [True, False], ids=["rows-ruled", "no-rules"])
def test_a_label_beside_an_empty_value_in_a_ruled_table_of_labels_over_values_is_a_label(tmp_path, ruled):
    # A Word table of labels over values printed to PDF, the phone left empty: "Executive Director"
    # is the next field's label (a rule between the rows says the line under is the values' row).
    # Without rules, the line under may be a value wrapped: as before, a person reads it.
    c = Canvas(str(tmp_path / "grid.pdf"), pagesize=letter)
    c.setFont("Helvetica", 10)
    for x, text in ((58, "Contact email"), (223, "Contact phone"), (389, "Executive Director")):
        c.drawString(x, 700, text)
    c.drawString(58, 686, "reese.sampleton@example.org")
    c.drawString(389, 686, "Jamie Exemplar")
    if ruled:
        for y in (712, 697, 682):
            c.line(54, y, 560, y)
    c.drawString(54, 40, "Form PSP-ORP version 2025.1")
    c.save()
    fields = extract(receive(tmp_path / "grid.pdf", tmp_path)).fields
    if ruled:
        assert fields["director_name"].value == "Jamie Exemplar" and fields["contact_phone"].value == ""
    else:  # the director's label not found: the judge sends the form to a person
        assert "director_name" not in fields
