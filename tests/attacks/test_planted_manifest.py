"""A planted file in the inbox moves any file: a hidden ``inbox/.unpacked/*/mail.json`` naming
``../store.sqlite`` archived the live store, and other paths pulled in files from outside the data
home. Staging now lives in the program's own folder, and every path read from it is checked to
stay inside its folder.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import pytest

from pipeline.intake.unpack import MANIFEST
from pipeline.load.emails import archive_emails
from pipeline.paths import UnsafePathError, contained
from pipeline.run import process

SUBMISSIONS = Path(__file__).resolve().parents[2] / "samples" / "submissions"


def plant(folder: Path, email: str, parts: list[list[str]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    manifest = {"email": email, "received_at": "2026-12-01T14:30:00+00:00", "sender": None, "parts": parts}
    (folder / MANIFEST).write_text(json.dumps(manifest))


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    secret = tmp_path / "outside" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text("not the program's")
    return secret


def test_a_manifest_planted_in_the_inbox_is_never_trusted(settings, outside):
    home = settings.data_home
    home.inbox.mkdir(parents=True)
    (home.inbox / "plan.pdf").write_bytes((SUBMISSIONS / "orp_valid_cei.pdf").read_bytes())
    process(settings)  # the store exists now
    store_file = home.root / "store.sqlite"
    had_store = store_file.exists()
    plant(home.inbox / ".unpacked" / "x", "../store.sqlite", [["../../outside/secret.txt", "mail.eml/secret.txt"]])
    plant(home.inbox / ".unpacked" / "y", str(outside), [])

    summary = process(settings)

    assert summary.documents == []
    assert store_file.exists() == had_store
    assert outside.read_text() == "not the program's"
    assert not (home.originals / "emails").exists()


@pytest.mark.parametrize(
    ("email", "parts"),
    [
        ("../store.sqlite", []),
        ("/etc/hostname", []),
        ("mail.eml", [["../../store.sqlite", "mail.eml/store.sqlite"]]),
        ("mail.eml", [["/etc/passwd", "mail.eml/passwd"]]),
    ],
)
def test_a_staging_manifest_that_leads_outside_is_refused_and_reported(settings, outside, caplog, email, parts):
    home = settings.data_home
    for folder in home.folders:
        folder.mkdir(parents=True, exist_ok=True)
    (home.root / "store.sqlite").write_bytes(b"the live store")
    plant(home.staging / "abc", email, parts)
    with caplog.at_level(logging.ERROR):
        assert archive_emails(home, settings.zone) == 0
    assert (home.root / "store.sqlite").read_bytes() == b"the live store"
    assert (home.staging / "abc" / MANIFEST).is_file()  # left for a person, not removed
    assert "refused the path" in caplog.text


def test_a_link_out_of_the_inbox_is_refused(tmp_path, outside):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    os.symlink(outside.parent, inbox / "elsewhere")
    with pytest.raises(UnsafePathError):
        contained(inbox, "elsewhere/secret.txt")
    for relative in ("../x", "/etc/passwd", "a/../../x", ""):
        with pytest.raises(UnsafePathError):
            contained(inbox, relative)
    assert contained(inbox, "mail.eml") == inbox / "mail.eml"
