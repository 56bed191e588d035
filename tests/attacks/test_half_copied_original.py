"""A run killed while it copies an original to another file system must not leave half a file
that sticks for ever.

With the inbox on another file system than ``originals/``, moving an original is a copy. A kill
during the copy left a truncated file under the final name; every later run refused to move the
original there ("exists already") and the store pointed at the truncated copy. The copy now goes
to a temporary name, is synced and checked against the sha256, and only then takes its name.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline import fileops
from pipeline.load import store
from samples.stage import SUBMISSIONS, expected_cases
from tests.test_crash import run

pytestmark = pytest.mark.crash

SAMPLE = "orp_valid_cei.pdf"
SHM = Path("/dev/shm")


def padded_sample() -> tuple[bytes, dict]:
    """A real sample form, made several copy chunks long: a PDF reader ignores what follows %%EOF."""
    (_, expected), = [case for case in expected_cases() if case[1]["file"] == SAMPLE]
    data = (SUBMISSIONS / SAMPLE).read_bytes()
    line = b"% padding: this file is several copy chunks long\n"
    data += b"\n" + line * (5 * fileops.CHUNK // len(line))
    return data, expected


def cross_device_link(source: Path):
    """``os.link`` as from another file system for ``source``: the move has to copy it."""
    real_link = os.link

    def link(src, dst, *args, **kwargs):
        if Path(src) == source:
            raise OSError(errno.EXDEV, os.strerror(errno.EXDEV))
        return real_link(src, dst, *args, **kwargs)

    return link


CHILD = """
import os, sys
from pathlib import Path
from pipeline import fileops
from tests.attacks.test_half_copied_original import cross_device_link
source, target = Path(sys.argv[1]), Path(sys.argv[2])
os.link = cross_device_link(source)
fileops.move_whole(source, target, sha256=sys.argv[3])
"""


def test_a_copy_killed_in_the_middle_leaves_no_file_and_the_next_move_completes(tmp_path, monkeypatch):
    data, _ = padded_sample()
    source, target = tmp_path / "inbox" / SAMPLE, tmp_path / "originals" / "accepted" / SAMPLE
    source.parent.mkdir()
    source.write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()

    env = {**os.environ, "PSP_KILL_AT": "move.copying:2"}
    killed = subprocess.run([sys.executable, "-c", CHILD, str(source), str(target), digest],
                            env=env, cwd=Path(__file__).resolve().parents[2], capture_output=True, text=True)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert not target.exists()  # not half a file under the final name
    (part,) = target.parent.glob(".*.part")
    assert 0 < part.stat().st_size < len(data)
    assert source.read_bytes() == data

    monkeypatch.setattr(os, "link", cross_device_link(source))
    fileops.move_whole(source, target, sha256=digest)
    assert target.read_bytes() == data
    assert target.stat().st_mode & 0o777 == 0o600
    assert not source.exists()
    assert sorted(p.name for p in target.parent.iterdir()) == [SAMPLE]  # the killed copy's part is gone


@pytest.fixture
def other_file_system(tmp_path: Path) -> Iterator[Path]:
    """A folder on another file system than the test's data home (/dev/shm is a tmpfs)."""
    if not SHM.is_dir() or SHM.stat().st_dev == tmp_path.stat().st_dev:
        pytest.skip("needs /dev/shm on another file system than the temporary folder")
    folder = Path(tempfile.mkdtemp(prefix="psp-inbox-", dir=SHM))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_a_run_killed_while_copying_an_original_to_another_file_system_finishes_the_move(
    tmp_path, database_url, other_file_system
):
    home = tmp_path / "home"
    home.mkdir()
    (home / "inbox").symlink_to(other_file_system, target_is_directory=True)
    data, expected = padded_sample()
    received = other_file_system / SAMPLE
    received.write_bytes(data)
    arrival = datetime.fromisoformat(expected["received_at"]).timestamp()
    os.utime(received, (arrival, arrival))

    killed = run(home, database_url, "move.copying:2", PSP_SETTLE_SECONDS="0")
    assert killed.returncode == -signal.SIGKILL, f"move.copying:2 was never reached:\n{killed.stdout}"
    assert not [p for p in (home / "originals").rglob("*") if p.is_file() and not p.name.startswith(".")]

    finished = run(home, database_url, PSP_SETTLE_SECONDS="0")
    assert finished.returncode == 0, finished.stdout
    kept = [p for p in (home / "originals").rglob("*") if p.is_file()]
    assert [p.name for p in kept] == [SAMPLE]  # and no temporary file left
    assert hashlib.sha256(kept[0].read_bytes()).hexdigest() == hashlib.sha256(data).hexdigest()
    assert not list(other_file_system.iterdir())
    engine = store.open_store(database_url)
    with Session(engine) as session:
        (row,) = session.scalars(select(store.ReceivedFileRow))
        assert (Path(row.stored_path), row.moved, row.outcome) == (kept[0], True, expected["outcome"])
        assert row.sha256 == hashlib.sha256(data).hexdigest()
    engine.dispose()
