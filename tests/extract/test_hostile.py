"""Hostile Word files: an XML entity that points at a local file is never resolved into a value.
Zip bombs are refused unread: tests/extract/test_zip_guard.py."""

from __future__ import annotations

import zipfile

from pipeline.extract import extract
from tests.extract.conftest import FORMS, rebuild


def test_an_xxe_entity_is_never_resolved(tmp_path, received):
    with zipfile.ZipFile(FORMS / "PSP-REG_2025.1.docx") as source:
        xml = source.read("word/document.xml").decode("utf-8")
    doctype = '<!DOCTYPE w:document [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'
    xml = xml.replace("?>", "?>" + doctype, 1).replace("Click or tap here to enter text.", "&secret;", 1)
    probe = rebuild(FORMS / "PSP-REG_2025.1.docx", tmp_path / "xxe.docx", {"word/document.xml": xml.encode("utf-8")})
    document = extract(received(probe))
    values = " ".join(str(v.value) for v in document.fields.values())
    assert "root:" not in values and "/bin/" not in values
