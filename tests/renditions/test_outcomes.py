"""Every rendition is judged as its case expects, and emails travel whole: each attachment a
document of its own with the email's sender and Date, the email archived once they are filed."""

from __future__ import annotations

import json
import shutil
from email import message_from_bytes, policy
from email.utils import parseaddr
from pathlib import Path

import pytest

from pipeline.extract import extract
from pipeline.model import Outcome
from pipeline.run import process
from pipeline.settings import Settings
from pipeline.validate import validate_document
from tests.renditions.conftest import (
    CASES,
    FORM_RENDITIONS,
    expectation,
    rendition_file,
)

PAIRS = [(r, c) for r in FORM_RENDITIONS for c in CASES]


@pytest.mark.parametrize(("rendition", "case"), PAIRS, ids=[f"{r}-{c}" for r, c in PAIRS])
def test_each_rendition_is_judged_as_its_case(renditions, received_copy, validation_context, rendition, case):
    folder = renditions / rendition
    expected = expectation(folder, case)
    result = validate_document(extract(received_copy(rendition_file(folder, case))), validation_context)
    rules = sorted({f.rule for f in result.findings if f.rule})
    assert result.outcome.value == expected["outcome"], [f.message for f in result.findings]
    if result.outcome in (Outcome.ACCEPTED, Outcome.REJECTED):
        assert rules == expected["rules"]


def _run(folder: Path, home: Path) -> tuple[Settings, object]:
    settings = Settings(home=home, workers=1, database_url=None)
    settings.data_home.inbox.mkdir(parents=True)
    for path in folder.iterdir():
        if not path.name.endswith(".expected.json"):
            shutil.copy2(path, settings.data_home.inbox / path.name)
    return settings, process(settings)


@pytest.mark.parametrize("rendition", ["email", "email_forwarded", "outlook_msg"])
def test_each_attachment_is_a_document_with_the_emails_sender_and_date(renditions, tmp_path, rendition):
    folder = renditions / rendition
    settings, summary = _run(folder, tmp_path / "home")
    by_file = {d.file: d for d in summary.documents}
    mails = [json.loads(p.read_text("utf-8")) for p in sorted(folder.glob("*.expected.json"))]
    assert any(len(m["attachments"]) == 2 for m in mails) or rendition == "outlook_msg"
    for mail in mails:
        for attachment in mail["attachments"]:
            document = by_file[attachment["file"]]  # "mail-01.eml/orp_valid_cei.pdf"
            assert document.outcome == attachment["outcome"]
            assert document.sender == mail["sender"]
            assert document.received_at.isoformat()[:16] == _utc(mail["received_at"])[:16]
            if document.outcome == "rejected":
                notice = message_from_bytes(document.notice.path.read_bytes(), policy=policy.default)
                # the notice goes back to who sent the email, to the bare address
                assert notice["To"] == parseaddr(mail["sender"])[1]
    # every email archived, by the day it was received; nothing left in the inbox
    archived = sorted(p.name for p in (settings.data_home.originals / "emails").rglob("*") if p.is_file())
    assert archived == sorted(m["file"] for m in mails)
    assert list(settings.data_home.inbox.iterdir()) == []
    kept = [d.stored_path for d in summary.documents]
    assert all(p.is_file() and "__" in p.name for p in kept)  # "mail-01.eml__orp_valid_cei.pdf"


def _utc(moment: str) -> str:
    from datetime import UTC, datetime

    return datetime.fromisoformat(moment).astimezone(UTC).isoformat()


def test_a_scan_too_poor_to_read_and_a_reworded_form_wait_for_a_person_with_their_reasons(renditions, tmp_path):
    inbox_sources = [
        rendition_file(renditions / "scanned_pdf", "orp_valid_cei"),
        rendition_file(renditions / "retyped_reworded", "reg_valid_cei"),
    ]
    settings = Settings(home=tmp_path / "home", workers=1, database_url=None)
    settings.data_home.inbox.mkdir(parents=True)
    for number, source in enumerate(inbox_sources):
        shutil.copy2(source, settings.data_home.inbox / f"{number}-{source.name}")
    summary = process(settings)
    reasons = {w["file"]: w["reason"] for w in summary.waiting}
    assert {d.outcome for d in summary.documents} == {"needs_review"}
    assert reasons["0-orp_valid_cei.pdf"].startswith("the scan is too poor to read")
    assert "low confidence" in reasons["1-reg_valid_cei.docx"]
    page = summary.report_html.read_text("utf-8")
    assert "the scan is too poor to read" in page and "low confidence" in page


def test_an_unknown_file_and_conflicting_values_wait_for_a_person_with_their_reasons(tmp_path):
    from tests.extract.conftest import typed_beside_a_control

    settings = Settings(home=tmp_path / "home", workers=1, database_url=None)
    inbox = settings.data_home.inbox
    inbox.mkdir(parents=True)
    (inbox / "notes.txt").write_text("Form PSP-ORP version 2025.1, as a text file")
    typed_beside_a_control(tmp_path, inbox / "typed-beside.docx", filled="Lansing", typed=" Mason")
    summary = process(settings)
    reasons = {w["file"]: w["reason"] for w in summary.waiting}
    assert {d.outcome for d in summary.documents} == {"needs_review"}
    assert "not a PDF, Word" in reasons["notes.txt"]
    assert "read more than once with different values" in reasons["typed-beside.docx"]
    assert "'Lansing'" in reasons["typed-beside.docx"] and "'Lansing Mason'" in reasons["typed-beside.docx"]
