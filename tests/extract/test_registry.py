"""Every registered extractor meets the one small interface, and the registry picks by kind."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.extract import EXTRACTORS, extract
from pipeline.extract.base import Extractor
from pipeline.model import ExtractionProblem, InputKind
from tests.extract.conftest import blank

SUBMISSIONS = Path(__file__).resolve().parents[2] / "samples" / "submissions"


@pytest.mark.parametrize("kind", list(EXTRACTORS))
def test_each_extractor_meets_the_interface(kind):
    extractor = EXTRACTORS[kind]
    assert isinstance(extractor, Extractor)
    assert extractor.kind is kind


def test_every_input_kind_has_an_extractor():
    assert set(EXTRACTORS) == set(InputKind)


@pytest.mark.parametrize(
    ("source", "kind"),
    [
        (SUBMISSIONS / "orp_valid_cei.pdf", InputKind.FILLABLE_PDF),
        (blank("PSP-ORP", ".pdf"), InputKind.FLAT_PDF),  # fields that hold no value: read by the page text
        (blank("PSP-ORP", ".docx"), InputKind.WORD_FORM),
    ],
    ids=["fillable-pdf", "blank-pdf", "word-form"],
)
def test_the_kind_is_sniffed_from_the_content_not_the_name(source, kind, tmp_path, received):
    renamed = tmp_path / "attachment.bin"
    renamed.write_bytes(source.read_bytes())
    assert extract(received(renamed)).kind is kind


def test_a_file_of_no_known_kind_goes_to_a_person(tmp_path, received):
    path = tmp_path / "notes.txt"
    path.write_text("Form PSP-ORP version 2025.1")
    document = extract(received(path))
    assert document.problem is ExtractionProblem.UNSUPPORTED_KIND


def test_an_image_only_pdf_is_a_scan_that_goes_to_a_person(tmp_path, received):
    from PIL import Image

    path = tmp_path / "fax.pdf"
    Image.new("L", (612, 792), 255).save(path, "PDF", resolution=72)
    document = extract(received(path))
    assert (document.kind, document.problem) == (InputKind.SCANNED_PDF, ExtractionProblem.UNREADABLE)
    assert document.problem_detail.startswith("scanned page, no text layer")


@pytest.mark.parametrize(("kind", "suffix"), [(InputKind.EMAIL, "eml"), (InputKind.OUTLOOK_MSG, "msg")])
def test_an_email_without_forms_reaches_extraction_and_says_why(kind, suffix, tmp_path, received):
    from datetime import UTC, datetime

    from samples.msgfile import write_msg
    from samples.renditions import write_eml

    path = tmp_path / "mail.bin"
    sent = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
    if suffix == "eml":
        write_eml(path, "Avery <avery.sample@example.org>", sent, [])
    else:
        write_msg(path, sender="Avery <avery.sample@example.org>", sent_at=sent, subject="s", body="b",
                  attachments=[("notes.txt", b"hello")])
    document = extract(received(path))
    assert (document.kind, document.problem) == (kind, ExtractionProblem.UNREADABLE)
    assert "attachment" in document.problem_detail
