"""Running another program to read a document (Tesseract, headless LibreOffice), under a time limit.

A reader runs inside a worker process that is killed when it takes too long (``pipeline.workers``).
A program it started would live on, orphaned, still working on the document: here every program
is started in a process group of its own that dies with the worker (``PR_SET_PDEATHSIG`` on a
shell that then kills the group), and past its own time limit the whole group is killed,
children and all (LibreOffice's launcher starts one).
The program's output never reaches the log: it may quote the document.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import subprocess
from collections.abc import Sequence
from pathlib import Path

from pipeline.errors import DocumentUnreadable

PR_SET_PDEATHSIG = 1


class ToolMissing(DocumentUnreadable):
    """The program that reads this kind of document is not installed on this machine."""


# The program runs under a shell that kills its whole process group when told its parent died
# (PR_SET_PDEATHSIG reaches only the process it is set in, and LibreOffice's launcher starts the
# real soffice.bin as a child of its own). The program's standard input is handed on to it: a
# program started in the background would otherwise read /dev/null.
_GROUP_DIES_WITH_PARENT = 'trap "kill -KILL 0" TERM; exec 3<&0; "$@" 0<&3 3<&- & wait $!'


def _die_with_parent() -> None:  # pragma: no cover - runs in the child, between fork and exec
    os.setsid()
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass


def find_tool(name: str, package: str) -> str:
    """The path of the program ``name``; ToolMissing, naming the Debian ``package``, when it is not installed."""
    path = shutil.which(name)
    if path is None:
        raise ToolMissing(f"{name} is not installed on this machine; install {package} (make system-deps) and run again")
    return path


def run_tool(argv: Sequence[str | Path], *, timeout: float, what: str, stdin: bytes | None = None,
             cwd: Path | None = None, env: dict[str, str] | None = None, pass_fds: Sequence[int] = ()) -> bytes:
    """Run ``argv`` to completion and return what it printed; DocumentUnreadable, saying ``what``
    was being done, when it fails or takes longer than ``timeout`` seconds (its process group is
    then killed). ``pass_fds``: open files the program is handed (as ``subprocess.Popen``'s)."""
    process = subprocess.Popen(  # noqa: S603 - argv is a program of ours and paths, passed as the shell's arguments
        ["/bin/sh", "-c", _GROUP_DIES_WITH_PARENT, "sh", *(str(a) for a in argv)],
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd, env=env, preexec_fn=_die_with_parent,
        pass_fds=tuple(pass_fds),
    )
    try:
        out, _ = process.communicate(stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        raise DocumentUnreadable(f"{what} took longer than {timeout:.0f} s and was stopped; a person should open it") from None
    except BaseException:
        _kill_group(process)
        raise
    if process.returncode != 0:
        # (its stderr may quote the document: only the exit status is said)
        raise DocumentUnreadable(f"{what} failed (exit status {process.returncode}); a person should open it")
    return out


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        process.communicate(timeout=5)
    except subprocess.TimeoutExpired:  # a descendant left the group and holds the pipes: no more waiting on it
        process.kill()
