"""The .msg writer of the test data makes messages that Outlook's readers open: a compound file
olefile lists, extract-msg reads with its sender, date, subject, body and attachments intact."""

from __future__ import annotations

from datetime import UTC, datetime

import extract_msg
import olefile

from samples.msgfile import write_msg

BIG = bytes(range(256)) * 40  # over the mini stream's 4096 bytes: stored in regular sectors


def test_a_written_message_reads_back_whole(tmp_path):
    path = tmp_path / "message.msg"
    sent = datetime(2026, 12, 1, 14, 30, tzinfo=UTC)
    write_msg(path, sender="Avery Sample <avery.sample@example.org>", sent_at=sent, subject="Our plan",
              body="Attached, with thanks.", attachments=[("plan.pdf", BIG), ("note.txt", b"small")])
    with olefile.OleFileIO(str(path)) as ole:
        assert ole.exists("__properties_version1.0") and ole.exists("__attach_version1.0_#00000001/__substg1.0_37010102")
    message = extract_msg.openMsg(str(path))
    try:
        assert (message.subject, message.body.strip()) == ("Our plan", "Attached, with thanks.")
        assert "avery.sample@example.org" in message.sender
        assert message.date == sent
        assert [(a.longFilename, a.data) for a in message.attachments] == [("plan.pdf", BIG), ("note.txt", b"small")]
    finally:
        message.close()
