"""Moving a file into place whole: the target is either absent or the complete file, never part of it.

Within one file system a move is a rename, which is atomic. Across file systems (the inbox on a
share, the originals on a local disk) it is a copy, and a copy killed half-way used to leave a
truncated file under the final name, which every later run then refused to overwrite. Here the
copy goes to a hidden temporary name next to the target (``.<name>.<host>.<pid>.part``), is synced
and checked against the expected sha256, and only then takes the final name; the source is
removed last. A temporary file left by a killed copy is removed by the next attempt.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from pipeline.faults import checkpoint

CHUNK = 1 << 20
MODE = 0o600  # what is moved holds personal data
PART_SUFFIX = ".part"
# A copy writes a chunk far more often than this: a temporary file untouched for longer is dead.
STALE_PART_SECONDS = 3600
MAX_NAME_BYTES = 255


class CopyMismatchError(OSError):
    """The copy is not the expected file; nothing was moved."""


class _Taken(Exception):
    """The final name is taken by a file that was there before."""


def move_whole(source: Path, target: Path, *, sha256: str | None = None) -> None:
    """Move ``source`` to ``target``: afterwards the target is the complete file (mode 0o600),
    or, when this raises or the process is killed, absent or as it was before.

    ``sha256`` is the hex digest the file is known by (the store's, taken when it was received):
    the source must still be that file, and a copy across file systems must match it (without
    it, the source as it was read). The
    target's folder is created when missing. An existing target is never overwritten: when it is
    this very file (a move stopped after the target was complete), the move is finished by
    removing the source; otherwise FileExistsError, and the source stays where it is.

    Raises FileNotFoundError when there is no source, CopyMismatchError (an OSError) when the
    copy does not match, and OSError for whatever else the file systems refuse.
    """
    os.stat(source)  # FileNotFoundError before anything else
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        if os.path.lexists(target):
            raise _Taken  # no copy needed to learn that
        if sha256 is not None and sha256_of(source) != sha256:
            # Another file under the same name (a corrected form dropped while a move waited):
            # it is not the one the store knows; it stays, and is received as itself.
            raise CopyMismatchError(f"{source.name} is no longer the file received under that name; "
                                    "it stays where it is and the next run receives it as a new file")
        if not _rename(source, target):
            _copy(source, target, sha256)
            source.unlink()
    except _Taken:
        if not _is_same_file(source, target, sha256):
            raise FileExistsError(_taken_message(source, target)) from None
        _remove_stale_parts(target)
        source.unlink()
    target.chmod(MODE)


def _rename(source: Path, target: Path) -> bool:
    """Give the file its new name on the same file system; False when the two are on different ones.

    A hard link takes a name only if it is free, atomically (a rename would replace a file there);
    where hard links are refused (some file systems, protected_hardlinks), a check then a rename.
    """
    try:
        os.link(source, target)
    except FileExistsError:
        raise _Taken from None
    except OSError as exc:
        if exc.errno == errno.EXDEV:
            return False
        if exc.errno == errno.ENOENT:
            raise
        if os.path.lexists(target):
            raise _Taken from None
        try:
            os.rename(source, target)
        except OSError as rename_error:
            if rename_error.errno == errno.EXDEV:
                return False
            raise
        return True
    source.unlink()
    return True


def _copy(source: Path, target: Path, sha256: str | None) -> None:
    """Copy to a temporary name, sync, check, then take the final name if it is still free."""
    _remove_stale_parts(target)
    part = target.with_name(_part_name(target.name))
    try:
        with source.open("rb") as reader:
            digest = hashlib.sha256()
            fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, MODE)
            with open(fd, "wb") as writer:
                os.fchmod(fd, MODE)  # a stale part of this name may have been made otherwise
                while chunk := reader.read(CHUNK):
                    writer.write(chunk)
                    digest.update(chunk)
                    checkpoint("move.copying")
                writer.flush()
                stat = os.fstat(reader.fileno())
                os.utime(fd, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # as a rename would keep it
                os.fsync(fd)
        expected = sha256 or digest.hexdigest()  # checked against the copy read back
        if sha256_of(part) != expected:
            raise CopyMismatchError(
                f"the copy of {source} to {target} does not match its sha256 (the file changed since it "
                "was received or while it was copied); nothing was moved: check the file and run again"
            )
        try:
            os.link(part, target)
        except FileExistsError:
            raise _Taken from None
        except OSError:
            if os.path.lexists(target):
                raise _Taken from None
            os.replace(part, target)
        _fsync_folder(target.parent)  # the target is durable before the source goes
    finally:
        part.unlink(missing_ok=True)


def _is_same_file(source: Path, target: Path, sha256: str | None) -> bool:
    """Whether the file at the target is the source's complete copy (or the source itself)."""
    if target.is_symlink() or not target.is_file():
        return False
    if os.path.samefile(source, target):
        return True  # linked, and stopped before the source was removed
    if target.stat().st_size != source.stat().st_size:
        return False
    return sha256_of(target) == (sha256 or sha256_of(source))


def _taken_message(source: Path, target: Path) -> str:
    if _is_start_of(target, source):
        return (f"{target} exists already but holds only the start of {source} (a copy cut short); "
                f"{source.name} is left where it is: remove the shorter file and run again")
    return (f"{target} exists already and is another file; {source.name} is left where it is: "
            "compare the two and remove the wrong one")


def _is_start_of(target: Path, source: Path) -> bool:
    if target.is_symlink() or not target.is_file() or target.stat().st_size >= source.stat().st_size:
        return False
    with target.open("rb") as cut, source.open("rb") as whole:
        while chunk := cut.read(CHUNK):
            if whole.read(len(chunk)) != chunk:
                return False
    return True


def numbered_name(name: str, taken: Callable[[str], bool]) -> str:
    """``name``, or the first of ``name (2).ext``, ``name (3).ext``... that is not ``taken``: as
    file managers number a second file of the same name."""
    stem, dot, suffix = name.rpartition(".")
    candidate, number = name, 2
    while taken(candidate):
        candidate = f"{stem} ({number}).{suffix}" if dot and stem else f"{name} ({number})"
        number += 1
    return candidate


def host_name() -> str:
    """This machine's name as a file name may hold it: workers on several hosts sharing one data
    home keep their temporary files apart by it (and by their process id)."""
    return re.sub(r"[^A-Za-z0-9-]", "_", socket.gethostname())[:64] or "host"


@contextmanager
def atomic_file(path: Path, *, private: bool = False) -> Iterator[IO[bytes]]:
    """A file that replaces ``path`` once it is complete, whole or not at all: a reader (another
    worker, a person, a mail client) never sees half of it. Written under a hidden temporary name
    of this host and process; removed if writing fails. ``private``: readable by its owner only."""
    temporary = path.with_name(f".{path.name}.{host_name()}.{os.getpid()}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    with open(os.open(temporary, flags, 0o600 if private else 0o666), "wb") as handle:
        try:
            yield handle
        except BaseException:
            handle.close()
            temporary.unlink(missing_ok=True)
            raise
    os.replace(temporary, path)


def write_atomic(path: Path, data: bytes, *, private: bool = False) -> None:
    """``data`` written to ``path`` whole or not at all (``atomic_file``)."""
    with atomic_file(path, private=private) as handle:
        handle.write(data)


def _part_prefix(name: str) -> str:
    """``.<name>.``, the name cut so that the whole temporary name fits a file system's limit."""
    room = MAX_NAME_BYTES - len(f"..{host_name()}.{2**32}{PART_SUFFIX}")
    return "." + name.encode()[:room].decode(errors="ignore") + "."


def _part_name(name: str) -> str:
    """The same for every attempt of one process on one host: its own stale copy is overwritten."""
    return f"{_part_prefix(name)}{host_name()}.{os.getpid()}{PART_SUFFIX}"


def _remove_stale_parts(target: Path) -> None:
    """Remove temporary copies to this target left by killed moves: this host's whose process is
    gone (or is this one, an earlier attempt), and any host's untouched for a long time."""
    prefix, host = _part_prefix(target.name), host_name()
    try:
        entries = list(os.scandir(target.parent))
    except FileNotFoundError:
        return
    for entry in entries:
        if not (entry.name.startswith(prefix) and entry.name.endswith(PART_SUFFIX)):
            continue
        owner, _, pid = entry.name[len(prefix) : -len(PART_SUFFIX)].rpartition(".")
        try:
            dead = owner == host and pid.isdigit() and (int(pid) == os.getpid() or not _alive(int(pid)))
            if dead or time.time() - entry.stat(follow_symlinks=False).st_ctime > STALE_PART_SECONDS:
                os.unlink(entry.path)
        except FileNotFoundError:
            pass  # removed by another process meanwhile


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's
    return True


def sha256_of(path: Path) -> str:
    """The file's sha256, read a chunk at a time: what a received file is known by."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP):  # folders that cannot be synced
            raise
    finally:
        os.close(fd)
