"""Saved emails: ``.eml`` (RFC 5322, read with the standard library's ``email`` package) and
Outlook's ``.msg`` (read with extract-msg), told apart by content, not by name.

An email is a container, not a form. At intake each of its attachments becomes a received file of
its own (``pipeline.intake.unpack``). Reading an email is parsing a sender's bytes, so it happens
only in the extraction workers, under their time and memory limits: a message nested a thousand
deep, a Date in the year 9999 or a 200 MB file must never stop the run's own process. The run's
process only looks at an entry's first bytes (``looks_like_mail``) to know it must be unpacked.

Inline pictures (a signature's logo) are not attachments. The senders inside an email, of a
message attached to it or quoted in its body when it was forwarded, are kept in order
(``Mail.inner``): ``pipeline.intake.forwarded`` tells the agency's from the office's.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import getaddresses, parsedate_to_datetime
from enum import StrEnum
from io import BytesIO
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any, cast
from zoneinfo import ZoneInfo

from pipeline.errors import MailUnreadable
from pipeline.intake.forwarded import OFFICE_TIMEZONE, Origin, body_text, quoted_origins

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
PDF_MAGIC = b"%PDF-"
ZIP_MAGIC = b"PK\x03\x04"

# Deeper than any mail client nests a forwarded message; past it the email goes to a person.
MAX_PART_DEPTH = 20
# More parts than any real email with forms has.
MAX_PARTS = 1000

_HEADER_LINE = re.compile(rb"^([A-Za-z][A-Za-z0-9-]{0,60}):[ \t]?", re.MULTILINE)
_MAIL_HEADERS = {b"date", b"subject", b"mime-version", b"message-id", b"received", b"to", b"return-path"}


class MailFormat(StrEnum):
    EML = "eml"
    MSG = "msg"


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
    sent_at: datetime | None  # the Date header, when it is a real moment; see ``sent_within``
    attachments: tuple[Attachment, ...]
    inline_pictures: int = 0
    dated: bool = False  # it has a Date, whether or not a calendar can hold it
    # The senders of the messages inside it: attached ones first (a forward as attachment is the
    # agency's message itself), then those quoted in bodies (forwarded inline), outermost first.
    inner: tuple[Origin, ...] = ()

# Quoted times without a zone are the office's (a forward from Outlook prints local time).
OFFICE_ZONE = ZoneInfo(OFFICE_TIMEZONE)


def is_form_file(data: bytes) -> bool:
    """Whether an attachment's bytes are a file a form may come in, told by content alone, as the
    inbox tells them: a PDF, a Word file (.docx, .doc), Rich Text, OpenDocument text, or a picture
    the size of a page (a scan, a fax, a phone's photo; a logo or a signature's picture is not)."""
    if PDF_MAGIC in data[:1024]:
        return True
    if data.startswith(ZIP_MAGIC):
        try:
            with zipfile.ZipFile(BytesIO(data)) as archive:
                if "word/document.xml" in archive.namelist():
                    return True
        except zipfile.BadZipFile:
            return False
    # (imported here: the run's own process reads no attachment, only the workers that unpack do)
    from pipeline.extract.converted import convertible_kind
    from pipeline.extract.image_file import is_page_picture

    return convertible_kind(data, data[:2048]) is not None or is_page_picture(data)


def looks_like_mail(head: bytes) -> bool:
    """Whether an inbox entry may be a saved email, from its first bytes alone: the run's process
    decides no more than that, and leaves the reading (``mail_format``, ``read_mail``) to a worker."""
    return head.startswith(OLE_MAGIC) or _looks_like_headers(head)


def _looks_like_headers(head: bytes) -> bool:
    text = head.lstrip(b"\xef\xbb\xbf")
    if text.startswith(b"From "):  # an mbox "From " line before the headers
        text = text.split(b"\n", 1)[1] if b"\n" in text else b""
    if not _HEADER_LINE.match(text):
        return False
    header_block = re.split(rb"\r?\n\r?\n", text, maxsplit=1)[0]
    names = {m.group(1).lower() for m in _HEADER_LINE.finditer(header_block)}
    return b"from" in names and bool(names & _MAIL_HEADERS)


def mail_format(path: Path, head: bytes) -> MailFormat | None:
    """Whether the file is a saved email, judged from its content."""
    if head.startswith(OLE_MAGIC):
        return MailFormat.MSG if _is_outlook_message(path) else None
    return MailFormat.EML if _looks_like_headers(head) else None


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


def _aware(moment: object) -> datetime | None:
    """A moment in UTC, or None for anything that is not one a calendar can hold."""
    if not isinstance(moment, datetime):
        return None
    try:
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (OverflowError, ValueError):  # the year 9999 in a far time zone
        return None


def _date_header(message: EmailMessage) -> datetime | None:
    try:
        raw = message["Date"]
        return _aware(parsedate_to_datetime(str(raw))) if raw else None
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


# How far a sender's clock may run ahead of the machine that received the file.
CLOCK_SKEW = timedelta(minutes=15)


def sent_within(sent_at: datetime | None, arrived_at: datetime, window: timedelta) -> datetime | None:
    """The email's own date when it lies within ``window`` before the file arrived (a few minutes
    after it allowed, for clocks that disagree); None otherwise, and the arrival time counts.

    A sender writes the Date header: a backdated one must not make six-month-old signatures look
    fresh, nor a future one make a packet late. Measured from the file's arrival, not from the
    run, so replaying old files keeps their times.
    """
    if sent_at is None or not arrived_at - window <= sent_at <= arrived_at + CLOCK_SKEW:
        return None
    return sent_at



def _depth_first(root: Any, children: Callable[[Any], list[Any]]) -> Iterator[tuple[Any, int]]:
    """``root`` and what it holds, depth first with their depths, without recursion and within
    the nesting limits (MailUnreadable past them)."""
    stack: list[tuple[Any, int]] = [(root, 0)]
    seen = 0
    while stack:
        node, depth = stack.pop()
        seen += 1
        if depth > MAX_PART_DEPTH or seen > MAX_PARTS:
            raise MailUnreadable(
                f"the email's parts are nested more than {MAX_PART_DEPTH} deep or number more than {MAX_PARTS}; "
                "a person should open it"
            )
        yield node, depth
        stack.extend((child, depth + 1) for child in reversed(children(node)))


def _parts_of(part: EmailMessage) -> list[EmailMessage]:
    if not part.is_multipart():
        return []
    children = part.get_payload()
    return cast(list[EmailMessage], children) if isinstance(children, list) else []


def _leaf_parts(message: EmailMessage) -> Iterator[EmailMessage]:
    """The message's leaf parts, depth first; an attached message (``message/rfc822``) comes
    itself before its parts."""
    for part, _depth in _depth_first(message, _parts_of):
        if part.is_multipart():
            if part.get_content_type() == "message/rfc822":
                yield part
        elif part.get_content_maintype() != "message":
            yield part


def read_eml(path: Path, zone: ZoneInfo = OFFICE_ZONE) -> Mail:
    """The saved email at ``path``: its sender (Reply-To before From), Date, attachments, and the
    senders it carries or quotes (their times in ``zone`` when they name none). MailUnreadable when
    it cannot be read."""
    try:
        message = cast(EmailMessage, message_from_bytes(path.read_bytes(), policy=policy.default))
        return _read_message(message, zone)
    except RecursionError as exc:
        raise MailUnreadable(
            f"the email's parts are nested too deeply to read (more than {MAX_PART_DEPTH}); a person should open it"
        ) from exc
    except (OSError, ValueError, TypeError, LookupError, AttributeError) as exc:
        raise MailUnreadable(f"the email could not be read ({type(exc).__name__})") from exc


def _sender_of(message: EmailMessage) -> str | None:
    return _address(str(message["Reply-To"] or "")) or _address(str(message["From"] or ""))


def _read_message(message: EmailMessage, zone: ZoneInfo) -> Mail:
    sent_at = _date_header(message)
    sender = _sender_of(message)
    attachments: list[Attachment] = []
    attached_origins: list[Origin] = []
    quoted: list[Origin] = []
    inline = 0
    for part in _leaf_parts(message):
        if part.get_content_type() == "message/rfc822":
            attached = part.get_payload()
            if isinstance(attached, list) and attached:
                attached_origins.append(Origin(_sender_of(attached[0]), _date_header(attached[0])))
            continue
        disposition = part.get_content_disposition()
        filename = part.get_filename()
        if disposition != "attachment" and filename is None:
            if part.get_content_maintype() == "text" and part.get_content_subtype() in ("plain", "html"):
                quoted.extend(_quoted(part, zone))  # the body: a forward quotes the agency's headers here
            continue
        if part.get_content_maintype() == "image" and (disposition == "inline" or part["Content-ID"]):
            inline += 1  # a picture shown in the body (a signature's logo)
            continue
        data = part.get_payload(decode=True) or b""
        attachments.append(Attachment(safe_name(filename, len(attachments) + 1), data, part.get_content_type()))
    return Mail(MailFormat.EML, sender, sent_at, tuple(attachments), inline, dated=message["Date"] is not None,
                inner=tuple(attached_origins + quoted))


def _quoted(part: EmailMessage, zone: ZoneInfo) -> list[Origin]:
    try:
        text = part.get_content()
    except (LookupError, ValueError, AssertionError):  # an unknown charset: no forwarded headers read
        return []
    return quoted_origins(body_text(str(text), part.get_content_subtype() == "html"), zone) if text else []


def read_msg(path: Path, zone: ZoneInfo = OFFICE_ZONE) -> Mail:
    """The Outlook message at ``path``, read as ``read_eml`` reads a saved email, the messages
    attached to it included. MailUnreadable when it cannot be read."""
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
        attached_origins: list[Origin] = []
        quoted: list[Origin] = []
        inline = 0
        # A message attached to it ("forward as attachment") counts with its sender and time, its
        # body's quoted headers, and its own attachments.
        def embedded(current: Any) -> list[Any]:
            return [a.data for a in getattr(current, "attachments", [])
                    if a.type is AttachmentType.MSG and a.data is not None]

        for current, depth in _depth_first(message, embedded):
            if depth:
                attached_origins.append(Origin(_address(getattr(current, "sender", None)),
                                               _aware(getattr(current, "date", None))))
            body = getattr(current, "body", None)
            if isinstance(body, str) and body:
                quoted.extend(quoted_origins(body_text(body, False), zone))
            for attachment in getattr(current, "attachments", []):
                if attachment.type is not AttachmentType.DATA or not isinstance(attachment.data, bytes):
                    continue
                mime = (attachment.mimetype or "application/octet-stream").strip("\x00 ")
                if getattr(attachment, "hidden", False) or (mime.startswith("image/") and attachment.contentId):
                    inline += 1
                    continue
                name = attachment.longFilename or attachment.shortFilename or attachment.displayName
                attachments.append(Attachment(safe_name(name, len(attachments) + 1), attachment.data, mime))
        return Mail(MailFormat.MSG, sender, sent_at, tuple(attachments), inline,
                    dated=getattr(message, "date", None) is not None, inner=tuple(attached_origins + quoted))
    except (ExMsgBaseException, OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise MailUnreadable(f"the Outlook message could not be read ({type(exc).__name__})") from exc
    finally:
        message.close()


READERS = {MailFormat.EML: read_eml, MailFormat.MSG: read_msg}


def read_mail(path: Path, mail_kind: MailFormat, zone: ZoneInfo = OFFICE_ZONE) -> Mail:
    """The email at ``path``, read by the reader of its format (as ``mail_format`` told it)."""
    return READERS[mail_kind](path, zone)


def no_form_reason(mail: Mail) -> str:
    """Why an email was not unpacked into forms, in words for the reviewer (names, never contents)."""
    if not mail.attachments:
        return "the email has no attachment; ask the sender to attach the filled form (PDF or Word)"
    names = ", ".join(a.name for a in mail.attachments[:5])
    count = len(mail.attachments)
    return (
        f"the email's {count} attachment{'s are' if count > 1 else ' is'} not a form file: no PDF, Word file or "
        f"picture of a page ({names}); "
        "ask the sender for the filled form as PDF or Word"
    )
