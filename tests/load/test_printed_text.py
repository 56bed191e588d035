"""An agency's own version of the registration packet, printed to PDF by LibreOffice, with its own
hint printed under two fields and its letterhead over every page, filled for several PSPs and
judged against the store: the hint recurring at a field is known as printed text (a blank optional
field reads blank, a blank required one goes to a person), the letterhead is never a value, and a
county many PSPs share is still their answer."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

import pytest

from pipeline.extract import extract
from pipeline.model import Outcome, ReceivedFile
from samples.renditions import (
    TEXT_BOX_STYLES,
    DocStyle,
    layout_docx,
    soffice_convert,
    soffice_path,
)
from schemas.spec import load_form_spec
from tests.conftest import RECEIVED_AT, VALID_PACKET, require_tools

HINT = "(as on the county ID card)"
LETTERHEAD = ["Lakeview Example Family Services", "1200 Example Avenue, Lansing, MI 48910", "Phone (517) 555-0190"]
# (preferred name, county of residence) of each PSP, in the order their packets come
PSPS = [("Sam", "Ingham"), ("", "Ingham"), ("", "Eaton"), ("", "Ingham"), ("", "Ingham"), ("Alex", "")]


@pytest.fixture(scope="module")
def packets(tmp_path_factory) -> list[Path]:
    """The agency's packets, one per PSP of ``PSPS``, as PDFs LibreOffice printed from Word."""
    require_tools([] if soffice_path() else ["soffice (libreoffice-writer-nogui)"])
    folder = tmp_path_factory.mktemp("agency-version")
    style = DocStyle(layouts=["table"], box=TEXT_BOX_STYLES[0], choice_boxes=False, multi_list=False,
                     hints={"psp_preferred_name": HINT, "psp_county": HINT})
    sources = []
    for number, (preferred, county) in enumerate(PSPS, start=1):
        values = {**VALID_PACKET, "psp_first_name": f"Pat{number}", "psp_email": f"pat{number}@example.org",
                  "psp_preferred_name": preferred, "psp_county": county}
        source = folder / f"packet-{number}.docx"
        layout_docx(load_form_spec("PSP-REG"), values, source, style, letterhead=LETTERHEAD,
                    title="New Parent Support Partner: registration", letterhead_on_every_page=True)
        sources.append(source)
    soffice_convert(sources, "pdf", folder)
    return [source.with_suffix(".pdf") for source in sources]


def _read(path: Path, minutes: int):
    data = path.read_bytes()
    received = ReceivedFile(path=path, original_name=path.name, sha256=hashlib.sha256(data).hexdigest(),
                            size=len(data), received_at=RECEIVED_AT + timedelta(minutes=minutes))
    return extract(received)


def test_an_agencys_printed_hint_and_letterhead_are_never_answers(packets, record, doc):
    documents = [_read(path, minutes) for minutes, path in enumerate(packets, start=1)]
    assert documents[0].pages >= 2 and all(d.form_id == "PSP-REG" for d in documents)
    for document in documents:  # the letterhead over each page is no field's value
        assert not any(isinstance(read.value, str) and ("Lakeview" in read.value or "555-0190" in read.value)
                       for read in document.fields.values())
    # as read, before anything is known of the agency: the hint where a value goes, and after one
    assert documents[1].fields["psp_preferred_name"].value == HINT
    assert documents[0].fields["psp_county"].value == f"Ingham {HINT}"

    record(doc("PSP-ORP"))
    first, _ = record(*documents[:3])  # Sam, and two whose preferred name is left empty
    later, _ = record(*documents[3:])  # judged against the store: the hint is known there by now
    stored = {receipt.result.document.received.original_name: receipt for receipt in (*first, *later)}

    fourth, fifth, sixth = (stored[f"packet-{n}.pdf"] for n in (4, 5, 6))
    for receipt in (fourth, fifth):
        assert receipt.outcome is Outcome.ACCEPTED, receipt.result.findings
        assert receipt.result.values["psp_preferred_name"] in ("", None)  # an optional field left blank
        assert receipt.result.values["psp_county"] == "Ingham"  # shared by many, still their answer
    # a required field left blank, the hint under it: a person looks, told which field
    assert sixth.outcome is Outcome.NEEDS_REVIEW
    [finding] = [f for f in sixth.result.findings if f.field == "psp_county" and f.rule is None]
    assert finding.label == "County of residence" and "not an answer" in finding.message
    assert {f.severity for f in sixth.result.findings} == {"review"}  # never rejected for it
    assert sixth.result.values["psp_preferred_name"] == "Alex"
