"""Saved emails: ``.eml`` (RFC 5322, read with the standard library's ``email`` package) and
Outlook's ``.msg`` (read with extract-msg), told apart by content, not by name.

An email is a container, not a form. At intake each of its attachments becomes a received file of
its own, named ``<mail>/<attachment name>``, carrying the email's sender (where a notice goes back)
and its Date header (when it was received). The attachments wait in a hidden folder of the inbox
(``.unpacked/``) until their rows are committed and they are filed with the other originals; the
email itself is then archived under ``originals/emails/<day>/`` (``pipeline.load.emails``).

Inline pictures (a signature's logo) are not attachments. An email with no attachment that is a
PDF or a Word file reaches extraction itself, and goes to a person with the reason.
"""

from __future__ import annotations

import json
import os
import re
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import getaddresses, parsedate_to_datetime
from enum import StrEnum
from io import BytesIO
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import cast

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
PDF_MAGIC = b"%PDF-"
ZIP_MAGIC = b"PK\x03\x04"

# Where attachments wait in the inbox, hidden from the inbox scan, one folder per email.
STAGING_FOLDER = ".unpacked"
MANIFEST = "mail.json"

_HEADER_LINE = re.compile(rb"^([A-Za-z][A-Za-z0-9-]{0,60}):[ \t]?", re.MULTILINE)
_MAIL_HEADERS = {b"date", b"subject", b"mime-version", b"message-id", b"received", b"to", b"return-path"}


class MailFormat(StrEnum):
    EML = "eml"
    MSG = "msg"


class MailUnreadable(Exception):
    """The file is an email but cannot be read; the message says why, without quoting its content."""


@dataclass(frozen=True)
class Attachment:
    name: str
    data: bytes
    content_type: str

    @property
    def is_form_file(self) -> bool:
        """A PDF or a Word (.docx) file: something the extractors may read as a form."""
        return is_form_file(self.data)


@dataclass(frozen=True)
class Mail:
    format: MailFormat
    sender: str | None
    sent_at: datetime | None
    attachments: tuple[Attachment, ...]
    inline_pictures: int = 0


def is_form_file(data: bytes) -> bool:
    if PDF_MAGIC in data[:1024]:
        return True
    if data.startswith(ZIP_MAGIC):
        try:
            with zipfile.ZipFile(BytesIO(data)) as archive:
                return "word/document.xml" in archive.namelist()
        except zipfile.BadZipFile:
            return False
    return False


def mail_format(path: Path, head: bytes) -> MailFormat | None:
    """Whether the file is a saved email, judged from its content."""
    if head.startswith(OLE_MAGIC):
        return MailFormat.MSG if _is_outlook_message(path) else None
    text = head.lstrip(b"\xef\xbb\xbf")
    if text.startswith(b"From "):  # an mbox "From " line before the headers
        text = text.split(b"\n", 1)[1] if b"\n" in text else b""
    if not _HEADER_LINE.match(text):
        return None
    header_block = re.split(rb"\r?\n\r?\n", text, maxsplit=1)[0]
    names = {m.group(1).lower() for m in _HEADER_LINE.finditer(header_block)}
    return MailFormat.EML if b"from" in names and names & _MAIL_HEADERS else None


def _is_outlook_message(path: Path) -> bool:
    import olefile  # extract-msg's own dependency

    try:
        with olefile.OleFileIO(str(path)) as ole:
            return ole.exists("__properties_version1.0") and any(
                entry and entry[0].startswith("__substg1.0_") for entry in ole.listdir(streams=True, storages=False)
            )
    except (OSError, ValueError, TypeError, IndexError):
        return False


def safe_name(name: str | None, number: int) -> str:
    """An attachment's own name, without any folder part or characters a file name cannot hold."""
    raw = (name or "").replace("\x00", "").strip()
    base = PureWindowsPath(PurePosixPath(raw).name).name
    base = re.sub(r"[\x00-\x1f/\\:*?\"<>|]+", "_", base).strip(" .")
    return base[:120] or f"attachment-{number}"


def _address(header_value: str | None) -> str | None:
    if not header_value:
        return None
    for _, address in getaddresses([header_value]):
        if "@" in address:
            return address.strip()
    return None


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def read_eml(path: Path) -> Mail:
    try:
        message = cast(EmailMessage, message_from_bytes(path.read_bytes(), policy=policy.default))
    except (OSError, ValueError, TypeError) as exc:
        raise MailUnreadable(f"the email could not be read ({type(exc).__name__})") from exc
    try:
        sent_at = _aware(parsedate_to_datetime(str(message["Date"]))) if message["Date"] else None
    except (TypeError, ValueError, IndexError):
        sent_at = None
    sender = _address(str(message["Reply-To"] or "")) or _address(str(message["From"] or ""))
    attachments: list[Attachment] = []
    inline = 0
    for part in message.walk():
        if part.is_multipart() or part.get_content_maintype() == "message":
            continue
        disposition = part.get_content_disposition()
        filename = part.get_filename()
        if disposition != "attachment" and filename is None:
            continue  # the body
        if part.get_content_maintype() == "image" and (disposition == "inline" or part["Content-ID"]):
            inline += 1  # a picture shown in the body (a signature's logo)
            continue
        data = part.get_payload(decode=True) or b""
        attachments.append(Attachment(safe_name(filename, len(attachments) + 1), data, part.get_content_type()))
    return Mail(MailFormat.EML, sender, sent_at, tuple(attachments), inline)


def read_msg(path: Path) -> Mail:
    import extract_msg  # imported here: it is large, and only .msg files need it
    from extract_msg.enums import AttachmentType
    from extract_msg.exceptions import ExMsgBaseException

    try:
        message = extract_msg.openMsg(str(path), strict=False)
    except (ExMsgBaseException, OSError, ValueError, TypeError, KeyError) as exc:
        raise MailUnreadable(f"the Outlook message could not be read ({type(exc).__name__})") from exc
    try:
        sender = _address(getattr(message, "sender", None))
        sent_at = _aware(getattr(message, "date", None))
        attachments: list[Attachment] = []
        inline = 0
        for attachment in getattr(message, "attachments", []):
            if attachment.type is not AttachmentType.DATA or not isinstance(attachment.data, bytes):
                continue
            mime = (attachment.mimetype or "application/octet-stream").strip("\x00 ")
            if getattr(attachment, "hidden", False) or (mime.startswith("image/") and attachment.contentId):
                inline += 1
                continue
            name = attachment.longFilename or attachment.shortFilename or attachment.displayName
            attachments.append(Attachment(safe_name(name, len(attachments) + 1), attachment.data, mime))
        return Mail(MailFormat.MSG, sender, sent_at, tuple(attachments), inline)
    except (ExMsgBaseException, OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise MailUnreadable(f"the Outlook message could not be read ({type(exc).__name__})") from exc
    finally:
        message.close()


READERS = {MailFormat.EML: read_eml, MailFormat.MSG: read_msg}


def read_mail(path: Path, mail_kind: MailFormat) -> Mail:
    return READERS[mail_kind](path)


def no_form_reason(mail: Mail) -> str:
    """Why an email was not unpacked into forms, in words for the reviewer (names, never contents)."""
    if not mail.attachments:
        return "the email has no attachment; ask the sender to attach the filled form (PDF or Word)"
    names = ", ".join(a.name for a in mail.attachments[:5])
    count = len(mail.attachments)
    return (
        f"the email's {count} attachment{'s are' if count > 1 else ' is'} not a PDF or Word file ({names}); "
        "ask the sender for the filled form as PDF or Word"
    )


@dataclass(frozen=True)
class Manifest:
    """What was unpacked from one email: written beside its attachments in the staging folder."""

    email: str  # the email's path, relative to the inbox
    received_at: str  # ISO time it was received
    parts: list[list[str]]  # [file in the staging folder, name shown: "<mail>/<attachment>"]

    def write(self, folder: Path) -> None:
        temporary = folder / f".{MANIFEST}.{os.getpid()}.tmp"
        temporary.write_text(json.dumps(self.__dict__, indent=1), encoding="utf-8")
        os.replace(temporary, folder / MANIFEST)  # whole or not at all

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        return cls(**json.loads((folder / MANIFEST).read_text("utf-8")))
