"""pipeline.report.prefect_artifacts: Prefect's copies of a run's summary written again without a
person (``forget``): which artifacts name them (only this data home's runs), what each says without
them, and Prefect's own SQLite file read and rewritten with sqlite3, its event copies too. A real
flow's artifacts are attacked in tests/attacks/test_forget_everything.py."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from pipeline.report.prefect_artifacts import (
    DOCUMENTS_KEY,
    REPORT_KEY,
    SUMMARY_KEY,
    ArtifactChange,
    Receipts,
    SqliteArtifacts,
    StoredArtifact,
    checkpoint_sqlite,
    plan_changes,
    report_page,
    rewritten_data,
)

FLOW_RUN = "5f0c0a8e-0000-4000-8000-000000000001"
OTHER_FLOW_RUN = "5f0c0a8e-0000-4000-8000-000000000002"
SUMMARY = """# PSP forms: run 3

2 files received in this run.

| outcome | files |
|---|---|
| held | 1 |
| rejected | 1 |

## Waiting for a person: 1

- #7 jordan-packet.docx (held)

Report: `/srv/psp/reports/run-00003.html`"""


def table(*rows: tuple[int, str]) -> str:
    return json.dumps([{"id": i, "file": name, "form": "PSP-REG", "outcome": "held", "rules": ""} for i, name in rows])


def run_artifacts(reports: Path, flow_run: str = FLOW_RUN, whose: str = "ours") -> list[StoredArtifact]:
    """Run 3's three artifacts as the flow publishes them: its summary, its table and its report's link."""
    link = f"[Run report 3]({(reports / 'run-00003.html').as_uri()})"
    return [
        StoredArtifact(f"summary-{whose}", SUMMARY_KEY, "markdown", SUMMARY, flow_run),
        StoredArtifact(f"table-{whose}", DOCUMENTS_KEY, "table", table((7, "jordan-packet.docx"), (8, "plan.pdf")),
                       flow_run),
        StoredArtifact(f"link-{whose}", REPORT_KEY, "link", link, flow_run),
    ]


@pytest.fixture
def receipts(tmp_path) -> Receipts:
    (tmp_path / "reports").mkdir()
    return Receipts({7: "jordan-packet.docx"}, tmp_path / "reports")


def test_a_report_link_names_its_page():
    page = report_page("[Run report 3](file:///srv/psp/reports/run-00003.html)")
    assert page == Path("/srv/psp/reports/run-00003.html")
    assert report_page("[x](file:///srv/a%20b/run-00001.html)") == Path("/srv/a b/run-00001.html")
    assert report_page("https://example.org") is None and report_page(None) is None


def test_the_artifacts_that_name_the_person_are_the_summary_and_table_of_their_runs(receipts):
    changes = plan_changes(run_artifacts(receipts.reports), receipts)
    assert [(c.artifact.key, c.run_id, c.rows) for c in changes] == [(SUMMARY_KEY, 3, 1), (DOCUMENTS_KEY, 3, 1)]
    assert changes[1].describe() == "Prefect artifact psp-run-documents of run 3 (without 1 row(s))"
    assert changes[0].describe() == "Prefect artifact psp-run-summary of run 3 (without 1 line(s))"


def test_another_data_homes_runs_are_left_alone(receipts, tmp_path):
    elsewhere = run_artifacts(tmp_path / "another-home" / "reports", OTHER_FLOW_RUN, "theirs")
    assert plan_changes(elsewhere, receipts) == []  # the same ids are another home's files there


def test_without_its_link_a_run_is_known_by_its_summary_s_heading(receipts):
    summary, documents, _ = run_artifacts(receipts.reports)
    changes = plan_changes([documents, summary], receipts)
    assert {c.run_id for c in changes} == {3}


def test_a_table_is_written_again_without_their_rows(receipts):
    change = plan_changes(run_artifacts(receipts.reports), receipts)[1]
    assert json.loads(rewritten_data(change, receipts)) == json.loads(table((8, "plan.pdf")))


def test_a_summary_without_its_run_s_twin_loses_their_lines_only(receipts):
    change = plan_changes(run_artifacts(receipts.reports), receipts)[0]
    rewritten = rewritten_data(change, receipts)
    assert "jordan" not in rewritten and rewritten.startswith("# PSP forms: run 3")
    assert rewritten.splitlines() == [line for line in SUMMARY.splitlines() if "jordan" not in line]


def test_a_summary_is_drawn_again_from_its_run_s_twin_as_the_flow_drew_it(receipts):
    twin = {"run_id": 3, "counts": {"rejected": 1}, "waiting": [], "documents": []}
    (receipts.reports / "run-00003.json").write_text(json.dumps(twin), "utf-8")
    change = plan_changes(run_artifacts(receipts.reports), receipts)[0]
    rewritten = rewritten_data(change, receipts)
    assert "## Waiting for a person: 0" in rewritten and "jordan" not in rewritten
    assert rewritten.endswith("Report: `/srv/psp/reports/run-00003.html`")  # the report line as it was


# -- Prefect's own SQLite file --------------------------------------------------------------------


def prefect_database(path: Path, artifacts: list[StoredArtifact]) -> Path:
    """A SQLite file with the tables of Prefect's that ``SqliteArtifacts`` reads and writes."""
    connection = sqlite3.connect(path)
    connection.executescript("""
        PRAGMA journal_mode=WAL;
        CREATE TABLE artifact (id TEXT PRIMARY KEY, key TEXT, type TEXT, data TEXT, flow_run_id TEXT, updated TEXT);
        CREATE TABLE artifact_collection (id TEXT PRIMARY KEY, key TEXT, latest_id TEXT, data TEXT, flow_run_id TEXT,
                                          updated TEXT);
        CREATE TABLE events (id TEXT PRIMARY KEY, event TEXT, payload TEXT, related TEXT);
    """)
    for a in artifacts:
        connection.execute("INSERT INTO artifact VALUES (?, ?, ?, ?, ?, NULL)",
                           (a.id, a.key, a.type, json.dumps(a.data), a.flow_run_id))
        connection.execute("INSERT INTO artifact_collection VALUES (?, ?, ?, ?, ?, NULL)",
                           (f"collection-{a.id}", a.key, a.id, json.dumps(a.data), a.flow_run_id))
        related = json.dumps([{"prefect.resource.id": f"prefect.flow-run.{a.flow_run_id}"}])
        connection.execute("INSERT INTO events VALUES (?, ?, ?, ?)", (f"event-{a.id}", "prefect.artifact.created",
                                                                      json.dumps({"data": a.data}), related))
    connection.commit()
    connection.close()
    return path


def test_the_artifacts_are_read_from_prefect_s_file_as_the_flow_gave_them(receipts, tmp_path):
    artifacts = run_artifacts(receipts.reports)
    database = SqliteArtifacts(prefect_database(tmp_path / "prefect.db", artifacts))
    assert sorted(database.read(), key=lambda a: a.id) == sorted(artifacts, key=lambda a: a.id)
    assert database.holds([a.id for a in artifacts]) and not database.holds(["not-there"]) and not database.holds([])
    assert tmp_path / "prefect.db" in database.files()
    assert SqliteArtifacts(tmp_path / "no-server-yet.db").read() == []


def test_a_change_is_written_over_the_artifact_its_collection_and_its_event_copies(receipts, tmp_path):
    artifacts = run_artifacts(receipts.reports)
    path = prefect_database(tmp_path / "prefect.db", artifacts)
    database = SqliteArtifacts(path)
    changes = plan_changes(database.read(), receipts)
    for change in changes:
        change.data = rewritten_data(change, receipts)

    database.apply(changes)

    assert all("jordan" not in (a.data or "") for a in database.read())
    connection = sqlite3.connect(path)
    rows = [str(row) for table in ("artifact_collection", "events")
            for row in connection.execute(f"SELECT * FROM {table}")]  # noqa: S608 - the test's own table names
    connection.close()
    assert rows and not any("jordan" in row for row in rows)
    assert not Path(f"{path}-wal").exists() or Path(f"{path}-wal").stat().st_size == 0  # folded back: no old page left


def test_what_is_left_of_the_person_is_found_in_every_row_but_another_home_s(receipts, tmp_path):
    ours = run_artifacts(receipts.reports)
    theirs = run_artifacts(tmp_path / "another-home" / "reports", OTHER_FLOW_RUN, "theirs")
    database = SqliteArtifacts(prefect_database(tmp_path / "prefect.db", ours + theirs))

    def match(text: str) -> set[str]:
        return {"the file name"} if "jordan" in text else set()

    found, in_rows = database.leftovers(match, receipts.reports)
    assert in_rows == {"the file name"}
    assert found and all("theirs" not in where for where, _ in found)
    assert any(where.endswith("artifact psp-run-documents (table-ours)") for where, _ in found)
    assert any(where.endswith("event prefect.artifact.created (event-summary-ours)") for where, _ in found)


def test_a_file_without_a_write_ahead_log_needs_no_checkpoint(tmp_path):
    sqlite3.connect(tmp_path / "plain.db").close()
    assert checkpoint_sqlite(tmp_path / "plain.db")


def test_a_change_describes_an_unknown_run_as_a_run():
    change = ArtifactChange(StoredArtifact("x", SUMMARY_KEY, "markdown", "", None), None, 2)
    assert change.describe() == "Prefect artifact psp-run-summary of a run (without 2 line(s))"
