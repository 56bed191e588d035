"""Saved emails, once their attachments are filed: each is archived under
``originals/emails/<day received>/``.

An email's attachments wait in the data home's staging folder (``staging/<key>/``) until each
one's row is committed and the file has moved to where the store says it is kept. Only then is
the email itself moved out of the inbox, and its staging folder removed. This runs at the start of
every run (finishing what a stopped run left) and after every batch.

The manifest that says which email a folder came from is the program's own, but it is still
checked: a path that leads outside the inbox or the folder is refused and reported, and nothing
is moved.
"""

from __future__ import annotations

import logging
import shutil
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from pipeline.fileops import move_whole
from pipeline.intake.unpack import MANIFEST, Manifest
from pipeline.paths import UnsafePathError
from pipeline.settings import DataHome

log = logging.getLogger(__name__)

ARCHIVE_FOLDER = "emails"


def _archive(email: Path, path: Path) -> None:
    """Move the email whole to ``path``, or beside it with a number when another email has that name
    (the same email there already, from a move that stopped, finishes the move)."""
    candidate, number = path, 2
    while True:
        try:
            move_whole(email, candidate)
            return
        except FileExistsError:
            candidate = path.with_name(f"{path.stem} ({number}){path.suffix}")
            number += 1


def archive_emails(home: DataHome, zone: ZoneInfo) -> int:
    """Archive every email whose attachments have all been filed. Returns how many were archived."""
    staging = home.staging
    if not staging.is_dir():
        return 0
    archived = 0
    for folder in sorted(p for p in staging.iterdir() if p.is_dir() and not p.is_symlink()):
        if not (folder / MANIFEST).is_file():
            continue  # being unpacked, or unpacking stopped: the next intake unpacks it again
        try:
            manifest = Manifest.read(folder, home.inbox)
            if any(path.exists() for path, _ in manifest.part_paths(folder)):
                continue  # an attachment not yet filed
            email = manifest.email_path(home.inbox)
        except (UnsafePathError, ValueError) as exc:
            log.error("left a staging folder alone (%s); a person should look at %s", exc, folder)
            continue
        try:
            if email.is_file():
                day = datetime.fromisoformat(manifest.received_at).astimezone(zone).date().isoformat()
                _archive(email, home.originals / ARCHIVE_FOLDER / day / email.name)  # mode 0o600: personal data
                archived += 1
            shutil.rmtree(folder)
        except OSError as exc:
            log.error("could not archive an email out of the inbox (%s); the next run tries again", exc.strerror)
    return archived
