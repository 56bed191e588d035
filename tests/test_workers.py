"""Several workers on one inbox (PSP_CLAIM_FILES): each takes distinct files through the store,
every file is recorded exactly once, and a worker that dies lets its files go."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from pipeline.load import queries, store
from samples.stage import expected_cases, stage

CLI = Path(sys.executable).with_name("psp-pipeline")


def fill_inbox(inbox: Path, copies: int) -> list[str]:
    """The samples, plus copies of the PDF samples made distinct by a comment after their end."""
    names = [p.name for p in stage(inbox)]
    sources = [p for p in sorted(inbox.glob("*.pdf"))]
    for number in range(copies):
        source = sources[number % len(sources)]
        target = inbox / f"copy-{number:03d}-{source.name}"
        target.write_bytes(source.read_bytes() + f"\n% copy {number}\n".encode())
        stat = source.stat()
        os.utime(target, (stat.st_atime, stat.st_mtime + number + 1))
        names.append(target.name)
    return names


def worker(home: Path, database_url: str, log: Path, **extra: str) -> subprocess.Popen:
    # The samples' modification times are their received times, some in this machine's future, so
    # every claim waits the settle time for them: half a second keeps two workers' runs long enough
    # to overlap, where the default (5 s) would make each test last a minute.
    env = {**os.environ, "PSP_DATABASE_URL": database_url, "PSP_CLAIM_FILES": "1", "PSP_BATCH_SIZE": "4",
           "PSP_SETTLE_SECONDS": "0.5", **extra}
    env.pop("PSP_KILL_AT", None) if "PSP_KILL_AT" not in extra else None
    return subprocess.Popen([str(CLI), "run", "--without-prefect", "--home", str(home)], env=env,
                            stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)


def finish(process: subprocess.Popen) -> int:
    code = process.wait(timeout=300)
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    return code


def received(database_url: str) -> Counter:
    engine = store.open_store(database_url)
    counts = Counter(row["file"] for row in queries.export_rows(engine))
    engine.dispose()
    return counts


def test_two_workers_at_once_process_every_file_exactly_once(tmp_path, database_url):
    home = tmp_path / "home"
    names = fill_inbox(home / "inbox", copies=33)
    first = worker(home, database_url, tmp_path / "first.log")
    second = worker(home, database_url, tmp_path / "second.log")
    assert finish(first) == 0, (tmp_path / "first.log").read_text()
    assert finish(second) == 0, (tmp_path / "second.log").read_text()
    assert received(database_url) == Counter(names)
    assert not [p for p in (home / "inbox").rglob("*") if p.is_file()]
    assert sorted(p.name for p in (home / "originals").rglob("*") if p.is_file()) == sorted(names)
    outputs = [(tmp_path / f"{n}.log").read_text() for n in ("first", "second")]
    processed = [int(o.split(" files processed")[0].rsplit(" ", 1)[-1]) for o in outputs if "files processed" in o]
    assert sum(processed) == len(names)
    assert len(processed) == 2 and min(processed) > 0, processed  # both took a share, at the same time


@pytest.mark.crash
def test_a_worker_that_dies_lets_its_files_go(tmp_path, database_url):
    home = tmp_path / "home"
    names = [p.name for p in stage(home / "inbox")]
    dead = worker(home, database_url, tmp_path / "dead.log", PSP_KILL_AT="batch.extracted:2", PSP_CLAIM_LEASE_SECONDS="2")
    assert finish(dead) == -signal.SIGKILL
    time.sleep(2.5)  # the dead worker's lease runs out
    survivor = worker(home, database_url, tmp_path / "survivor.log", PSP_CLAIM_LEASE_SECONDS="2")
    assert finish(survivor) == 0, (tmp_path / "survivor.log").read_text()
    assert received(database_url) == Counter(names)
    outcomes = {name: case["outcome"] for name, case in ((c["file"], c) for _, c in expected_cases())}
    engine = store.open_store(database_url)
    assert {r["file"]: r["outcome"] for r in queries.export_rows(engine)} == outcomes
    engine.dispose()


def test_a_worker_claims_the_next_batch_while_one_is_read_and_lets_both_go(settings, tmp_path, monkeypatch):
    """With claim_files the next batch is claimed early, for the readers to read ahead: held by
    this worker alone until it is processed, and given back when the run stops."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from pipeline import run
    from pipeline.load import claims

    settings = settings.model_copy(update={"claim_files": True, "batch_size": 3, "settle_seconds": 0.0})
    names = fill_inbox(settings.data_home.inbox, copies=4)
    context = run.open_run(settings)

    def held() -> set[str]:
        with Session(context.engine) as session:
            return {Path(row.inbox_path).name for row in session.scalars(select(store.FileClaimRow))
                    if row.claimed_by == settings.worker_name}

    try:
        first = run.next_batch(context)
        upcoming = run.upcoming_batch(context)
        assert upcoming is run.upcoming_batch(context)  # claimed once
        assert len(first) == len(upcoming) == 3 and not {f.path for f in first} & {f.path for f in upcoming}
        assert held() == {f.path.name for f in first + upcoming}
        run.process_batch(context, first)
        later = store.utcnow() + timedelta(hours=1)
        monkeypatch.setattr(claims, "utcnow", lambda: later)
        assert run.next_batch(context) is upcoming  # the first batch's claims are let go, the next is taken
        assert held() >= {f.path.name for f in upcoming} and not held() & {f.path.name for f in first}
        with Session(context.engine) as session:  # its lease starts again as it is taken up
            leases = {Path(row.inbox_path).name: row.lease_until for row in session.scalars(select(store.FileClaimRow))}
        assert all(leases[f.path.name] >= later for f in upcoming)
        run.upcoming_batch(context)
        assert len(held()) == 6
    finally:
        context.close()
    assert held() == set()  # a run that stops lets go of what it held, read ahead or not
    assert len(names) > 6


def test_a_batch_claimed_early_that_another_worker_took_part_of_is_claimed_afresh(settings):
    """Its lease ran out while the batch before was processed and another worker claimed one of
    its files: this worker does not read that file, and claims a batch of files of its own."""
    from sqlalchemy import update

    from pipeline import run
    from pipeline.load import claims

    settings = settings.model_copy(update={"claim_files": True, "batch_size": 3, "settle_seconds": 0.0})
    fill_inbox(settings.data_home.inbox, copies=4)
    context = run.open_run(settings)
    try:
        run.next_batch(context)
        upcoming = run.upcoming_batch(context)
        taken = str(context.ahead[1][0])
        with store.transaction(context.engine) as session:
            session.execute(update(store.FileClaimRow).where(store.FileClaimRow.inbox_path == taken)
                            .values(claimed_by="other-host:1"))
        batch = run.next_batch(context)
        assert batch and batch is not upcoming
        assert taken not in {str(p) for p in context.claimed}
        assert claims.renew(context.engine, settings.worker_name, [Path(taken)], lease=timedelta(seconds=60)) == []
    finally:
        context.close()


def test_claims_are_let_go_when_the_claimed_files_cannot_be_taken_in(settings, monkeypatch):
    """Claimed, then intake fails (a file gone, a full disk): the run's close could not know of
    them, so the claim itself lets them go rather than leave them to the lease."""
    import pytest
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from pipeline import run

    settings = settings.model_copy(update={"claim_files": True, "batch_size": 3, "settle_seconds": 0.0})
    fill_inbox(settings.data_home.inbox, copies=2)

    def fails(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(run, "receive_entries", fails)
    context = run.open_run(settings)
    try:
        with pytest.raises(OSError):
            run.next_batch(context)
        with Session(context.engine) as session:
            assert [row for row in session.scalars(select(store.FileClaimRow)) if row.claimed_by] == []
    finally:
        context.close()
