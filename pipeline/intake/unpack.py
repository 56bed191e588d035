"""Unpacking saved emails into the forms they carry, in the extraction workers.

Each attachment of an email becomes a received file of its own, named ``<mail>/<attachment>``,
carrying the email's sender (where a notice goes back) and its Date (when it was received, within
``PSP_MAIL_DATE_WINDOW_DAYS`` of the file's arrival). The attachments wait in the data home's
``staging/<key>/`` folder until their rows are committed and they are filed with the other
originals; the email is then archived (``pipeline.load.emails``).

The staging folder is the program's own, outside the inbox: whoever can drop files into the inbox
cannot plant a manifest there. A manifest is still checked when it is read, so that no path it
names leads outside the inbox or its own folder (``pipeline.paths``).

``unpack`` runs in a worker (``ExtractionPool.unpack_all``); the run's process only reads the
manifest it leaves, which is written last, whole or not at all.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import shutil
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from pipeline.fileops import numbered_name, write_atomic
from pipeline.intake.forwarded import OFFICE_TIMEZONE, Office, agency_origin
from pipeline.intake.mail import (
    Mail,
    MailFormat,
    MailUnreadable,
    mail_format,
    no_form_reason,
    read_mail,
    sent_within,
)
from pipeline.paths import UnsafePathError, contained

log = logging.getLogger(__name__)

MANIFEST = "mail.json"
HEAD_BYTES = 4096


def staging_key(original_name: str, sha256: str) -> str:
    """One folder per email and content: the same email dropped again unpacks into the same place."""
    return hashlib.sha256(f"{original_name}\0{sha256}".encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Manifest:
    """What was unpacked from one email: written beside its attachments in its staging folder."""

    email: str  # the email's path, relative to the inbox
    received_at: str  # ISO time it counts as received
    sender: str | None
    parts: list[list[str]]  # [file in the staging folder, name shown: "<mail>/<attachment>"]
    date_note: str | None = None  # why the email's own Date was not taken, for the reviewer

    def write(self, folder: Path) -> None:
        """Write it into ``folder``, whole or not at all: a folder without it is unpacked again."""
        write_atomic(folder / MANIFEST, json.dumps(asdict(self), indent=1).encode("utf-8"))  # whole or not at all

    @classmethod
    def read(cls, folder: Path, inbox: Path) -> Manifest:
        """The manifest of ``folder``, its paths checked to stay inside the inbox and the folder.

        Raises UnsafePathError for a path that leads elsewhere, ValueError for a broken manifest.
        """
        try:
            data = json.loads((folder / MANIFEST).read_text("utf-8"))
            manifest = cls(**data)
            datetime.fromisoformat(manifest.received_at)
            parts = [[str(stored), str(shown)] for stored, shown in manifest.parts]
        except (TypeError, ValueError, KeyError) as exc:
            raise ValueError(f"the staging manifest in {folder.name} is not one the program wrote ({exc})") from exc
        contained(inbox, manifest.email)
        for stored, _shown in parts:
            contained(folder, stored)
        return cls(manifest.email, manifest.received_at, manifest.sender, parts, manifest.date_note)

    def email_path(self, inbox: Path) -> Path:
        """Where the email is in ``inbox``; UnsafePathError if its path leads outside it."""
        return contained(inbox, self.email)

    def part_paths(self, folder: Path) -> list[tuple[Path, str]]:
        """Each unpacked attachment's file in ``folder``, with the name it is shown by;
        UnsafePathError if a path leads outside the folder."""
        return [(contained(folder, stored), shown) for stored, shown in self.parts]


@dataclass(frozen=True)
class UnpackJob:
    """One email for a worker to unpack: where it is, where its attachments go, when it arrived."""

    email: Path
    original_name: str
    sha256: str
    folder: Path
    arrived_at: datetime
    date_window: timedelta
    office: Office = Office()  # the program office's addresses: mail from them was forwarded
    zone: str = OFFICE_TIMEZONE  # quoted times without a zone are the office's


@dataclass(frozen=True)
class Unpacked:
    """What a worker made of one inbox entry that looked like an email.

    ``manifest`` when it carried forms (now in its staging folder); otherwise ``mail_format`` says
    whether it was an email at all, and ``problem`` why it goes to a person (no form in it, or it
    could not be read), in words for the reviewer that quote nothing of its content.
    """

    mail_format: MailFormat | None = None
    manifest: Manifest | None = None
    sender: str | None = None
    received_at: datetime | None = None
    date_note: str | None = None
    problem: str | None = None


def _unique(name: str, taken: set[str]) -> str:
    """An attachment's name shown once per email: a second "plan.pdf" is "plan (2).pdf"."""
    candidate = numbered_name(name, lambda n: n.casefold() in taken)
    taken.add(candidate.casefold())
    return candidate


def date_note(mail: Mail, window: timedelta) -> str | None:
    """Why an email's own Date was not taken as when it was received; None when it has none."""
    if not mail.dated:
        return None
    return (
        f"the email's Date is not within {window.days} days before the file arrived; "
        "the file's arrival is taken as when it was received"
    )


def unpack(job: UnpackJob) -> Unpacked:
    """In a worker: read the email and write its form attachments and manifest into its folder.

    Never raises for a bad email: what went wrong is in ``problem``.
    """
    try:
        with job.email.open("rb") as handle:
            head = handle.read(HEAD_BYTES)
        kind = mail_format(job.email, head)
        if kind is None:
            return Unpacked()  # not an email after all (another OLE file): read as itself
        mail = read_mail(job.email, kind, ZoneInfo(job.zone))
    except MailUnreadable as exc:
        return Unpacked(problem=str(exc))
    except OSError as exc:
        return Unpacked(problem=f"the email could not be opened ({exc.strerror}); a person should open it")
    sender, received_at, note = _sender_and_time(mail, job)
    if not any(a.is_form_file for a in mail.attachments):
        return Unpacked(kind, None, sender, received_at, note, problem=no_form_reason(mail))
    taken: set[str] = set()
    parts: list[list[str]] = []
    try:
        job.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        for number, attachment in enumerate(mail.attachments, start=1):
            # Stored by number, whatever its name's length or script: the name shown is the manifest's.
            stored = f"{number:02d}{_suffix(attachment.name)}"
            write_atomic(contained(job.folder, stored), attachment.data, private=True)  # another worker never reads half
            parts.append([stored, f"{job.original_name}/{_unique(attachment.name, taken)}"])
        manifest = Manifest(job.original_name, received_at.isoformat(), sender, parts, note)
        manifest.write(job.folder)  # last: a folder without it is unpacked again
    except OSError as exc:
        shutil.rmtree(job.folder, ignore_errors=True)
        return Unpacked(kind, None, sender, received_at, note,
                        problem=f"the email's attachments could not be set aside ({exc.strerror}); a person should open it")
    return Unpacked(kind, manifest, sender, received_at, note)


def _sender_and_time(mail: Mail, job: UnpackJob) -> tuple[str | None, datetime, str | None]:
    """Where a notice goes, when the form counts as received, and what a person must check.

    An email the office forwarded counts as the agency sent it (``pipeline.intake.forwarded``):
    its agency's address and time. Without an agency address the notice goes to the form's own
    contact, never the office's (``notice_address``); without the agency's time the forward's
    counts, and a person checks it."""
    origin, forwarded = agency_origin(mail.sender, mail.sent_at, list(mail.inner), job.office)
    sent_at = sent_within(origin.sent_at, job.arrived_at, job.date_window)
    if not forwarded:
        return mail.sender, sent_at or job.arrived_at, None if sent_at else date_note(mail, job.date_window)
    if sent_at is not None:
        return origin.address, sent_at, None
    fallback = sent_within(mail.sent_at, job.arrived_at, job.date_window) or job.arrived_at
    if origin.address is None and origin.sent_at is None:
        why = "the email was forwarded by the program office and the agency's own message is not in it"
    elif origin.sent_at is None:
        why = "the email was forwarded by the program office and when the agency sent it could not be read"
    else:
        why = f"the forwarded message's date is not within {job.date_window.days} days before the email arrived"
    return origin.address, fallback, f"{why}; the forward's own time is taken as when it was received"


def _suffix(name: str) -> str:
    """The name's extension, when it is a plain one (``.pdf``, ``.docx``): for a person looking in."""
    suffix = Path(name).suffix
    return suffix if re.fullmatch(r"\.[A-Za-z0-9]{1,8}", suffix) else ""


def read_manifest(folder: Path, inbox: Path) -> Manifest | None:
    """The manifest a run that stopped left in ``folder``, or None (none, or not one to trust)."""
    if not (folder / MANIFEST).is_file():
        return None
    try:
        return Manifest.read(folder, inbox)
    except (UnsafePathError, ValueError) as exc:
        log.error("ignored a staging manifest (%s); the email is unpacked again", exc)
        return None
