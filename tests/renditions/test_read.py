"""Every rendition of the forms is read as exactly as the fillable forms: the same form and version,
every widget's value as filled, from the file's content whatever its name."""

from __future__ import annotations

import pytest

from pipeline.extract import extract
from pipeline.model import ExtractionProblem, InputKind, ReadMethod
from tests.renditions.conftest import (
    CASES,
    FORM_RENDITIONS,
    expectation,
    rendition_file,
)

KINDS = {
    "fillable_pdf": InputKind.FILLABLE_PDF,
    "word_form": InputKind.WORD_FORM,
    "flattened_pdf": InputKind.FLAT_PDF,
    "word_saved_as_pdf": InputKind.FLAT_PDF,
    "word_resaved": InputKind.WORD_DOCUMENT,  # LibreOffice drops the controls' tags
    "word_typed_over": None,  # a Word form when some controls were kept, a Word document otherwise
    "word_layouts": InputKind.WORD_DOCUMENT,
    "word_layouts_pdf": InputKind.FLAT_PDF,
    "word_legacy": InputKind.WORD_LEGACY_FORM,
    "retyped": InputKind.WORD_DOCUMENT,
    "retyped_pdf": InputKind.FLAT_PDF,
    "retyped_reworded": InputKind.WORD_DOCUMENT,
    # filled, flattened, printed or ticked by hand with other programs (samples/pdf_tools.py)
    "pdflib_flattened": InputKind.FLAT_PDF,
    "pymupdf_flattened": InputKind.FLAT_PDF,
    "pdftk_flattened": InputKind.FLAT_PDF,
    "printed_pdftocairo": InputKind.FLAT_PDF,
    "distilled_ghostscript": InputKind.FLAT_PDF,
    "pen_marked": InputKind.FLAT_PDF,
    "agency_version": InputKind.WORD_DOCUMENT,
    "agency_version_pdf": InputKind.FLAT_PDF,
}
PAIRS = [(r, c) for r in FORM_RENDITIONS for c in CASES]


def same(expected, read) -> bool:
    if isinstance(expected, bool):
        return read is expected
    if expected == "":
        return read in (None, "")
    # a line break the rendition itself prints as a space (or drops) is not a reading error
    return isinstance(read, str) and "".join(expected.split()) == "".join(read.split())


@pytest.mark.parametrize(("rendition", "case"), PAIRS, ids=[f"{r}-{c}" for r, c in PAIRS])
def test_every_value_is_read_as_filled(renditions, received_copy, rendition, case):
    folder = renditions / rendition
    expected = expectation(folder, case)
    document = extract(received_copy(rendition_file(folder, case)))
    assert document.problem is None, document.problem_detail
    assert (document.form_id, document.form_version) == (expected["form_id"], expected["form_version"])
    if KINDS[rendition] is not None:
        assert document.kind is KINDS[rendition]
    wrong = {
        key: (document.fields[key].value if key in document.fields else "<not found>", value)
        for key, value in expected["values"].items()
        if not (key in document.fields and same(value, document.fields[key].value))
        and not (value in ("", False) and key not in document.fields and rendition.startswith("retyped"))
    }
    assert wrong == {}


@pytest.mark.parametrize("rendition", ["flattened_pdf", "word_saved_as_pdf", "word_resaved", "word_layouts"])
def test_clean_labels_are_read_with_confidence_and_say_where(renditions, received_copy, rendition):
    document = extract(received_copy(rendition_file(renditions / rendition, "reg_valid_cei")))
    for read in document.fields.values():
        assert read.method in (ReadMethod.LABEL, ReadMethod.CONTENT_CONTROL)
        assert read.confidence >= 0.9 and read.note is None and not read.conflicts
        assert read.location.startswith(("page ", "table ", "paragraph "))


def test_reworded_labels_are_read_but_with_low_confidence(renditions, received_copy):
    document = extract(received_copy(rendition_file(renditions / "retyped_reworded", "orp_valid_cei")))
    loose = [read for read in document.fields.values() if read.confidence < 0.8]
    assert loose, "a reworded label should be a loose match"
    assert all("was taken for" in (read.note or "") for read in loose)


def test_retyped_forms_are_recognised_with_and_without_their_marker(renditions, received_copy):
    marked = {}
    for case in CASES:
        path = rendition_file(renditions / "retyped", case)
        document = extract(received_copy(path))
        marked[case] = "version 2025.1" in _docx_text(path)
        assert document.form_id == expectation(renditions / "retyped", case)["form_id"]
    assert set(marked.values()) == {True, False}  # both kinds were tried


def test_a_scan_too_poor_to_read_goes_to_a_person_with_the_reason(renditions, received_copy):
    document = extract(received_copy(rendition_file(renditions / "scanned_pdf", "orp_valid_cei")))
    assert document.kind is InputKind.SCANNED_PDF
    assert document.problem is ExtractionProblem.UNREADABLE
    assert document.problem_detail.startswith("the scan is too poor to read")


def _docx_text(path) -> str:
    import zipfile

    with zipfile.ZipFile(path) as archive:
        return " ".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist() if n.startswith("word/"))
