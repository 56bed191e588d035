"""A value beside its label goes on over the next line only when that line's first word would not
have fitted at the end of it, before the text's right margin; a document's pages share their
margins, so a page whose lines all stop short of it is judged by the widest line of the document's
pages of its width (a heading under a value is not its second line)."""

from __future__ import annotations

from pathlib import Path

from reportlab.lib.pagesizes import letter
from reportlab.pdfgen.canvas import Canvas

from pipeline.extract import extract
from pipeline.intake import receive

MARKER = "Form PSP-REG version 2025.1"


def _pages(path: Path, *pages: list[tuple[float, float, str]]) -> Path:
    c = Canvas(str(path), pagesize=letter)
    for lines in pages:
        c.setFont("Helvetica", 10)
        for x, y, text in [*lines, (54, 40, MARKER)]:
            c.drawString(x, y, text)
        c.showPage()
    c.save()
    return path


def test_a_heading_whose_first_word_fits_after_a_value_is_not_the_value_going_on(tmp_path):
    path = _pages(
        tmp_path / "retyped.pdf",
        [
            (54, 700, "First name: Jordan"),
            # page 1's widest line: a value that does wrap (its next word fits nowhere on the line)
            (54, 680, "Contract provider agency name: Family Outreach Center of the Great Lakes Bay Region and"),
            (54, 667, "Thumb Area"),
            (54, 650, "Community Mental Health Services Program (CMHSP): Cmh For Central Michigan"),
            (54, 637, "Commitments and Signatures"),  # the agency's own heading, at the margin under it
            (54, 620, "Parent Support Partner signature: Jordan Example"),
        ],
        [  # page 2 shows how far the document's lines go
            (54, 700, "I will take part in 10 months of individual and group coaching, including monthly group coaching calls"),
        ],
    )
    fields = extract(receive(path, tmp_path)).fields
    assert fields["cmhsp_name"].value == "Cmh For Central Michigan"
    assert fields["provider_agency_name"].value == "Family Outreach Center of the Great Lakes Bay Region and Thumb Area"
    assert fields["psp_signature"].value == "Jordan Example"
