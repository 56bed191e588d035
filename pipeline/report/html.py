"""The run report: an HTML page for reviewers and its JSON twin.

Everything read from a document is untrusted. The page is rendered by Jinja2 with autoescape;
the documents of the run travel in a JSON data block (``<script type="application/json">``,
escaped by ``tojson`` so that no value can close it) and a static script beside the page,
``report-<hash>.js``, draws the two sortable, filterable, paged lists from it ("Needs a person"
and the documents of the run), setting every value as text, never as markup. Links are relative:
to each original where the data home keeps it, to the report of the run that received a document
waiting from an earlier run, and to ``index.html``, every run (``write_index``). The Content-Security-Policy allows scripts from the page's own folder
only (no inline script, no inline event handler) and the one inline style sheet by its hash.

The page stays light however big the run: the list shows one page of rows, and a document's
details are drawn when a reviewer opens it.

Bidirectional formatting characters (U+202E RIGHT-TO-LEFT OVERRIDE and the like) are shown as
visible escapes (``⟨U+202E⟩``) everywhere on the page, in the server-rendered tables and in the
script's data alike: a file named ``invoice<U+202E>fdp.exe`` must not read as ``invoiceexe.pdf``,
nor turn the rest of its line around.

Each document comes as ``pipeline.report.document_report`` shows it (a ``DocumentReport``);
the twin is read back by ``pipeline.report.twin``. A report is written again without some of its
documents (``rewrite_run_report``, for ``psp-pipeline forget``) from its JSON twin: the other
documents' entries stay as they were.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
import tempfile
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, select_autoescape
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup

from pipeline.clock import shown_time
from pipeline.fileops import atomic_file, write_atomic
from pipeline.report.compiled_templates import BYTECODE_CACHE
from pipeline.report.models import DocumentReport
from pipeline.report.page_data import (
    OUTCOME_ORDER,
    PageData,
    earlier_pages,
    visible_bidi,
    waiting_items,
)
from pipeline.report.run_index import (
    known_runs,
    run_entry,
    run_page_name,
)
from pipeline.report.twin import (
    TWIN_DOCUMENTS,
    SpooledDocuments,
    read_run_report,
    twin_json,
)


def _finalize(value: Any) -> Any:
    """Every ``{{ value }}`` of the pages: text from a document shows its bidirectional controls
    (our own markup, ``Markup``, is left as it is)."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return visible_bidi(value)
    return value


_HTML = Environment(
    loader=PackageLoader("pipeline.report", "templates"),
    autoescape=select_autoescape(["html", "j2"], default=True),
    trim_blocks=True,
    lstrip_blocks=True,
    finalize=_finalize,
    bytecode_cache=BYTECODE_CACHE,
)
# ``tojson`` escapes <, >, & and ' so that no value can end the data block; compact, in order.
_HTML.policies["json.dumps_kwargs"] = {"sort_keys": False, "separators": (",", ":"), "ensure_ascii": False}



def _write_atomically(path: Path, text: str) -> None:
    write_atomic(path, text.encode("utf-8"), private=True)


@cache
def _static(name: str) -> str:
    """A file of the package's ``static`` folder (the report's script and style sheet)."""
    return resources.files("pipeline.report").joinpath("static", name).read_text("utf-8")


def _csp_source_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def content_security_policy(style: str) -> str:
    """The page's policy: nothing from elsewhere, scripts only from files beside the page (no
    inline script, no inline event handler), the one inline style sheet by its hash."""
    return (
        "default-src 'none'; script-src 'self'; "
        f"style-src {_csp_source_hash(style)}; img-src 'self' data:; "
        "base-uri 'none'; form-action 'none'"
    )


def install_script(folder: Path, name: str = "report.js") -> str:
    """Copy a packaged script beside the pages in ``folder`` under a name that carries its
    content hash (``report-1a2b3c4d5e.js``): an older page keeps the script it was written
    with. Returns the file name to reference."""
    text = _static(name)
    stem, _, suffix = name.rpartition(".")
    target = folder / f"{stem}-{hashlib.sha256(text.encode('utf-8')).hexdigest()[:10]}.{suffix}"
    if not target.is_file() or target.read_text("utf-8") != text:
        _write_atomically(target, text)
    return target.name


def _page_json(value: Any) -> str:
    """``value`` as the page template's ``tojson`` writes it (compact, safe inside a script element)."""
    return str(htmlsafe_json_dumps(value, dumps=_HTML.policies["json.dumps_function"], **_HTML.policies["json.dumps_kwargs"]))


def _page_data_json(value: Any) -> str:
    """The page's data for its script, as ``_page_json`` writes it, with every bidirectional
    control shown (``visible_bidi``): they can only be inside its strings, which the escape keeps
    valid. ``page_data.client_data`` is the same, as objects."""
    return visible_bidi(_page_json(value))


def write_run_report(
    folder: Path,
    *,
    run_id: int,
    started_at: datetime,
    finished_at: datetime,
    documents: Iterable[DocumentReport],
    waiting: list[dict[str, Any]],
    zone: ZoneInfo,
    decisions: list[dict[str, Any]] | None = None,
    latest: bool = True,
) -> tuple[Path, Path]:
    """Write ``run-<id>.html`` and ``run-<id>.json`` (and ``latest.html`` unless ``latest`` is
    false, and the page's script beside them); return the paths of the page and its twin.
    ``documents`` is gone through once, and not kept (``RunReport``)."""
    report = RunReport(folder)
    try:
        for document in documents:
            report.add(document)
        return report.write(run_id=run_id, started_at=started_at, finished_at=finished_at, waiting=waiting,
                            zone=zone, decisions=decisions, latest=latest)
    finally:
        report.close()


class RunReport:
    """A run report put together a document at a time: each document (``document_summary``) goes
    to temporary files as it comes, so that a run of any size holds one batch in memory, and
    ``write`` puts the page and its JSON twin together from them. The files have no name: they
    go when the report is closed or dropped, or when its process ends, however it ends."""

    def __init__(self, folder: Path) -> None:
        """An empty report for ``folder`` (made when missing), which holds its temporary files too."""
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.counts: Counter[str] = Counter()
        self._by_form: dict[str, Counter[str]] = {}
        self._page_data = PageData(folder)
        self._twin = tempfile.TemporaryFile(dir=folder)  # each document's JSON on a line of its own
        self._page = tempfile.TemporaryFile(dir=folder)  # each document in the page's shape, comma-separated
        self._places: list[tuple[int, int]] = []  # where each document's line is in ``_twin``

    def __len__(self) -> int:
        return len(self._places)

    def add(self, d: DocumentReport) -> None:
        """Count one document (``document_summary``) and write it to the temporary files at once,
        rather than keep it."""
        self.counts[d.outcome.value] += 1
        self._by_form.setdefault(d.form_id.value if d.form_id else "unknown", Counter())[d.outcome.value] += 1
        # json.dumps escapes every line break inside strings: one document, one line.
        line = twin_json(d.model_dump(mode="json")).encode("utf-8")
        self._twin.seek(0, os.SEEK_END)
        self._places.append((self._twin.tell(), len(line)))
        self._twin.write(line + b"\n")
        self._page.write((("," if len(self._places) > 1 else "") + _page_data_json(self._page_data.add(d))).encode("utf-8"))

    def documents(self) -> Sequence[DocumentReport]:
        """The documents added so far, as added (read back from the temporary file when asked for)."""
        self._twin.flush()
        return SpooledDocuments(self._twin, list(self._places))

    def write(
        self,
        *,
        run_id: int,
        started_at: datetime,
        finished_at: datetime,
        waiting: list[dict[str, Any]],
        zone: ZoneInfo,
        decisions: list[dict[str, Any]] | None = None,
        latest: bool = True,
    ) -> tuple[Path, Path]:
        """Write ``run-<id>.html``, ``run-<id>.json`` and (unless ``latest`` is false)
        ``latest.html``; return the first two."""
        folder = self.folder
        report = {
            "run_id": run_id,
            "started_at": started_at.isoformat(),
            "finished_at": finished_at.isoformat(),
            "counts": {o: self.counts.get(o, 0) for o in OUTCOME_ORDER},
            "counts_by_form": {form: {o: c.get(o, 0) for o in OUTCOME_ORDER} for form, c in sorted(self._by_form.items())},
            "waiting": [
                {**w, "received_at": w["received_at"].isoformat()} for w in waiting
            ],
            "decisions": [
                {**d, "at": d["at"].isoformat(), "at_local": d["at"].astimezone(zone).strftime("%Y-%m-%d %H:%M")}
                for d in decisions or []
            ],
        }
        in_run = self._page_data.in_run
        runs = known_runs(folder)
        earlier = earlier_pages(folder, [w["id"] for w in waiting if w["id"] not in in_run], runs)
        decided = earlier_pages(folder, [d["id"] for d in decisions or [] if d.get("id") and d["id"] not in in_run], runs)
        style = _static("report.css")
        marker = f"psp-report-data-{uuid.uuid4().hex}"  # where the documents' data goes in the page
        page = _HTML.get_template("run_report.html.j2").render(
            report={**report, "documents": range(len(self))},  # the page shows how many
            outcomes=OUTCOME_ORDER,
            started_local=started_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            finished_local=finished_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            waiting=waiting,
            in_run=in_run,
            decision_pages=decided,
            zone=zone,
            csp=content_security_policy(style),
            style=Markup(style),  # our own file, hashed into the policy above
            script=install_script(folder),
            data=marker,
        )
        before, found, after = page.partition(_page_json(marker))
        if not found or marker in after:
            raise AssertionError("the run report's template must show its data once")
        html_path = folder / run_page_name(run_id)
        json_path = folder / f"run-{run_id:05d}.json"
        # {"outcomes":...,"places":[...],"docs":[...]} and {"run_id":...,"decisions":[...],"documents":[...]}:
        # the documents come last in both, as one json.dumps of the whole would write them.
        with atomic_file(html_path, private=True) as out:
            head = self._page_data.head(waiting_items(waiting, in_run, earlier, zone))
            out.write((before + _page_data_json(head)[:-1] + ',"docs":[').encode("utf-8"))
            self._page.seek(0)
            shutil.copyfileobj(self._page, out)
            out.write(("]}" + after).encode("utf-8"))
        with atomic_file(json_path, private=True) as out:
            out.write((twin_json(report)[:-1] + TWIN_DOCUMENTS).encode("utf-8"))
            self._twin.seek(0)
            for number, line in enumerate(self._twin):
                out.write((b"," if number else b"") + line.rstrip(b"\n"))
            out.write(b"]}")
        if latest:
            copy_as_latest(html_path)
        write_index(folder, known_runs(folder, run_entry(report, in_run, json_path)), zone=zone)
        return html_path, json_path

    def close(self) -> None:
        """Drop the temporary files; nothing can be added or written after."""
        self._twin.close()
        self._page.close()


LATEST_NAME = "latest.html"
INDEX_NAME = "index.html"


def write_index(folder: Path, runs: list[dict[str, Any]], *, zone: ZoneInfo) -> Path:
    """Write ``index.html`` in ``folder``: every run of ``runs`` (``run_index.known_runs``, newest
    first) with its times in the office's zone, its counts and a link to its report, whole or not
    at all, as ``latest.html`` is; return its path."""
    style = _static("report.css")
    rows = [
        {
            **run,
            "started_local": shown_time(datetime.fromisoformat(run["started_at"]), zone),
            "finished_local": shown_time(datetime.fromisoformat(run["finished_at"]), zone),
            "total": sum(run["counts"].values()),
            "page": run_page_name(run["run_id"]) if (folder / run_page_name(run["run_id"])).is_file() else None,
        }
        for run in runs
    ]
    page = _HTML.get_template("run_index.html.j2").render(
        runs=rows,
        outcomes=OUTCOME_ORDER,
        zone=zone,
        has_latest=(folder / LATEST_NAME).is_file(),
        has_overview=(folder / "overview.html").is_file(),
        csp=content_security_policy(style),
        style=Markup(style),  # our own file, hashed into the policy above
    )
    path = folder / INDEX_NAME
    with atomic_file(path, private=True) as out:
        out.write(page.encode("utf-8"))
    return path
_RUN_TITLE = re.compile(r"<title>PSP forms – run (\d+) –")


def copy_as_latest(page: Path) -> Path:
    """Make ``latest.html`` beside ``page`` a copy of it (whole or not at all)."""
    target = page.parent / LATEST_NAME
    with atomic_file(target, private=True) as out, page.open("rb") as page_file:
        shutil.copyfileobj(page_file, out)
    return target


def page_run_id(page: Path) -> int | None:
    """Which run a report page (``latest.html``) shows, from its title; None when it does not say."""
    try:
        with page.open("r", encoding="utf-8", errors="replace") as handle:
            found = _RUN_TITLE.search(handle.read(4096))
    except OSError:
        return None
    return int(found.group(1)) if found else None


def rewrite_run_report(
    twin: Path,
    *,
    keep_document: Callable[[DocumentReport], bool],
    keep_waiting: Callable[[dict[str, Any]], bool],
    keep_decision: Callable[[dict[str, Any]], bool],
    zone: ZoneInfo,
    latest: bool,
) -> tuple[Path, Path, dict[str, int]]:
    """Write a run's report (page and twin, and ``latest.html`` when ``latest``) again from its
    twin, without the documents, waiting entries and decisions the predicates turn down.

    The entries kept are the twin's own, unchanged: the page is drawn from them as it was at the
    end of the run, and the counts are those of the documents kept. Returns the page, the twin,
    and how many documents, waiting entries and decisions were left out.
    """
    head, documents = read_run_report(twin)
    waiting = [w for w in head.get("waiting") or [] if keep_waiting(w)]
    decisions = [d for d in head.get("decisions") or [] if keep_decision(d)]
    dropped = {
        "documents": 0,
        "waiting": len(head.get("waiting") or []) - len(waiting),
        "decisions": len(head.get("decisions") or []) - len(decisions),
    }
    report = RunReport(twin.parent)
    try:
        for document in documents:
            if keep_document(document):
                report.add(document)
            else:
                dropped["documents"] += 1
        page, json_path = report.write(
            run_id=int(head["run_id"]),
            started_at=datetime.fromisoformat(head["started_at"]),
            finished_at=datetime.fromisoformat(head["finished_at"]),
            waiting=[{**w, "received_at": datetime.fromisoformat(w["received_at"])} for w in waiting],
            zone=zone,
            decisions=[{**d, "at": datetime.fromisoformat(d["at"])} for d in decisions],
            latest=latest,
        )
    finally:
        report.close()
    return page, json_path, dropped
