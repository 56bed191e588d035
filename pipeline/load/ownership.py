"""The data home a tracking store belongs to.

A store holds one data home's runs, documents and notices, with that home's paths. A second data
home on the same database (two machines each with their own /srv/psp, pointed at one PostgreSQL)
would take the first one's live run for a stopped one (``recover_interrupted_runs``), write its
documents into its own report, and file or send what belongs to the other. So the store records
its data home (``store_home``: the home's absolute path, the host that recorded it, and the token
of the home's ``home.id`` file), written by the first data home that opens it, and refuses any
other.

Several workers on several machines legitimately share one data home mounted at the same path
(``PSP_CLAIM_FILES``): the same path with the same ``home.id`` (the same folder, shared) is the
same data home from whichever host. The same path on another host with another ``home.id`` (or
none) is another folder that happens to have the same name, and is refused.

A SQLite store inside the data home goes wherever the home goes (moved, copied, restored): it is
that home's, and its record follows it. Moving a store to another data home on purpose takes
``PSP_TAKE_OVER_STORE=<this data home's absolute path>`` for one command; from then on the old
home is refused.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import time
import uuid
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine

from pipeline.errors import ConfigurationError
from pipeline.load.store import StoreHomeRow, transaction, utcnow
from pipeline.settings import Settings

log = logging.getLogger(__name__)

HOME_ID_FILE = "home.id"
OWNER_LOCK_KEY = 0x50535002  # PostgreSQL: one data home at a time records itself as the owner
_TOKEN = re.compile(r"[0-9a-f]{32}")


def read_home_id(root: Path) -> str | None:
    """The token of the data home's ``home.id``, or None when it has none (or a damaged one)."""
    try:
        token = (root / HOME_ID_FILE).read_text(encoding="ascii", errors="replace").strip()
    except OSError:
        return None
    return token if _TOKEN.fullmatch(token) else None


def _ensure_home_id(root: Path) -> str:
    """This data home's token: read, or written now when it has none. Two processes at once (two
    workers on a shared home) agree: the file is created exclusively, the other reads it."""
    path = root / HOME_ID_FILE
    for _ in range(100):
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            token = read_home_id(root)
            if token:
                return token
            time.sleep(0.05)  # being written by another process, or damaged
            continue
        except OSError as exc:
            raise ConfigurationError(
                f"cannot write {path} ({exc.strerror}).", hint="The data home must be writable."
            ) from exc
        token = uuid.uuid4().hex
        with os.fdopen(descriptor, "w", encoding="ascii") as file:
            file.write(token + "\n")
            file.flush()
            os.fsync(file.fileno())
        return token
    raise ConfigurationError(
        f"{path} does not hold a data home's id.",
        hint="Remove it; the store then names this data home another folder, and PSP_TAKE_OVER_STORE moves it here.",
    )


def store_in_home(engine: Engine, root: Path) -> bool:
    """Whether the store is a SQLite file inside the data home (it goes where the home goes)."""
    if engine.dialect.name != "sqlite" or not engine.url.database or engine.url.database == ":memory:":
        return False
    # Both resolved: a store reached through ".." or a link (another home's, say) is where it really is.
    database = Path(engine.url.database).expanduser().resolve()
    return database.is_relative_to(root.expanduser().resolve())


def check(engine: Engine, settings: Settings) -> None:
    """Record this data home as the store's owner when it has none; accept the owner (from any
    host that shares the folder); refuse any other data home with ConfigurationError (exit 4)."""
    root = settings.data_home.root
    host = socket.gethostname()
    with transaction(engine) as session:
        if engine.dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": OWNER_LOCK_KEY})
        owner = session.get(StoreHomeRow, 1)
        if owner is None:
            if not root.is_dir():
                return  # no data home yet to own it (a command that only reads)
            session.add(StoreHomeRow(id=1, path=str(root), host=host, home_id=_ensure_home_id(root), recorded_at=utcnow()))
            log.info("the tracking store now belongs to the data home %s", root)
            return
        token = read_home_id(root)
        if owner.path == str(root) and token == owner.home_id:
            return
        take_over = settings.take_over_store
        moving = take_over is not None and take_over.expanduser().absolute() == root
        if store_in_home(engine, root) or moving:
            if not root.is_dir():
                return
            log.warning("the tracking store moves from the data home %s (host %s) to %s (host %s)%s",
                        owner.path, owner.host, root, host, " (PSP_TAKE_OVER_STORE)" if moving else "")
            owner.path, owner.host, owner.home_id, owner.recorded_at = str(root), host, _ensure_home_id(root), utcnow()
            return
        raise _refusal(engine, settings, owner, token, host)


def _refusal(engine: Engine, settings: Settings, owner: StoreHomeRow, token: str | None, host: str) -> ConfigurationError:
    root = settings.data_home.root
    url = engine.url.render_as_string(hide_password=True)
    since = f"{owner.recorded_at:%Y-%m-%d}"
    if owner.path == str(root):
        why = "it has no home.id" if token is None else "its home.id differs"
        this = (f"the folder {root} here on {host} is another folder of the same name ({why}); "
                "only that folder, shared at the same path, may use the store")
    else:
        this = f"not to {root} (on {host})"
    take_over = settings.take_over_store
    mismatch = (f" PSP_TAKE_OVER_STORE is set to {take_over}, which is not this data home."
                if take_over is not None else "")
    return ConfigurationError(
        f"the tracking store {url} belongs to the data home {owner.path} on {owner.host} (since {since}), "
        f"{this}.{mismatch}",
        hint="Give this data home a database of its own (PSP_DATABASE_URL), or move the store to it deliberately "
        f"by running one command with PSP_TAKE_OVER_STORE={root} (the other data home is refused from then on).",
    )


def open_own_store(settings: Settings) -> Engine:
    """The tracking store, once it is known to be this data home's (``check``): every command that
    reads or changes the store opens it here, so no home reads or acts on another's."""
    from pipeline.load.store import open_store

    engine = open_store(settings.store_url)
    try:
        check(engine, settings)
    except BaseException:
        engine.dispose()
        raise
    return engine
