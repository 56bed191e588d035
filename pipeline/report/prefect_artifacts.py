"""Prefect's copies of a run's summary, written again without a person (``psp-pipeline forget``).

Each run publishes three artifacts (``flows/process_inbox.py``): ``psp-run-summary`` (markdown:
counts, and what waits for a person by file name), ``psp-run-documents`` (a table: every
document of the run by id and file name) and ``psp-run-report`` (a link to the run's report
page, which says which data home and which run they are of). A person's file names are in the
first two. They are rewritten, never deleted: the table without the person's rows, the summary
drawn again from the run's JSON twin once that is rewritten (``summary_markdown``, as the flow
drew it), or without the person's lines when the twin is gone.

Prefect is reached one of two ways (``pipeline.report.prefect_server.prefect_place``). Without a
server configured, every run starts a temporary one on Prefect's own SQLite file
(``$PREFECT_HOME/prefect.db``): ``SqliteArtifacts`` reads and writes that file with sqlite3 (the
artifacts, their collection's copy of the latest, and the events that copied their data),
deleting securely and folding the write-ahead log back so that no old page keeps the names.
With PREFECT_API_URL, the server's REST API is used (``prefect_server.ServerArtifacts``). Only
the runs of this data home are touched: a run's ``psp-run-report`` link says whose it is.
This module imports nothing of Prefect (only the CLI's commands do).
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import unquote, urlparse

from pipeline.model import Outcome
from pipeline.report.summary import (
    DOCUMENTS_KEY,
    REPORT_KEY,
    SUMMARY_KEY,
    markdown_text,
    summary_markdown,
)
from pipeline.report.twin import read_run_report

OUR_KEYS = (SUMMARY_KEY, DOCUMENTS_KEY, REPORT_KEY)

_HEADING = re.compile(r"^# PSP forms: run (\d+)$", re.MULTILINE)
_REPORT_LINE = re.compile(r"^Report: `(.*)`$", re.MULTILINE)
_LINK = re.compile(r"\]\((file://[^)\s]+)\)")
_RUN_PAGE = re.compile(r"^run-(\d+)\.html$")


@dataclass(frozen=True)
class StoredArtifact:
    """One artifact as Prefect holds it; ``data`` is the text the flow gave it."""

    id: str
    key: str | None
    type: str | None
    data: str | None
    flow_run_id: str | None


@dataclass
class ArtifactChange:
    """An artifact to write again without a person; ``data`` is filled in when it is written."""

    artifact: StoredArtifact
    run_id: int | None
    rows: int = 0  # the person's rows (table) or lines (summary) in it
    data: str | None = None

    def describe(self) -> str:
        """The change in a line for ``forget``'s plan and what it did (how many of the person's
        rows or lines go)."""
        run = f"run {self.run_id}" if self.run_id is not None else "a run"
        what = f"{self.rows} row(s)" if self.artifact.key == DOCUMENTS_KEY else f"{self.rows} line(s)"
        return f"Prefect artifact {self.artifact.key} of {run} (without {what})"


@dataclass(frozen=True)
class Receipts:
    """The received files to leave out: id -> file name as received."""

    names: dict[int, str]
    reports: Path  # this data home's reports folder: the runs whose artifacts are ours
    extra: tuple[str, ...] = field(default=())  # other values that only the person's rows hold


def report_page(link: str | None) -> Path | None:
    """The report page a ``psp-run-report`` link points at; None when it is no such link."""
    found = _LINK.search(link or "")
    if not found:
        return None
    parsed = urlparse(found.group(1))
    return Path(unquote(parsed.path))


def same_folder(one: Path, other: Path) -> bool:
    """Whether two paths are the same folder (as they are, when they cannot be resolved)."""
    try:
        return one.resolve() == other.resolve()
    except OSError:
        return one == other


def _by_flow_run(artifacts: Iterable[StoredArtifact]) -> dict[str | None, list[StoredArtifact]]:
    """Our artifacts (summary, table, report link), grouped by the flow run that published them."""
    by_run: dict[str | None, list[StoredArtifact]] = {}
    for artifact in artifacts:
        if artifact.key in OUR_KEYS:
            by_run.setdefault(artifact.flow_run_id, []).append(artifact)
    return by_run


def _page_run(page: Path | None) -> int | None:
    """The run a report link's page is of (``run-00012.html``); None for another page, or none."""
    found = _RUN_PAGE.match(page.name) if page is not None else None
    return int(found.group(1)) if found else None


def _heading_run(markdown: str | None) -> int | None:
    """The run a summary is of, by its heading ("# PSP forms: run 12")."""
    heading = _HEADING.search(markdown or "")
    return int(heading.group(1)) if heading else None


def _their_count(artifact: StoredArtifact, receipts: Receipts) -> int:
    """How many of the person's rows (table) or lines (summary) the artifact holds; 0 for a link."""
    if artifact.key == DOCUMENTS_KEY:
        return sum(1 for row in _table_rows(artifact.data) if _is_theirs(row, receipts))
    if artifact.key == SUMMARY_KEY:
        return len(_summary_lines(artifact.data or "", receipts))
    return 0


def plan_changes(artifacts: Iterable[StoredArtifact], receipts: Receipts) -> list[ArtifactChange]:
    """The summary and table artifacts that name one of these received files. The runs of
    another data home (their link points at another reports folder) are left alone."""
    changes = []
    for group in _by_flow_run(artifacts).values():
        link = next((a for a in group if a.key == REPORT_KEY), None)
        page = report_page(link.data) if link is not None else None
        if page is not None and not same_folder(page.parent, receipts.reports):
            continue  # another data home's run: its ids are not ours
        run_id = _page_run(page)
        for artifact in group:
            if artifact.key == SUMMARY_KEY and run_id is None:
                run_id = _heading_run(artifact.data)
            if count := _their_count(artifact, receipts):
                changes.append(ArtifactChange(artifact, run_id, count))
    for change in changes:  # the table's run, from its summary when the link is gone
        if change.run_id is None:
            same = [c.run_id for c in changes if c.artifact.flow_run_id == change.artifact.flow_run_id and c.run_id]
            change.run_id = same[0] if same else None
    return changes


def _table_rows(data: str | None) -> list[dict[str, Any]]:
    try:
        rows = json.loads(data or "[]")
    except ValueError:
        return []
    return [row for row in rows if isinstance(row, dict)] if isinstance(rows, list) else []


def _is_theirs(row: dict[str, Any], receipts: Receipts) -> bool:
    name = receipts.names.get(row.get("id")) if isinstance(row.get("id"), int) else None
    return name is not None and row.get("file") == name


def _summary_lines(markdown: str, receipts: Receipts) -> list[str]:
    """The summary's waiting lines ("- #12 name (held)") of these received files."""
    prefixes = tuple(f"- #{rid} {markdown_text(name)} (" for rid, name in receipts.names.items())
    return [line for line in markdown.splitlines() if line.startswith(prefixes)] if prefixes else []


def rewritten_data(change: ArtifactChange, receipts: Receipts) -> str:
    """What the artifact says without the person: the table without their rows; the summary as
    the flow would have drawn it from the run's rewritten JSON twin, or, without a twin, without
    their lines (its counts then still count them)."""
    artifact = change.artifact
    if artifact.key == DOCUMENTS_KEY:
        rows = [row for row in _table_rows(artifact.data) if not _is_theirs(row, receipts)]
        return json.dumps(rows)  # as Prefect's table artifact writes it
    markdown = artifact.data or ""
    twin = receipts.reports / f"run-{change.run_id:05d}.json" if change.run_id is not None else None
    if twin is not None and twin.is_file():
        try:
            head, documents = read_run_report(twin)
            total = sum(1 for _ in documents)
            report = _REPORT_LINE.search(markdown)
            summary = SimpleNamespace(
                run_id=int(head["run_id"]),
                total=total,
                counts={o.value: int(head.get("counts", {}).get(o.value, 0)) for o in Outcome},
                waiting=head.get("waiting") or [],
                report_html=report.group(1) if report else str(twin.with_suffix(".html")),
            )
            if summary.run_id == change.run_id:
                return summary_markdown(summary)  # type: ignore[arg-type] - the fields it reads
        except (OSError, ValueError, KeyError, TypeError):
            pass
    theirs = set(_summary_lines(markdown, receipts))
    return "\n".join(line for line in markdown.splitlines() if line not in theirs)


# -- Prefect's own SQLite file ------------------------------------------------------------------


class SqliteArtifacts:
    """Prefect's artifacts in its own SQLite file, with no server in between."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.where = f"Prefect's database {path}"

    @contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        """One write transaction on the file (taken at once: the server may be writing too), then
        the write-ahead log folded back into the file so that no old copy stays in it."""
        connection = self._connect()
        try:
            connection.execute("BEGIN IMMEDIATE")
            yield connection
            connection.execute("COMMIT")
        except BaseException:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise
        finally:
            connection.close()
        checkpoint_sqlite(self.path)

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        connection.execute("PRAGMA secure_delete=ON")  # what is replaced is overwritten, not left in free pages
        return connection

    def files(self) -> list[Path]:
        """The database file and its write-ahead log, those that exist: the self-check searches
        their bytes."""
        return [p for p in (self.path, Path(f"{self.path}-wal")) if p.is_file()]

    def read(self) -> list[StoredArtifact]:
        """The run artifacts (summary, table, report link) in the file; none when no server has
        set it up yet."""
        connection = self._connect()
        try:
            if not _has_table(connection, "artifact"):
                return []  # a database no server has set up yet
            rows = connection.execute(
                "SELECT id, key, type, data, flow_run_id FROM artifact WHERE key IN (?, ?, ?)", OUR_KEYS
            ).fetchall()
        finally:
            connection.close()
        return [StoredArtifact(str(i), k, t, _decoded(d), str(f) if f else None) for i, k, t, d, f in rows]

    def apply(self, changes: list[ArtifactChange]) -> None:
        """Write each change's data over the artifact, the collection row that copies it, and the
        events that copied its old data; then fold the write-ahead log back into the file."""
        if not changes:
            return
        with self._writing() as connection:
            old_to_new: dict[str, str] = {}
            for change in changes:
                assert change.data is not None
                connection.execute(
                    "UPDATE artifact SET data = ?, updated = strftime('%Y-%m-%d %H:%M:%f000', 'now') WHERE id = ?",
                    (json.dumps(change.data), change.artifact.id),
                )
                connection.execute(
                    "UPDATE artifact_collection SET data = ?, updated = strftime('%Y-%m-%d %H:%M:%f000', 'now') "
                    "WHERE latest_id = ?",
                    (json.dumps(change.data), change.artifact.id),
                )
                if change.artifact.data is not None:
                    old_to_new[change.artifact.data] = change.data
            _rewrite_events(connection, old_to_new)

    def holds(self, artifact_ids: list[str]) -> bool:
        """Whether these artifacts are in this file (it is the database of the server that gave them)."""
        if not artifact_ids or not self.path.is_file():
            return False
        connection = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=30)
        try:
            marks = ", ".join("?" * len(artifact_ids))
            count = connection.execute(f"SELECT count(*) FROM artifact WHERE id IN ({marks})", artifact_ids).fetchone()[0]  # noqa: S608
        except sqlite3.Error:
            return False
        finally:
            connection.close()
        return count == len(artifact_ids)

    def rewrite_events(self, old_to_new: dict[str, str]) -> None:
        """The events that copied an artifact's old data, given its new data (a server's API cannot)."""
        with self._writing() as connection:
            _rewrite_events(connection, old_to_new)

    def leftovers(self, match: Callable[[str], set[str]], reports: Path) -> tuple[list[tuple[str, str]], set[str]]:
        """Every row of Prefect's database whose text holds one of the person's values, as (where,
        what), but those of another data home's runs (the same file name may be there); and every
        value found in any row (what the file's bytes may hold and still be no deleted row)."""
        found: list[tuple[str, str]] = []
        in_rows: set[str] = set()
        connection = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=30)
        try:
            foreign = _foreign_runs(connection, reports)
            tables = [r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            for table in tables:
                cursor = connection.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - names from sqlite_master
                columns = [c[0] for c in cursor.description]
                for values in cursor:
                    labels: set[str] = set()
                    for value in values:
                        if isinstance(value, str):
                            labels |= match(value)
                    if not labels:
                        continue
                    in_rows |= labels
                    row = dict(zip(columns, values, strict=True))
                    runs = {str(row.get("flow_run_id"))} | set(re.findall(r"prefect\.flow-run\.([0-9a-f-]{36})", str(row.get("related") or "")))
                    if runs & foreign:
                        continue  # another data home's run
                    found.extend((f"{self.where}: {_describe_row(table, row)}", label) for label in sorted(labels))
        finally:
            connection.close()
        return found, in_rows


def _foreign_runs(connection: sqlite3.Connection, reports: Path) -> set[str]:
    """The flow runs whose report link points at another data home's reports folder."""
    if not _has_table(connection, "artifact"):
        return set()
    foreign = set()
    for flow_run_id, data in connection.execute("SELECT flow_run_id, data FROM artifact WHERE key = ?", (REPORT_KEY,)):
        page = report_page(_decoded(data))
        if flow_run_id and page is not None and not same_folder(page.parent, reports):
            foreign.add(str(flow_run_id))
    return foreign


def _rewrite_events(connection: sqlite3.Connection, old_to_new: dict[str, str]) -> None:
    if not old_to_new or not _has_table(connection, "events"):
        return
    for event_id, payload in connection.execute("SELECT id, payload FROM events").fetchall():
        try:
            decoded = json.loads(payload)
        except (TypeError, ValueError):
            continue
        if isinstance(decoded, dict) and decoded.get("data") in old_to_new:
            decoded["data"] = old_to_new[decoded["data"]]
            connection.execute("UPDATE events SET payload = ? WHERE id = ?", (json.dumps(decoded), event_id))


def _describe_row(table: str, row: dict[str, Any]) -> str:
    if table in ("artifact", "artifact_collection"):
        return f"{table} {row.get('key')} ({row.get('id')})"
    if table == "events":
        return f"event {row.get('event')} ({row.get('id')})"
    return f"table {table} ({row.get('id', '?')})"


def _decoded(value: Any) -> str | None:
    """An artifact's data as Prefect's JSON column holds it: the text the flow gave."""
    if value is None:
        return None
    try:
        decoded = json.loads(value)
    except (TypeError, ValueError):
        return str(value)
    return decoded if isinstance(decoded, str) else json.dumps(decoded)


def _has_table(connection: sqlite3.Connection, name: str) -> bool:
    return connection.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone() is not None


def checkpoint_sqlite(path: Path) -> bool:
    """Fold an SQLite file's write-ahead log back into it and empty the log: the old versions of
    the pages changed are in the log until then. False when a reader kept part of it."""
    if not Path(f"{path}-wal").exists():
        return True
    connection = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        busy, _, _ = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        connection.close()
    return not busy
