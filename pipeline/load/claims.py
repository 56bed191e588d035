"""Several workers, one inbox: each takes distinct inbox entries through the store.

``claim`` takes up to ``limit`` entries nobody holds (or whose holder's lease ran out), with
``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL so that workers never wait on each other's
rows; on SQLite, whose write transactions are serialised already, the same query simply runs
one worker at a time. Claims are load sharing, not the guarantee: what guarantees that a file
is recorded once is ``program.record_batch``, which skips a file another worker recorded
meanwhile, inside its serialised transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path

from sqlalchemy import delete, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine

from pipeline.load.store import FileClaimRow, ReceivedFileRow, transaction, utcnow


def claim(engine: Engine, worker: str, candidates: Iterable[Path], limit: int, lease: timedelta) -> list[Path]:
    """Take up to ``limit`` of ``candidates`` for ``worker``, oldest claim rows first."""
    paths = [str(p) for p in candidates]
    if not paths:
        return []
    now = utcnow()
    with transaction(engine) as session:
        # An entry committed by a worker that has not moved it yet is that worker's, not a new file.
        pending = set(session.scalars(
            select(ReceivedFileRow.inbox_path).where(ReceivedFileRow.moved.is_(False), ReceivedFileRow.inbox_path.in_(paths))
        ))
        paths = [p for p in paths if p not in pending]
        if not paths:
            return []
        insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        session.execute(
            insert(FileClaimRow)
            .values([{"inbox_path": p, "claimed_by": "", "lease_until": now} for p in paths])
            .on_conflict_do_nothing(index_elements=["inbox_path"])
        )
        free = session.scalars(
            select(FileClaimRow)
            .where(FileClaimRow.inbox_path.in_(paths), or_(FileClaimRow.claimed_by == "", FileClaimRow.lease_until < now))
            .order_by(FileClaimRow.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        for row in free:
            row.claimed_by = worker
            row.lease_until = now + lease
        return [Path(row.inbox_path) for row in free]


def release(engine: Engine, worker: str, paths: Iterable[Path]) -> None:
    """Let go of entries this worker has finished (they left the inbox) or given up."""
    names = [str(p) for p in paths]
    if not names:
        return
    with transaction(engine) as session:
        session.execute(delete(FileClaimRow).where(FileClaimRow.claimed_by == worker, FileClaimRow.inbox_path.in_(names)))


def renew(engine: Engine, worker: str, paths: Iterable[Path], lease: timedelta) -> list[Path]:
    """Start the lease of entries this worker holds again (a batch claimed early, now taken up).
    Returns those it still held: an entry whose lease ran out may have been claimed by another."""
    names = [str(p) for p in paths]
    if not names:
        return []
    with transaction(engine) as session:
        held = session.scalars(
            update(FileClaimRow)
            .where(FileClaimRow.claimed_by == worker, FileClaimRow.inbox_path.in_(names))
            .values(lease_until=utcnow() + lease)
            .returning(FileClaimRow.inbox_path)
        ).all()
    return [Path(name) for name in held]
