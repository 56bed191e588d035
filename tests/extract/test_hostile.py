"""Hostile Word files: a zip bomb is refused from the archive's directory, unread; an XML
entity that points at a local file is never resolved into a value."""

from __future__ import annotations

import zipfile
from pathlib import Path

from pipeline.extract import extract

FORMS = Path(__file__).resolve().parents[2] / "samples" / "forms"


def rebuild(blank: Path, out: Path, replace: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(blank) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item.filename, replace.pop(item.filename, source.read(item.filename)))
        for name, data in replace.items():
            target.writestr(name, data)
    return out


def test_a_zip_bomb_is_refused_unread(tmp_path, received):
    bomb = rebuild(FORMS / "PSP-REG_2025.1.docx", tmp_path / "bomb.docx", {"word/media/padding.bin": bytes(150 * 1024 * 1024)})
    assert bomb.stat().st_size < 1024 * 1024
    document = extract(received(bomb))
    assert document.problem == "unreadable"
    assert "refused unread" in document.problem_detail


def test_a_zip_bomb_in_the_documents_own_text_is_refused_before_its_kind_is_told(tmp_path, received, monkeypatch):
    """Telling a Word file's kind opens it: the archive is checked before any extractor is asked."""
    import pipeline.extract

    padding = b"<w:p/>" * (25 * 1024 * 1024)  # 150 MB of XML, a few hundred KB packed
    bomb = rebuild(FORMS / "PSP-REG_2025.1.docx", tmp_path / "bomb.docx", {"word/document.xml": padding})
    assert bomb.stat().st_size < 1024 * 1024

    def sniffed(_path):
        raise AssertionError("the file was sniffed")

    monkeypatch.setattr(pipeline.extract, "detect", sniffed)
    document = extract(received(bomb))
    assert document.problem == "unreadable"
    assert "refused unread" in document.problem_detail


def test_an_xxe_entity_is_never_resolved(tmp_path, received):
    with zipfile.ZipFile(FORMS / "PSP-REG_2025.1.docx") as source:
        xml = source.read("word/document.xml").decode("utf-8")
    doctype = '<!DOCTYPE w:document [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'
    xml = xml.replace("?>", "?>" + doctype, 1).replace("Click or tap here to enter text.", "&secret;", 1)
    probe = rebuild(FORMS / "PSP-REG_2025.1.docx", tmp_path / "xxe.docx", {"word/document.xml": xml.encode("utf-8")})
    document = extract(received(probe))
    values = " ".join(str(v.value) for v in document.fields.values())
    assert "root:" not in values and "/bin/" not in values
