"""Every run of the reports folder, for ``reports/index.html`` (``pipeline.report.html.write_index``:
each run's times, counts and report) and to tell which run received a file, so that a page can
link a document waiting from an earlier run to that run's report.

The truth is the run reports' JSON twins (``run-<id>.json``). What the index needs of each (its
times, counts and the ids of its documents, never a file name or a value) is kept in
``reports/index.json``, keyed by the twin's size and modification time: a twin written by
``RunReport.write`` is noted there as it is written, and a twin the cache does not know, or knows
as another file (written by an older version, or by another worker at the same moment), is read
once. Both files are written whole or not at all, as ``latest.html`` is.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pipeline.fileops import write_atomic

CACHE_NAME = "index.json"
_CACHE_VERSION = 1


def run_page_name(run_id: int) -> str:
    """The file name of a run's report page (``run-00007.html``)."""
    return f"run-{run_id:05d}.html"


def _twin_run_id(path: Path) -> int | None:
    number = path.stem.removeprefix("run-")
    return int(number) if path.name.startswith("run-") and number.isdigit() else None


def id_ranges(ids: Iterable[int]) -> list[list[int]]:
    """``ids`` as sorted inclusive ranges (``[[1, 40], [45, 45]]``): a run's files are mostly numbered in a row."""
    ranges: list[list[int]] = []
    for n in sorted(set(ids)):
        if ranges and ranges[-1][1] == n - 1:
            ranges[-1][1] = n
        else:
            ranges.append([n, n])
    return ranges


def _stamp(path: Path) -> list[int]:
    status = path.stat()
    return [status.st_size, status.st_mtime_ns]


def run_entry(head: Mapping[str, Any], ids: Iterable[int], twin: Path) -> dict[str, Any]:
    """What the index keeps of one run: its times (as the twin writes them), counts, documents' ids,
    and the size and modification time of its twin as read."""
    return {
        "run_id": int(head["run_id"]),
        "started_at": head["started_at"],
        "finished_at": head["finished_at"],
        "counts": dict(head.get("counts") or {}),
        "ids": id_ranges(ids),
        "twin": _stamp(twin),
    }


def _read_twin(path: Path) -> dict[str, Any] | None:
    """A twin the cache does not know, read whole: None when it is not a run report."""
    try:
        whole = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(whole, dict) or "run_id" not in whole or not isinstance(whole.get("documents"), list):
        return None
    ids = [d["id"] for d in whole["documents"] if isinstance(d, dict) and isinstance(d.get("id"), int)]
    return run_entry(whole, ids, path)


def _read_cache(folder: Path) -> dict[str, dict[str, Any]]:
    try:
        cache = json.loads((folder / CACHE_NAME).read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(cache, dict) or cache.get("version") != _CACHE_VERSION or not isinstance(cache.get("runs"), dict):
        return {}
    return cache["runs"]


def known_runs(folder: Path, written: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Every run whose twin is in ``folder``, newest first, each as ``run_entry`` gives it;
    ``written``: the entry of the twin just written, noted without reading it again. The cache
    (``index.json``) is written again when it changed."""
    cached = _read_cache(folder)
    runs: dict[str, dict[str, Any]] = {}
    for twin in folder.glob("run-*.json"):
        run_id = _twin_run_id(twin)
        if run_id is None:
            continue
        key = str(run_id)
        if written is not None and written["run_id"] == run_id:
            runs[key] = written
            continue
        entry = cached.get(key)
        try:
            same = entry is not None and entry.get("twin") == _stamp(twin)
        except OSError:  # gone since it was listed (a forget at the same moment)
            continue
        if not same:
            entry = _read_twin(twin)
        if entry is not None:
            runs[key] = entry
    if runs != cached:
        cache = json.dumps({"version": _CACHE_VERSION, "runs": runs}, separators=(",", ":"))
        write_atomic(folder / CACHE_NAME, cache.encode("utf-8"), private=True)
    return sorted(runs.values(), key=lambda r: r["run_id"], reverse=True)


def run_of_documents(runs: Iterable[Mapping[str, Any]], ids: Iterable[int]) -> dict[int, int]:
    """Which run received each of ``ids`` (those the runs know of)."""
    wanted = set(ids)
    found: dict[int, int] = {}
    for run in runs:
        for low, high in run["ids"]:
            for n in [n for n in wanted if low <= n <= high]:
                found[n] = run["run_id"]
                wanted.discard(n)
        if not wanted:
            break
    return found
