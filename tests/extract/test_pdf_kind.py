"""pipeline.extract.pdf_kind: which of the three PDF kinds a PDF is, from its content: fillable (a
field holds a value, or a box only shows it is ticked), flat (text on the pages) or scanned
(neither); a PDF that cannot be parsed is left to the fillable reader, which says why."""

from __future__ import annotations

from pypdf import PdfReader, PdfWriter
from pypdf.generic import DictionaryObject, NameObject

from pipeline.extract.pdf_kind import PdfKind, detect_pdf, is_pdf
from tests.extract.conftest import SUBMISSIONS, blank, image_only_pdf


def test_the_pdf_header_may_come_after_a_few_bytes_of_something_else():
    assert is_pdf(b"%PDF-1.7\n") and is_pdf(b"\r\n" * 100 + b"%PDF-1.4")
    assert not is_pdf(b"x" * 1024 + b"%PDF-1.4") and not is_pdf(b"PK\x03\x04")


def test_a_filled_form_is_fillable_a_blank_one_flat_a_picture_scanned(tmp_path):
    for path, kind in ((SUBMISSIONS / "orp_valid_cei.pdf", PdfKind.FILLABLE), (blank("PSP-ORP", ".pdf"), PdfKind.FLAT),
                       (image_only_pdf(tmp_path / "fax.pdf"), PdfKind.SCANNED)):
        told, reader = detect_pdf(path)
        assert told is kind and isinstance(reader, PdfReader), path.name


def test_a_box_ticked_only_in_its_appearance_makes_the_form_fillable(tmp_path):
    """Some fillers set a check box widget's appearance state and leave the field's value unset."""
    writer = PdfWriter(clone_from=blank("PSP-REG", ".pdf"))
    widgets = [ref.get_object() for page in writer.pages for ref in page.get("/Annots") or []]
    boxes = [w for w in widgets if isinstance(w, DictionaryObject) and "/Off" in w.get("/AP", {}).get("/N", {})]
    assert boxes and all(box.get("/V") in (None, "/Off") for box in boxes)
    boxes[0][NameObject("/AS")] = NameObject("/Yes")
    writer.write(tmp_path / "ticked.pdf")
    assert detect_pdf(tmp_path / "ticked.pdf")[0] is PdfKind.FILLABLE


def test_a_protected_pdf_goes_to_the_fillable_reader_which_says_so(tmp_path):
    writer = PdfWriter(clone_from=SUBMISSIONS / "orp_valid_cei.pdf")
    writer.encrypt("a password the office does not have")
    writer.write(tmp_path / "protected.pdf")
    told, reader = detect_pdf(tmp_path / "protected.pdf")
    assert told is PdfKind.FILLABLE and reader.is_encrypted


def test_a_pdf_that_cannot_be_parsed_is_left_to_the_fillable_reader(tmp_path):
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.7\nnot a PDF beyond its first line\n")
    assert detect_pdf(path) == (PdfKind.FILLABLE, None)
