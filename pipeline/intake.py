"""Which files in the inbox are ready to be read, in order of arrival, and what each one is.

A received file is worked out once here (name, size, sha256, received time) and travels as a
``ReceivedFile``. Received time is the file's modification time: the moment it appeared.

A saved email (.eml, Outlook .msg) carrying forms is unpacked here: each attachment becomes a
received file of its own, named ``<mail>/<attachment>``, with the email's sender and its Date
header as the received time (``pipeline.mail``). An email with no PDF or Word attachment is
received as itself, and goes to a person with the reason.
"""

from __future__ import annotations

import hashlib
import os
import time
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from pipeline.mail import MANIFEST, STAGING_FOLDER, Mail, MailUnreadable, Manifest, mail_format, read_mail
from pipeline.model import ReceivedFile

log = logging.getLogger(__name__)

# Left by editors, sync clients and file managers while they work; never a submission.
IGNORED_NAMES = frozenset({"thumbs.db", "desktop.ini", ".ds_store"})
IGNORED_PREFIXES = (".", "~$", ".~lock")
IGNORED_SUFFIXES = (".part", ".tmp", ".crdownload", ".partial", "~")

HASH_CHUNK = 1 << 20
SNIFF_BYTES = 4096


def is_ignored(path: Path) -> bool:
    name = path.name.lower()
    return name in IGNORED_NAMES or name.startswith(IGNORED_PREFIXES) or name.endswith(IGNORED_SUFFIXES)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def inbox_entries(inbox: Path) -> Iterator[Path]:
    """The files in the inbox as they were dropped there (an email is one entry), by name."""
    for path in sorted(inbox.rglob("*")):
        if any(is_ignored(Path(part)) for part in path.relative_to(inbox).parts):
            continue
        if path.is_symlink():
            log.warning("skipped a symbolic link in the inbox (%s): put the file itself there", path.name)
            continue
        if path.is_file():
            yield path


def receive(path: Path, inbox: Path) -> ReceivedFile:
    stat = path.stat()
    return ReceivedFile(
        path=path,
        original_name=path.relative_to(inbox).as_posix(),
        sha256=sha256_of(path),
        size=stat.st_size,
        received_at=datetime.fromtimestamp(stat.st_mtime, tz=UTC),
    )


def _unique(name: str, taken: set[str]) -> str:
    candidate, number = name, 2
    while candidate.casefold() in taken:
        stem, dot, suffix = name.rpartition(".")
        candidate = f"{stem} ({number}).{suffix}" if dot and stem else f"{name} ({number})"
        number += 1
    taken.add(candidate.casefold())
    return candidate


def _write_atomically(path: Path, data: bytes) -> None:
    """Whole or not at all: another worker unpacking the same email never reads half a file."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def _unpack(email: ReceivedFile, mail: Mail, inbox: Path) -> list[ReceivedFile]:
    """The email's attachments, written to its staging folder (once), as received files."""
    key = hashlib.sha256(f"{email.original_name}\0{email.sha256}".encode()).hexdigest()[:16]
    folder = inbox / STAGING_FOLDER / key
    if (folder / MANIFEST).is_file():
        # unpacked by a run that stopped: the attachments not yet filed are still here
        manifest = Manifest.read(folder)
    else:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        taken: set[str] = set()
        parts: list[list[str]] = []
        for number, attachment in enumerate(mail.attachments, start=1):
            stored = f"{number:02d}-{attachment.name}"
            _write_atomically(folder / stored, attachment.data)
            parts.append([stored, f"{email.original_name}/{_unique(attachment.name, taken)}"])
        manifest = Manifest(email=email.original_name, received_at=email.received_at.isoformat(), parts=parts)
        manifest.write(folder)  # last: a folder without it is unpacked again
        log.info("unpacked %d attachments from an email (sha256 %s)", len(parts), email.sha256[:12])
    received_at = datetime.fromisoformat(manifest.received_at)
    files = []
    for stored, shown in manifest.parts:
        path = folder / stored
        if path.is_file():
            files.append(
                ReceivedFile(
                    path=path,
                    original_name=shown,
                    sha256=sha256_of(path),
                    size=path.stat().st_size,
                    received_at=received_at,
                    sender=email.sender,
                )
            )
    return files


def receive_all(path: Path, inbox: Path) -> list[ReceivedFile]:
    """The received file, or for a saved email carrying forms, each of its attachments."""
    received = receive(path, inbox)
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    kind = mail_format(path, head)
    if kind is None:
        return [received]
    try:
        mail = read_mail(path, kind)
    except MailUnreadable:
        return [received]  # extraction says why it cannot be read
    received = received.model_copy(
        update={"sender": mail.sender, "received_at": mail.sent_at or received.received_at}
    )
    if not any(a.is_form_file for a in mail.attachments):
        return [received]
    return _unpack(received, mail, inbox)


def _state(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_size, stat.st_mtime_ns


def _can_open(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            handle.read(1)
    except OSError:
        return False
    return True


def settled(paths: list[Path], settle_seconds: float, *, clock=time.time, sleep=time.sleep) -> tuple[list[Path], list[Path]]:
    """Which files are done being written: unchanged in size and modification time for
    ``settle_seconds``, and readable. Returns (ready, busy); busy ones are tried again next run.

    Polling, not change notifications, so that network shares work. Files last changed longer
    ago than the interval are taken at once; the run waits once, at most the interval, for the rest.
    """
    first = {path: _state(path) for path in paths}
    now = clock()
    recent = {p for p, state in first.items() if state is not None and now - state[1] / 1e9 < settle_seconds}
    if recent:
        newest = max(first[p][1] / 1e9 for p in recent)  # type: ignore[index]
        sleep(max(0.0, min(settle_seconds, newest + settle_seconds - now)))
    ready, busy = [], []
    for path, state in first.items():
        if state is None:
            continue  # gone meanwhile (taken by another worker, or removed)
        if (path in recent and _state(path) != state) or not _can_open(path):
            busy.append(path)
        else:
            ready.append(path)
    if busy:
        log.info("%d files are still being written or are locked; the next run takes them", len(busy))
    return ready, busy


def collect_inbox(inbox: Path, settle_seconds: float = 0.0) -> list[ReceivedFile]:
    """Every file ready in the inbox (an email's attachments each), oldest received first (ties by name)."""
    ready, _busy = settled(list(inbox_entries(inbox)), settle_seconds)
    files = [f for path in ready for f in receive_all(path, inbox)]
    return sorted(files, key=lambda f: (f.received_at, f.original_name))
