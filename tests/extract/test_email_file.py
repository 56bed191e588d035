"""pipeline.extract.email_file (and msg_file, its Outlook twin): an email reaches extraction only when
it carries no form, and goes to a person with why, whether saved as .eml or dragged out of Outlook."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pipeline.extract import extract
from pipeline.extract.base import DocumentUnreadable
from pipeline.extract.email_file import EmailExtractor
from pipeline.extract.msg_file import OutlookMessageExtractor
from pipeline.model import ExtractionProblem, InputKind
from samples.msgfile import write_msg
from samples.renditions import write_eml

SENT = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)


@pytest.mark.parametrize(("kind", "suffix"), [(InputKind.EMAIL, "eml"), (InputKind.OUTLOOK_MSG, "msg")])
def test_an_email_without_forms_reaches_extraction_and_says_why(kind, suffix, tmp_path, received):
    path = tmp_path / "mail.bin"
    if suffix == "eml":
        write_eml(path, "Avery <avery.sample@example.org>", SENT, [])
    else:
        write_msg(path, sender="Avery <avery.sample@example.org>", sent_at=SENT, subject="s", body="b",
                  attachments=[("notes.txt", b"hello")])
    document = extract(received(path))
    assert (document.kind, document.problem) == (kind, ExtractionProblem.UNREADABLE)
    assert "attachment" in document.problem_detail


def test_each_reads_its_own_format_and_never_returns_a_reading(tmp_path):
    write_eml(tmp_path / "mail.eml", "Avery <avery.sample@example.org>", SENT, [])
    with pytest.raises(DocumentUnreadable, match="attachment"):
        EmailExtractor().read(tmp_path / "mail.eml")
    # An .eml is no Outlook message: the Outlook reader says it cannot read it.
    with pytest.raises(DocumentUnreadable) as raised:
        OutlookMessageExtractor().read(tmp_path / "mail.eml")
    assert "attachment" not in str(raised.value)
