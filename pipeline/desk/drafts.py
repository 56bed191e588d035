"""A notice as the agency will read it, for the desk's pages: one written in the outbox (its .eml
read back with the standard library's email parser) or one a decision would write (drafted by
``service.draft_notice``, the code that writes it, with nothing written).

What the page shows of a notice is its headers and its plain-text body as text (Jinja2 escapes
them) and the names of its attachments, never their content.
"""

from __future__ import annotations

from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import cast

from pipeline.load import outbox
from pipeline.model import ValidationResult
from pipeline.service import Desk, draft_notice

LARGEST_NOTICE = 1024 * 1024  # bytes of an .eml shown; a notice is a few kilobytes


@dataclass(frozen=True)
class NoticeView:
    """What the agency reads: who it is from and to, its subject and date, its text, and the
    names of its attachments."""

    to: str
    sender: str
    reply_to: str
    subject: str
    date: str
    body: str
    attachments: tuple[str, ...]


def notice_view(message: EmailMessage) -> NoticeView:
    """The parts of a notice the agency reads, as text."""
    body_part = message.get_body(preferencelist=("plain",))
    body = body_part.get_content() if isinstance(body_part, EmailMessage) else ""
    attachments = tuple(part.get_filename() or part.get_content_type() for part in message.iter_attachments())
    return NoticeView(
        to=str(message.get("To") or ""),
        sender=str(message.get("From") or ""),
        reply_to=str(message.get("Reply-To") or ""),
        subject=str(message.get("Subject") or ""),
        date=str(message.get("Date") or ""),
        body=body,
        attachments=attachments,
    )


def read_notice(path: Path) -> NoticeView | None:
    """The notice written at ``path`` (an .eml in the outbox); None when it cannot be read."""
    try:
        with path.open("rb") as file:
            content = file.read(LARGEST_NOTICE + 1)
    except OSError:
        return None
    if len(content) > LARGEST_NOTICE:
        return None
    return notice_view(cast(EmailMessage, message_from_bytes(content, policy=policy.default)))


def drafted_notice(desk: Desk, received_file_id: int, result: ValidationResult) -> NoticeView | None:
    """The notice a decision with ``result`` would write for the document, as the agency will read
    it; None when the decision writes none. Nothing is written."""
    if not outbox.owes_notice(desk.engine, received_file_id, result.outcome.value):
        return None
    return notice_view(draft_notice(desk.settings, result))
