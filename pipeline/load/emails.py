"""Saved emails, once their attachments are filed: each is archived under
``originals/emails/<day received>/``.

An email's attachments wait in the inbox's staging folder (``inbox/.unpacked/<id>/``) until each
one's row is committed and the file has moved to where the store says it is kept. Only then is
the email itself moved out of the inbox, and its staging folder removed. This runs at the start of
every run (finishing what a stopped run left) and after every batch.
"""

from __future__ import annotations

import logging
import shutil
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from pipeline.mail import MANIFEST, STAGING_FOLDER, Manifest
from pipeline.settings import DataHome

log = logging.getLogger(__name__)

ARCHIVE_FOLDER = "emails"


def _free(path: Path) -> Path:
    candidate, number = path, 2
    while candidate.exists():
        candidate = path.with_name(f"{path.stem} ({number}){path.suffix}")
        number += 1
    return candidate


def archive_emails(home: DataHome, zone: ZoneInfo) -> int:
    """Archive every email whose attachments have all been filed. Returns how many were archived."""
    staging = home.inbox / STAGING_FOLDER
    if not staging.is_dir():
        return 0
    archived = 0
    for folder in sorted(p for p in staging.iterdir() if p.is_dir()):
        if not (folder / MANIFEST).is_file():
            continue  # being unpacked, or unpacking stopped: the next intake unpacks it again
        manifest = Manifest.read(folder)
        if any((folder / stored).exists() for stored, _ in manifest.parts):
            continue  # an attachment not yet filed
        email = home.inbox / manifest.email
        try:
            if email.is_file():
                day = datetime.fromisoformat(manifest.received_at).astimezone(zone).date().isoformat()
                target = _free(home.originals / ARCHIVE_FOLDER / day / email.name)
                target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                shutil.move(email, target)
                target.chmod(0o600)  # personal data, whoever could read it in the inbox
                archived += 1
            shutil.rmtree(folder)
        except OSError as exc:
            log.error("could not archive an email out of the inbox (%s); the next run tries again", exc.strerror)
    try:
        staging.rmdir()  # only when empty
    except OSError:
        pass
    return archived
