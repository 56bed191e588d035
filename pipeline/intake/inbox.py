"""Which files in the inbox are ready to be read, in order of arrival, and what each one is.

A received file is worked out once here (name, size, sha256, received time) and travels as a
``ReceivedFile``. Received time is the file's modification time: the moment it appeared, but
never later than when the program first saw it (a copy tool or a wrong clock can set a time in
the future, which would make a packet late and its notice say it came next year).

A saved email (.eml, Outlook .msg) carrying forms is unpacked by a worker
(``pipeline.intake.unpack``): each attachment becomes a received file of its own, named
``<mail>/<attachment>``, with the email's sender and its Date as the received time. An email with
no PDF or Word attachment, or one that cannot be read, is received as itself, with the reason it
goes to a person; nothing of it is parsed in the run's own process.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pipeline.fileops import sha256_of
from pipeline.intake.forwarded import OFFICE_TIMEZONE, Office
from pipeline.intake.mail import OLE_MAGIC, MailFormat, looks_like_mail
from pipeline.intake.unpack import Unpacked, UnpackJob, read_manifest, staging_key
from pipeline.model import InputKind, ReceivedFile

log = logging.getLogger(__name__)

# Left by editors, sync clients and file managers while they work; never a submission.
IGNORED_NAMES = frozenset({"thumbs.db", "desktop.ini", ".ds_store"})
IGNORED_PREFIXES = (".", "~$", ".~lock")
IGNORED_SUFFIXES = (".part", ".tmp", ".crdownload", ".partial", "~")

SNIFF_BYTES = 4096


def is_ignored(path: Path) -> bool:
    """Whether the name is one that editors, sync clients or downloads leave while they work,
    never a submission (a file inside an ignored folder is ignored too: ``inbox_entries``)."""
    name = path.name.lower()
    return name in IGNORED_NAMES or name.startswith(IGNORED_PREFIXES) or name.endswith(IGNORED_SUFFIXES)


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


def receive(path: Path, inbox: Path, *, seen_at: datetime | None = None) -> ReceivedFile:
    """``path`` as a received file; ``seen_at`` is when the program first saw it (now by default)."""
    stat = path.stat()
    seen_at = seen_at or datetime.now(UTC)
    modified = datetime.fromtimestamp(stat.st_mtime, tz=UTC)
    sha256 = sha256_of(path)
    if modified > seen_at:
        log.warning("a file's modification time is after the program saw it (sha256 %s); "
                    "it counts as received when it was seen", sha256[:12])
    return ReceivedFile(
        path=path,
        original_name=path.relative_to(inbox).as_posix(),
        sha256=sha256,
        size=stat.st_size,
        received_at=min(modified, seen_at),
    )


# Unpacks emails in the workers, under their limits (``ExtractionPool.unpack_all``).
Unpacker = Callable[[Sequence[UnpackJob]], list[Unpacked]]

KIND_OF_MAIL = {MailFormat.EML: InputKind.EMAIL, MailFormat.MSG: InputKind.OUTLOOK_MSG}


def _attachments(manifest_folder: Path, inbox: Path) -> list[ReceivedFile] | None:
    """The attachments a manifest in ``manifest_folder`` lists that are not filed yet; None without one."""
    manifest = read_manifest(manifest_folder, inbox)
    if manifest is None:
        return None
    received_at = datetime.fromisoformat(manifest.received_at)
    files = []
    for path, shown in manifest.part_paths(manifest_folder):
        if path.is_file():  # the others were filed by a run that stopped before archiving the email
            stat = path.stat()
            files.append(ReceivedFile(path=path, original_name=shown, sha256=sha256_of(path), size=stat.st_size,
                                      received_at=received_at, sender=manifest.sender, received_note=manifest.date_note))
    return files


def _as_itself(email: ReceivedFile, unpacked: Unpacked, head: bytes) -> ReceivedFile:
    """An email that carries no form, or that could not be read: received itself, with why.
    Extraction does not open it again (``ExtractionPool``): the reason is its outcome's."""
    if unpacked.mail_format is not None:
        kind = KIND_OF_MAIL[unpacked.mail_format]
    else:  # the worker could not tell: an Outlook file cannot be told from other OLE files by its head
        kind = None if head.startswith(OLE_MAGIC) else InputKind.EMAIL
    return email.model_copy(update={
        "sender": unpacked.sender or email.sender,
        "received_at": unpacked.received_at or email.received_at,
        "received_note": unpacked.date_note,
        "unread_reason": unpacked.problem,
        "kind": kind,
    })


def receive_entries(
    paths: Sequence[Path], inbox: Path, staging: Path, unpacker: Unpacker, *,
    max_bytes: float, date_window: timedelta, seen_at: datetime | None = None,
    office: Office = Office(), zone: str = OFFICE_TIMEZONE,
) -> list[ReceivedFile]:
    """The received files of these inbox entries: each file itself, or each form an email carries.
    ``seen_at``: when the entries were listed (now by default); no file is received later.

    An email is looked at here by its first bytes only; a worker reads it (``unpacker``). One
    larger than ``max_bytes`` is not read at all: it is set aside like any oversized file.
    """
    files: list[ReceivedFile] = []
    jobs: list[tuple[ReceivedFile, Path, bytes]] = []
    seen_at = seen_at or datetime.now(UTC)
    for path in paths:
        if not path.exists():
            continue  # taken meanwhile (another worker, or removed)
        received = receive(path, inbox, seen_at=seen_at)
        with path.open("rb") as handle:
            head = handle.read(SNIFF_BYTES)
        if received.size > max_bytes or not looks_like_mail(head):
            files.append(received)
            continue
        folder = staging / staging_key(received.original_name, received.sha256)
        attachments = _attachments(folder, inbox)
        if attachments is not None:  # unpacked already by a run that stopped
            files.extend(attachments)
        else:
            jobs.append((received, folder, head))
    results = unpacker([UnpackJob(r.path, r.original_name, r.sha256, folder, r.received_at, date_window, office, zone)
                        for r, folder, _ in jobs])
    for (received, folder, head), unpacked in zip(jobs, results, strict=True):
        if unpacked.manifest is not None:
            files.extend(_attachments(folder, inbox) or [])
            log.info("unpacked %d attachments from an email (sha256 %s)", len(unpacked.manifest.parts), received.sha256[:12])
            continue
        # Not unpacked (no form in it, or stopped at a limit after writing part of it): nothing of
        # it may stay in staging, where no record would ever claim, file or forget it.
        shutil.rmtree(folder, ignore_errors=True)
        if unpacked.mail_format is None and unpacked.problem is None:
            files.append(received)  # not an email after all: read as the file it is
        else:
            files.append(_as_itself(received, unpacked, head))
    return sorted(files, key=lambda f: (f.received_at, f.original_name))


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


def settled(
    paths: list[Path], settle_seconds: float, *,
    clock: Callable[[], float] = time.time, sleep: Callable[[float], None] = time.sleep,
) -> tuple[list[Path], list[Path]]:
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


def collect_inbox(
    inbox: Path, staging: Path, unpacker: Unpacker, *, settle_seconds: float = 0.0,
    max_bytes: float = float("inf"), date_window: timedelta = timedelta(days=14),
    office: Office = Office(), zone: str = OFFICE_TIMEZONE,
) -> list[ReceivedFile]:
    """Every file ready in the inbox (an email's attachments each), oldest received first (ties by name)."""
    seen_at = datetime.now(UTC)
    ready, _busy = settled(list(inbox_entries(inbox)), settle_seconds)
    return receive_entries(ready, inbox, staging, unpacker, max_bytes=max_bytes, date_window=date_window,
                           seen_at=seen_at, office=office, zone=zone)
