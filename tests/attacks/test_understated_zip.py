"""A zip bomb that understates its sizes: a Word file whose document.xml declares a few hundred
bytes, in the archive's directory and in its local header, but inflates to 150 MB.

The zip guard judged an archive by its directory alone, so this one passed it; python-docx then
read the part as zipfile reads it, all at once: zipfile inflated the whole 150 MB into memory
before cutting it to the declared size and failing on its checksum. A bigger one (a 50 MB file
inflates to some 50 GB) takes the reader past its memory limit. The guard now counts the bytes
that actually come out, a chunk at a time, and refuses the file before a reader opens it.
"""

from __future__ import annotations

import struct
import tracemalloc
import zipfile
from pathlib import Path

from pipeline.extract import extract
from pipeline.intake import receive

FORMS = Path(__file__).resolve().parents[2] / "samples" / "forms"
PART = "word/document.xml"


def word_file(out: Path, document_xml: bytes) -> Path:
    """The official Word form with its document.xml replaced."""
    with zipfile.ZipFile(FORMS / "PSP-REG_2025.1.docx") as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item.filename, document_xml if item.filename == PART else source.read(item.filename))
    return out


def understate(path: Path, name: str, declared: int) -> Path:
    """Patch the uncompressed size of ``name`` to ``declared``, in its local header and in the
    central directory, leaving its data and checksum as they are."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        local = archive.getinfo(name).header_offset
        position = archive.start_dir
    assert data[local:local + 4] == b"PK\x03\x04"
    struct.pack_into("<I", data, local + 22, declared)  # local header: uncompressed size
    while data[position:position + 4] == b"PK\x01\x02":  # central directory entries, in turn
        name_length, extra_length, comment_length = struct.unpack_from("<HHH", data, position + 28)
        if data[position + 46:position + 46 + name_length].decode() == name:
            struct.pack_into("<I", data, position + 24, declared)  # central directory: uncompressed size
        position += 46 + name_length + extra_length + comment_length
    path.write_bytes(bytes(data))
    with zipfile.ZipFile(path) as archive:
        assert archive.getinfo(name).file_size == declared
    return path


def received(path: Path):
    return receive(path, path.parent)


def test_a_word_file_that_understates_how_much_it_inflates_is_refused_without_inflating_it(tmp_path):
    padding = b"<w:p/>" * (25 * 1024 * 1024)  # 150 MB of XML, a few hundred KB packed
    bomb = understate(word_file(tmp_path / "understated.docx", padding), PART, 400)
    assert bomb.stat().st_size < 1024 * 1024
    with zipfile.ZipFile(bomb) as archive:  # what the directory says: a small file, nothing like a bomb
        assert sum(item.file_size for item in archive.infolist()) < 1024 * 1024
    del padding

    tracemalloc.start()
    try:
        document = extract(received(bomb))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 50 * 1024 * 1024, f"{peak / 1024 / 1024:.0f} MB were held while reading it"
    assert document.problem == "unreadable"
    assert "refused unread" in document.problem_detail


def test_a_part_that_inflates_past_its_declared_size_is_refused(tmp_path):
    """Not a bomb by its ratio, but its directory lies: no reader could read it as declared."""
    with zipfile.ZipFile(FORMS / "PSP-REG_2025.1.docx") as source:
        xml = source.read(PART)
    lying = understate(word_file(tmp_path / "lying.docx", xml), PART, 1000)
    document = extract(received(lying))
    assert document.problem == "unreadable"
    assert "more than the archive's directory says" in document.problem_detail


def test_the_official_word_form_still_passes_the_guard():
    document = extract(received(FORMS / "PSP-REG_2025.1.docx"))
    assert document.problem is None and document.form_id == "PSP-REG"
