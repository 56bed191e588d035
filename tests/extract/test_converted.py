"""pipeline.extract.converted: .doc, .rtf and .odt files, told by content and converted to Word by
headless LibreOffice, read as the Word form they came from is read; broken, locked or slow ones
get a plain reason, and no LibreOffice is left running.

The files are made once per session by LibreOffice itself, from the project's filled Word forms
(``samples.fill.fill_docx``), as an agency saving the form in Word 97-2003, Rich Text or
OpenDocument would make them.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import struct
import subprocess
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import olefile
import pytest

from pipeline.errors import DocumentUnreadable
from pipeline.extract import extract
from pipeline.extract.converted import (
    CONVERT_TIMEOUT_SECONDS,
    FIB_ENCRYPTED,
    convert_to_docx,
    convertible_kind,
)
from pipeline.extract.detect import detect
from pipeline.intake import receive
from pipeline.model import ExtractionProblem, InputKind
from pipeline.settings import Settings
from pipeline.workers import ExtractionPool
from samples.fill import fill_docx
from samples.msgfile import write_msg
from samples.renditions import form_cases, soffice_path
from tests.conftest import require_tools
from tests.extract.conftest import blank

# A plan with a two-line narrative and ticked boxes; a packet with a chosen option and several boxes.
CASES = ("orp_valid_cei", "reg_valid_cei")
# The format each kind is saved in, as LibreOffice names its export filter.
FORMATS = {InputKind.WORD_97: ("doc", "MS Word 97"), InputKind.RICH_TEXT: ("rtf", "Rich Text Format"),
           InputKind.OPEN_DOCUMENT: ("odt", "writer8")}
# The plan in each format; the packet as .odt (read by its labels) here, as .doc in the worker pool.
PAIRS = [(InputKind.WORD_97, CASES[0]), (InputKind.RICH_TEXT, CASES[0]), (InputKind.OPEN_DOCUMENT, CASES[0]),
         (InputKind.OPEN_DOCUMENT, CASES[1])]


def save_as(sources: list[Path], suffix: str, export_filter: str, out: Path) -> None:
    """Save every file of ``sources`` in ``out`` as ``suffix`` with LibreOffice, in one run."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="psp-test-soffice-") as profile:
        subprocess.run([soffice_path(), f"-env:UserInstallation={Path(profile).as_uri()}", "--headless",
                        "--norestore", "--convert-to", f"{suffix}:{export_filter}", "--outdir", str(out),
                        *map(str, sources)], capture_output=True, timeout=300, check=True)
    for source in sources:
        assert (out / f"{source.stem}.{suffix}").is_file(), f"LibreOffice made no {suffix} of {source.name}"


@pytest.fixture(scope="session")
def saved(tmp_path_factory) -> Path:
    """``<case>.docx`` (the filled Word form) and, saved from it, ``<case>.doc``, ``.rtf``, ``.odt``."""
    require_tools([] if soffice_path() else ["soffice (libreoffice-writer-nogui)"])
    out = tmp_path_factory.mktemp("converted")
    cases = {c.name: c for c in form_cases() if c.name in CASES}
    sources = []
    for name in CASES:
        case = cases[name]
        fill_docx(blank(str(case.spec.form_id), ".docx"), case.values, out / f"{name}.docx")
        sources.append(out / f"{name}.docx")
    for suffix, export_filter in FORMATS.values():
        save_as(sources, suffix, export_filter, out)
    return out


def received_copy(source: Path, folder: Path, name: str | None = None):
    """``source`` received from an inbox of its own, as ``name``."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / (name or source.name)
    shutil.copyfile(source, target)
    return receive(target, folder)


def same(word, converted) -> bool:
    """One field's value as read from the .docx and from the converted file, alike. An empty value
    may be None or ""; a line break may be gone: LibreOffice drops the one inside a content control
    when it saves the .docx as .doc, .rtf or .odt (the saved files' own text has none; reading adds
    nothing and takes nothing away)."""
    if word in (None, ""):
        return converted in (None, "")
    if isinstance(word, str):
        return isinstance(converted, str) and "".join(word.split()) == "".join(converted.split())
    return converted == word


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- read as the Word form is read -----------------------------------------------------------


def read_alike(word, document, kind: InputKind) -> None:
    """``document`` (of ``kind``) read as ``word``, the Word form it was saved from: the same form,
    every field the same."""
    assert word.problem is None and word.fields, word.problem_detail
    assert document.problem is None, document.problem_detail
    assert document.kind is kind  # the file's own kind, not the Word kind it was read as
    assert (document.form_id, document.form_version) == (word.form_id, word.form_version)
    differing = {key: (read.value, document.fields[key].value if key in document.fields else "<not read>")
                 for key, read in word.fields.items()
                 if not (key in document.fields and same(read.value, document.fields[key].value))}
    assert differing == {}
    assert set(document.fields) == set(word.fields)


@pytest.mark.parametrize(("kind", "case"), PAIRS, ids=[f"{FORMATS[k][0]}-{c}" for k, c in PAIRS])
def test_each_field_is_read_as_from_the_word_form(saved, tmp_path, kind, case):
    word = extract(received_copy(saved / f"{case}.docx", tmp_path / "word"))
    received = received_copy(saved / f"{case}.{FORMATS[kind][0]}", tmp_path / "inbox")
    before = sha256(received.path)

    read_alike(word, extract(received), kind)
    # the original stays as it came, alone in its folder: the conversion lived elsewhere
    assert sha256(received.path) == before and [p.name for p in received.path.parent.iterdir()] == [received.path.name]


def test_a_doc_is_read_in_the_worker_pool_under_its_memory_limit(saved, tmp_path):
    defaults = Settings.model_fields  # the run's own limits: 60 s, 1536 MB of address space
    pool = ExtractionPool(workers=1, timeout_seconds=defaults["extract_timeout_seconds"].default,
                          memory_mb=defaults["worker_memory_mb"].default)
    try:
        [document] = list(pool.extract_all([received_copy(saved / f"{CASES[1]}.doc", tmp_path / "inbox")]))
    finally:
        pool.close()
    read_alike(extract(received_copy(saved / f"{CASES[1]}.docx", tmp_path / "word")), document, InputKind.WORD_97)


# -- told by content ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(FORMATS), ids=[s for s, _ in FORMATS.values()])
def test_the_kind_is_told_by_content_whatever_the_name(saved, tmp_path, kind):
    renamed = tmp_path / "form.pdf"
    shutil.copyfile(saved / f"orp_valid_cei.{FORMATS[kind][0]}", renamed)
    assert detect(renamed).kind is kind
    data = renamed.read_bytes()
    assert convertible_kind(data, data[:2048]) is kind  # an attachment's bytes, as told at intake


def test_other_files_are_none_of_these(saved, tmp_path):
    text = tmp_path / "notes.rtf"
    text.write_text("Form PSP-ORP version 2025.1\n{\\rtf1 is not how this file begins}")
    message = tmp_path / "message.doc"
    write_msg(message, sender="Avery <avery.sample@example.org>", sent_at=datetime(2026, 12, 1, tzinfo=UTC),
              subject="s", body="b", attachments=[("form.doc", (saved / "orp_valid_cei.doc").read_bytes())])
    for path in (text, saved / "orp_valid_cei.docx", message):
        data = path.read_bytes()
        assert convertible_kind(path, data[:2048]) is None, path.name
    assert detect(text) is None
    assert detect(saved / "orp_valid_cei.docx").kind is InputKind.WORD_FORM
    assert detect(message).kind is InputKind.OUTLOOK_MSG  # an OLE file too, carrying a .doc: still a message


# -- broken, locked, slow ------------------------------------------------------------------------


def _unreadable(path: Path, kind: InputKind) -> str:
    document = extract(receive(path, path.parent))
    assert (document.kind, document.problem) == (kind, ExtractionProblem.UNREADABLE), document.problem_detail
    assert "\n" not in document.problem_detail
    return document.problem_detail


@pytest.mark.parametrize("damage", ["random-after-header", "truncated"])
def test_a_damaged_doc_is_unreadable_with_a_plain_reason(saved, tmp_path, damage):
    data = (saved / "orp_valid_cei.doc").read_bytes()
    path = tmp_path / "form.doc"
    path.write_bytes(data[:512] + os.urandom(len(data) - 512) if damage == "random-after-header" else data[: len(data) // 2])
    assert "damaged" in _unreadable(path, InputKind.WORD_97)


def test_a_password_protected_doc_is_unreadable_with_a_plain_reason(saved, tmp_path):
    path = tmp_path / "locked.doc"
    shutil.copyfile(saved / "orp_valid_cei.doc", path)
    with olefile.OleFileIO(str(path), write_mode=True) as ole:  # Word's own flag: the text is encrypted
        stream = bytearray(ole.openstream("WordDocument").read())
        struct.pack_into("<H", stream, 10, struct.unpack_from("<H", stream, 10)[0] | FIB_ENCRYPTED)
        ole.write_stream("WordDocument", bytes(stream))
    assert "password" in _unreadable(path, InputKind.WORD_97)


def test_a_file_libreoffice_makes_nothing_of_is_unreadable(saved, tmp_path):
    data = (saved / "orp_valid_cei.rtf").read_bytes()
    path = tmp_path / "cut.rtf"
    path.write_bytes(data[: len(data) // 2])  # LibreOffice cannot load it, and still exits 0
    reason = _unreadable(path, InputKind.RICH_TEXT)
    assert "could not be converted by LibreOffice" in reason and "ask the sender" in reason


def test_a_conversion_past_its_time_limit_is_stopped_and_leaves_no_libreoffice(tmp_path):
    require_tools([] if soffice_path() else ["soffice (libreoffice-writer-nogui)"])
    slow = tmp_path / "long.rtf"  # thousands of table rows: LibreOffice takes minutes over them
    slow.write_text("{\\rtf1\\ansi " + "".join(f"\\trowd\\cellx3000\\cellx6000 row {i}\\cell value {i}\\cell\\row\n"
                                              for i in range(5000)) + "}")
    folder = tmp_path / "work"
    folder.mkdir()
    outcome: list[BaseException] = []

    def convert() -> None:
        try:
            convert_to_docx(slow, folder, InputKind.RICH_TEXT, timeout=4)
        except BaseException as exc:  # noqa: BLE001 - handed to the test's thread
            outcome.append(exc)

    def running() -> list[str]:  # LibreOffice's processes working in this folder (its profile is there)
        return subprocess.run(["pgrep", "-f", str(folder)], capture_output=True, text=True).stdout.split()

    thread = threading.Thread(target=convert)
    started = time.monotonic()
    thread.start()
    seen = set()
    while thread.is_alive():
        seen.update(running())
        time.sleep(0.1)
    assert time.monotonic() - started < 4 + 5
    assert len(outcome) == 1 and isinstance(outcome[0], DocumentUnreadable), outcome
    assert "took longer than 4 s and was stopped" in str(outcome[0])
    assert len(seen) >= 2  # it was running (the launcher and soffice.bin) when stopped
    assert running() == []
    assert CONVERT_TIMEOUT_SECONDS < Settings.model_fields["extract_timeout_seconds"].default
