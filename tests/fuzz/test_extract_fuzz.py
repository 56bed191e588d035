"""Fuzzing the extractors with hypothesis: the official forms with bytes flipped, cut short or
spliced, and random bytes behind a PDF or zip signature. Extraction never raises: every input
becomes an extracted document, with a problem when it cannot be read as a form. Findings of
this fuzzing are kept as regression tests below."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.extract import extract
from pipeline.model import ExtractedDocument, ReceivedFile

FORMS = Path(__file__).resolve().parents[2] / "samples" / "forms"
SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "submissions"
SEEDS = [p.read_bytes() for p in (SAMPLES / "reg_valid_isk.pdf", SAMPLES / "reg_valid_cei.docx", FORMS / "PSP-ORP_2025.1.pdf")]
fuzz = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def read(tmp_path: Path, data: bytes, name: str = "fuzzed.bin") -> ExtractedDocument:
    path = tmp_path / name
    path.write_bytes(data)
    received = ReceivedFile(path=path, original_name=name, sha256="f" * 64, size=len(data), received_at=datetime.now(UTC))
    document = extract(received)
    assert isinstance(document, ExtractedDocument)
    if document.form_id is None:
        assert document.problem is not None
    return document


@fuzz
@given(st.sampled_from(range(len(SEEDS))), st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=20))
def test_flipped_bytes(tmp_path, seed, flips):
    data = bytearray(SEEDS[seed])
    for position, value in flips:
        data[position % len(data)] = value
    read(tmp_path, bytes(data))


@fuzz
@given(st.sampled_from(range(len(SEEDS))), st.floats(0.0, 1.0))
def test_cut_short(tmp_path, seed, fraction):
    data = SEEDS[seed]
    read(tmp_path, data[: int(len(data) * fraction)])


@fuzz
@given(st.sampled_from([b"%PDF-1.7\n", b"PK\x03\x04", b"From: a@b.c\nSubject: x\n\n"]), st.binary(max_size=4096))
def test_random_bytes_behind_a_signature(tmp_path, signature, body):
    read(tmp_path, signature + body)


@fuzz
@given(st.dictionaries(st.sampled_from(["word/document.xml", "[Content_Types].xml", "word/_rels/document.xml.rels",
                                        "word/footer1.xml"]), st.binary(max_size=512), min_size=1))
def test_zip_archives_with_junk_parts(tmp_path, parts):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    read(tmp_path, buffer.getvalue(), "fuzzed.docx")


def test_regression_a_docx_with_an_empty_document_part(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", b"")
    assert read(tmp_path, buffer.getvalue(), "empty.docx").problem is not None


def test_regression_a_pdf_header_and_nothing_else(tmp_path):
    assert read(tmp_path, b"%PDF-1.7\n", "header-only.pdf").problem is not None


def test_regression_a_word_file_whose_compressed_part_is_corrupt(tmp_path):
    """Found by test_flipped_bytes: a zero byte at offset 49 of a Word form raised zlib.error."""
    data = bytearray(SEEDS[1])
    data[49] = 0
    document = read(tmp_path, bytes(data), "corrupt.docx")
    assert document.problem == "unreadable"
