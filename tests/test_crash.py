"""Crash safety: a real run process killed (SIGKILL) at many points loses nothing and
duplicates nothing. The next run finishes what was left: every file ends with exactly one
outcome and its original kept once, every notice is written once, and the stopped run gets its
report."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pipeline.load import queries, store
from samples.stage import expected_cases, stage

pytestmark = pytest.mark.crash

CLI = Path(sys.executable).with_name("psp-pipeline")
CASES = {expected["file"]: expected for _, expected in expected_cases()}

# Batches of 5 over the 27 samples: six batches, so points are hit in the middle of a run too.
KILL_POINTS = [
    "run.opened",
    "batch.extracted",
    "batch.extracted:3",
    "record.document:1",
    "record.document:4",
    "record.document:13",
    "record.document:26",
    "batch.committed",
    "batch.committed:2",
    "batch.committed:6",
    "move.done:1",
    "move.done:3",
    "move.done:12",
    "move.done:27",
    "batch.moved",
    "batch.moved:4",
    "notice.written:1",
    "notice.written:2",
    "notice.written:7",
    "notice.written:15",
    "report.written",
    "run.finished",
]


def run(home: Path, database_url: str, kill_at: str | None = None, **settings: str) -> subprocess.CompletedProcess:
    """``psp-pipeline run`` in a process of its own, killed at ``kill_at``; ``settings`` are more PSP_ variables."""
    env = {**os.environ, "PSP_DATABASE_URL": database_url, "PSP_BATCH_SIZE": "5", "PSP_WORKERS": "2", **settings}
    env.pop("PSP_KILL_AT", None)
    if kill_at:
        env["PSP_KILL_AT"] = kill_at
    log = home.parent / f"run-{kill_at or 'finish'}.log"
    with log.open("w") as output:
        # Its own session, so that anything the killed run left behind can be found and ended.
        process = subprocess.Popen([str(CLI), "run", "--without-prefect", "--home", str(home)], env=env,
                                   stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
        returncode = process.wait(timeout=300)
    try:
        os.killpg(process.pid, signal.SIGKILL)
        left_behind = True
    except ProcessLookupError:
        left_behind = False
    return subprocess.CompletedProcess(process.args, returncode, log.read_text(), str(left_behind))


@pytest.mark.parametrize("kill_at", KILL_POINTS)
def test_a_run_killed_anywhere_loses_nothing_and_duplicates_nothing(kill_at, tmp_path, database_url):
    home = tmp_path / "home"
    stage(home / "inbox")
    killed = run(home, database_url, kill_at)
    assert killed.returncode == -signal.SIGKILL, f"{kill_at} was never reached:\n{killed.stdout}"
    finished = run(home, database_url)
    assert finished.returncode == 0, finished.stdout

    engine = store.open_store(database_url)
    rows = list(queries.export_rows(engine))
    # Exactly one outcome per file received, the expected one.
    assert Counter(r["file"] for r in rows) == Counter(CASES.keys())
    assert {r["file"]: r["outcome"] for r in rows} == {name: case["outcome"] for name, case in CASES.items()}
    # Every original kept, once; nothing left in the inbox.
    kept = [p.name for p in (home / "originals").rglob("*") if p.is_file()]
    assert sorted(kept) == sorted(CASES)
    assert not [p for p in (home / "inbox").rglob("*") if p.is_file()]
    # One notice per rejected or held document, written once and recorded once.
    owed = sum(1 for case in CASES.values() if case["outcome"] in ("rejected", "held"))
    assert len(list((home / "notices").rglob("*.eml"))) == owed
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(store.NoticeRow)) == owed
        assert session.scalar(select(func.count()).select_from(store.NoticeRow).where(store.NoticeRow.written.is_(False))) == 0
        statuses = dict(session.execute(select(store.Run.status, func.count()).group_by(store.Run.status)).all())
        assert "running" not in statuses
        reports = [Path(p) for p in session.scalars(select(store.Run.report_path))]
    assert all(p.is_file() for p in reports)
    engine.dispose()
