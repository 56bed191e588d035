"""One run at a time per data home: a nightly run and a manual run never take the same inbox.

The lock is an exclusive ``flock`` on ``<data home>/run.lock``: the operating system releases it
when its process ends, however it ends, so a lock left by a run that died is free again. The
file also says who holds it (process, host, start time), for the message a second run prints
and for the log line when a run takes over after one that died.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from pipeline.errors import InboxBusyError

log = logging.getLogger(__name__)

LOCK_NAME = "run.lock"


class RunLock:
    def __init__(self, home: Path) -> None:
        self.path = home / LOCK_NAME
        self._handle: IO[str] | None = None

    def acquire(self) -> None:
        """Take the lock (an exclusive flock, held until ``release``) and write who holds it;
        InboxBusyError when another run holds it. A lock file left by a run that stopped is taken
        over: its flock died with it."""
        handle = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held for the whole run
        os.chmod(self.path, 0o600)
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(handle)
            handle.close()
            raise InboxBusyError(
                f"another run is processing this inbox ({_describe(holder)}).",
                hint="Wait for it to finish; the nightly run will take what is left.",
            ) from None
        previous = _read_holder(handle)
        if previous and previous.get("pid") != os.getpid():
            log.warning("taking over the run lock left by a run that stopped (%s)", _describe(previous))
        handle.seek(0)
        handle.truncate()
        json.dump({"pid": os.getpid(), "host": socket.gethostname(), "started": datetime.now(UTC).isoformat()}, handle)
        handle.flush()
        self._handle = handle

    def release(self) -> None:
        """Clear who held the lock and let it go; nothing when it is not held."""
        if self._handle is None:
            return
        self._handle.seek(0)
        self._handle.truncate()
        self._handle.flush()
        fcntl.flock(self._handle.fileno(), fcntl.LOCK_UN)
        self._handle.close()
        self._handle = None

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.release()


def _read_holder(handle: IO[str]) -> dict[str, object]:
    handle.seek(0)
    try:
        return json.loads(handle.read() or "{}")
    except json.JSONDecodeError:
        return {}


def _describe(holder: dict[str, object]) -> str:
    if not holder:
        return "holder unknown"
    return f"process {holder.get('pid')} on {holder.get('host')}, started {holder.get('started')}"
