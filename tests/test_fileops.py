"""Moving a file into place whole: on one file system and across two, a target taken already,
a move stopped half-way, temporary copies left by killed moves."""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from pipeline import fileops
from pipeline.fileops import CopyMismatchError, move_whole

DATA = b"%PDF-1.7 personal data\n" * 100_000  # a few copy chunks


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "inbox" / "form.pdf"
    path.parent.mkdir()
    path.write_bytes(DATA)
    path.chmod(0o644)
    os.utime(path, (1_700_000_000, 1_700_000_000))
    return path


@pytest.fixture
def target(tmp_path: Path) -> Path:
    return tmp_path / "originals" / "accepted" / "2026-12-01" / "form.pdf"


@pytest.fixture
def across(monkeypatch, source: Path) -> None:
    """The inbox as on another file system: linking or renaming the source fails with EXDEV."""
    real_link = os.link

    def link(src, dst, *args, **kwargs):
        if Path(src) == source:
            raise OSError(errno.EXDEV, os.strerror(errno.EXDEV))
        return real_link(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "link", link)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def parts(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob(".*.part"))


def test_on_one_file_system_the_file_is_renamed(source, target):
    inode = source.stat().st_ino
    move_whole(source, target)
    assert not source.exists()
    assert (target.read_bytes(), target.stat().st_ino) == (DATA, inode)
    assert target.stat().st_mode & 0o777 == 0o600


def test_across_file_systems_the_file_is_copied_whole(source, target, across):
    move_whole(source, target, sha256=sha(DATA))
    assert not source.exists()
    assert target.read_bytes() == DATA
    assert target.stat().st_mode & 0o777 == 0o600
    assert target.stat().st_mtime == 1_700_000_000  # as a rename keeps it
    assert parts(target.parent) == []


def test_a_real_move_to_another_file_system(target):
    shm = Path("/dev/shm")
    if not shm.is_dir() or shm.stat().st_dev == target.parents[3].stat().st_dev:
        pytest.skip("needs /dev/shm on another file system than the temporary folder")
    folder = Path(tempfile.mkdtemp(dir=shm))
    try:
        source = folder / "form.pdf"
        source.write_bytes(DATA)
        move_whole(source, target)
        assert (source.exists(), target.read_bytes()) == (False, DATA)
    finally:
        shutil.rmtree(folder)


def test_a_copy_that_does_not_match_the_sha256_moves_nothing(source, target, across):
    with pytest.raises(CopyMismatchError) as raised:
        move_whole(source, target, sha256=sha(b"what was received"))
    assert isinstance(raised.value, OSError)
    # found before anything is copied: the source is not the file received
    assert "no longer the file received" in str(raised.value) and "\n" not in str(raised.value)
    assert (source.read_bytes(), target.exists(), parts(target.parent)) == (DATA, False, [])


@pytest.mark.parametrize("where", ["same", "across"])
def test_another_file_at_the_target_is_never_overwritten(source, target, where, request):
    if where == "across":
        request.getfixturevalue("across")
    target.parent.mkdir(parents=True)
    target.write_bytes(b"another file of the same name")
    with pytest.raises(FileExistsError, match="exists already and is another file") as raised:
        move_whole(source, target, sha256=sha(DATA))
    assert "\n" not in str(raised.value)
    assert (source.read_bytes(), target.read_bytes()) == (DATA, b"another file of the same name")


def test_the_start_of_the_file_at_the_target_is_named_a_copy_cut_short(source, target):
    target.parent.mkdir(parents=True)
    target.write_bytes(DATA[:2_000_000])  # what a copy killed before this fix left
    with pytest.raises(FileExistsError, match="holds only the start of .*a copy cut short") as raised:
        move_whole(source, target)
    assert "\n" not in str(raised.value)
    assert (source.read_bytes(), target.read_bytes()) == (DATA, DATA[:2_000_000])


def test_a_file_of_the_same_size_but_other_bytes_is_another_file(source, target):
    target.parent.mkdir(parents=True)
    target.write_bytes(DATA[:-1] + b"!")
    with pytest.raises(FileExistsError, match="another file"):
        move_whole(source, target)


def test_a_move_stopped_after_the_copy_took_its_name_is_finished(source, target, across):
    target.parent.mkdir(parents=True)
    target.write_bytes(DATA)  # copied whole; the source was not removed yet
    move_whole(source, target, sha256=sha(DATA))
    assert (source.exists(), target.read_bytes()) == (False, DATA)
    assert target.stat().st_mode & 0o777 == 0o600


def test_a_rename_stopped_between_link_and_unlink_is_finished(source, target):
    target.parent.mkdir(parents=True)
    os.link(source, target)
    move_whole(source, target)
    assert (source.exists(), target.read_bytes()) == (False, DATA)


def test_a_name_taken_while_copying_is_not_overwritten(source, target, across, monkeypatch):
    def someone_else_files_there(point: str) -> None:
        if not target.exists():
            target.write_bytes(b"filed meanwhile")

    monkeypatch.setattr(fileops, "checkpoint", someone_else_files_there)
    with pytest.raises(FileExistsError):
        move_whole(source, target, sha256=sha(DATA))
    assert (source.read_bytes(), target.read_bytes(), parts(target.parent)) == (DATA, b"filed meanwhile", [])


def test_where_hard_links_are_refused_a_checked_rename_moves_it(source, target, monkeypatch):
    def refused(*args, **kwargs):
        raise PermissionError(errno.EPERM, os.strerror(errno.EPERM))

    monkeypatch.setattr(os, "link", refused)
    move_whole(source, target)
    assert (source.exists(), target.read_bytes()) == (False, DATA)
    source.write_bytes(b"next")
    with pytest.raises(FileExistsError):
        move_whole(source, target)
    assert target.read_bytes() == DATA


def test_a_missing_source_is_file_not_found(tmp_path, target):
    with pytest.raises(FileNotFoundError):
        move_whole(tmp_path / "gone.pdf", target)
    assert not target.parent.exists()


def test_temporary_copies_of_killed_moves_are_removed_but_not_live_ones(source, target, across):
    target.parent.mkdir(parents=True)
    prefix, host = fileops._part_prefix(target.name), fileops.host_name()
    dead = os.fork()
    if dead == 0:
        os._exit(0)
    os.waitpid(dead, 0)
    left = {
        "killed here": f"{prefix}{host}.{dead}.part",
        "earlier attempt of this process": f"{prefix}{host}.{os.getpid()}.part",
        "copying here now": f"{prefix}{host}.{os.getppid()}.part",
        "copying on another host now": f"{prefix}other-host.123.part",
        "another target's": f".other.pdf.{host}.{dead}.part",
    }
    for name in left.values():
        (target.parent / name).write_bytes(b"half")
    move_whole(source, target, sha256=sha(DATA))
    assert parts(target.parent) == sorted(
        left[k] for k in ("copying here now", "copying on another host now", "another target's")
    )


def test_temporary_copies_untouched_for_long_are_removed_whatever_their_host(source, target, across, monkeypatch):
    target.parent.mkdir(parents=True)
    old = target.parent / f"{fileops._part_prefix(target.name)}other-host.123.part"
    old.write_bytes(b"half")
    monkeypatch.setattr(fileops, "STALE_PART_SECONDS", -1)
    move_whole(source, target)
    assert parts(target.parent) == []


def test_a_long_name_still_fits_in_its_temporary_name(source, tmp_path, across, monkeypatch):
    target = tmp_path / "originals" / ("é" * 90 + ".pdf")  # 184 bytes, longer than routing allows
    copied_to: list[str] = []
    linked = os.link

    def link(src, dst, *args, **kwargs):
        copied_to.append(Path(src).name)
        return linked(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "link", link)
    move_whole(source, target)
    assert target.read_bytes() == DATA
    assert copied_to[-1].endswith(".part") and len(copied_to[-1].encode()) <= 255


def test_a_file_that_is_no_longer_the_one_received_is_not_moved(tmp_path):
    # A run stopped between its commit and its moves; a corrected form was dropped under the same
    # name meanwhile: the store's move must not file those new bytes as the old record's.
    source, target = tmp_path / "inbox" / "plan.pdf", tmp_path / "originals" / "plan.pdf"
    source.parent.mkdir()
    source.write_bytes(b"the corrected form")
    with pytest.raises(OSError, match="no longer the file received"):
        fileops.move_whole(source, target, sha256=hashlib.sha256(b"the form received").hexdigest())
    assert source.read_bytes() == b"the corrected form" and not target.exists()


def test_an_atomic_write_is_whole_or_not_at_all(tmp_path):
    target = tmp_path / "notice.eml"
    target.write_bytes(b"the notice before")
    with pytest.raises(RuntimeError), fileops.atomic_file(target) as handle:
        handle.write(b"half of the new")
        raise RuntimeError("the disk filled up")
    assert target.read_bytes() == b"the notice before"  # the old one stands, nothing half-written
    assert [p.name for p in tmp_path.iterdir()] == ["notice.eml"]  # and no temporary is left
    fileops.write_atomic(target, b"the new notice", private=True)
    assert target.read_bytes() == b"the new notice" and target.stat().st_mode & 0o077 == 0
