"""The run report: an HTML page for reviewers and its JSON twin.

Everything read from a document is untrusted. The page is rendered by Jinja2 with autoescape;
the documents of the run travel in a JSON data block (``<script type="application/json">``,
escaped by ``tojson`` so that no value can close it) and a static script beside the page,
``report-<hash>.js``, draws the sortable, filterable, paged list from it, setting every value as
text, never as markup. The Content-Security-Policy allows scripts from the page's own folder
only (no inline script, no inline event handler) and the one inline style sheet by its hash.

The page stays light however big the run: the list shows one page of rows, and a document's
details are drawn when a reviewer opens it.

Bidirectional formatting characters (U+202E RIGHT-TO-LEFT OVERRIDE and the like) are shown as
visible escapes (``⟨U+202E⟩``) everywhere on the page, in the server-rendered tables and in the
script's data alike: a file named ``invoice<U+202E>fdp.exe`` must not read as ``invoiceexe.pdf``,
nor turn the rest of its line around.

A report is written again without some of its documents (``rewrite_run_report``, for
``psp-pipeline forget``) from its JSON twin: the other documents' entries stay as they were.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import tempfile
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, select_autoescape
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup

from pipeline.fileops import atomic_file, write_atomic
from pipeline.load.store import StoredReceipt
from pipeline.model import LOW_CONFIDENCE, Outcome
from schemas.spec import FieldSpec, FieldType, choice_slug, load_form_spec

# The characters that change the direction of the text around them: embeddings and overrides
# (U+202A-U+202E), isolates (U+2066-U+2069), the marks (U+200E, U+200F, U+061C).
BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_BIDI = re.compile(f"[{BIDI_CONTROLS}]")


def visible_bidi(text: str) -> str:
    """``text`` with each bidirectional formatting character shown as ``⟨U+202E⟩``: it reorders nothing."""
    return _BIDI.sub(lambda m: f"\u27e8U+{ord(m.group()):04X}\u27e9", text) if _BIDI.search(text) else text


def _visible_strings(value: Any) -> Any:
    """``value`` (JSON-like) with ``visible_bidi`` applied to every string in it."""
    if isinstance(value, str):
        return visible_bidi(value)
    if isinstance(value, dict):
        return {k: _visible_strings(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_visible_strings(v) for v in value]
    return value


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
)
# ``tojson`` escapes <, >, & and ' so that no value can end the data block; compact, in order.
_HTML.policies["json.dumps_kwargs"] = {"sort_keys": False, "separators": (",", ":"), "ensure_ascii": False}

OUTCOME_ORDER = [o.value for o in (Outcome.NEEDS_REVIEW, Outcome.HELD, Outcome.REJECTED, Outcome.ACCEPTED, Outcome.DUPLICATE)]


def _display(value: Any) -> str:
    if value is None or value == "":
        return ""
    if value is True:
        return "☒ checked"
    if value is False:
        return "☐ not checked"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


# How a value was read, in the reviewer's words; a method not named here shows as its own name.
METHOD_LABELS = {
    "acroform": "PDF form field",
    "content_control": "Word content control",
    "legacy_form_field": "Word legacy form field",
    "label": "text by its printed label",
    "reviewer": "typed in by a reviewer",
}

def _method_label(method: str) -> str:
    return METHOD_LABELS.get(method, method.replace("_", " "))


def _as_read(field: FieldSpec, reads: dict[str, Any]) -> str:
    """The value as the extractor read it, before normalising: what the submitter wrote."""
    if field.type is FieldType.MULTICHOICE:
        keys = {f"{field.key}_{choice_slug(c)}": c for c in field.choices}
        if not any(k in reads for k in keys):
            return ""
        checked = [choice for key, choice in keys.items() if key in reads and not reads[key].is_empty]
        return ", ".join(checked) if checked else "none checked"
    read = reads.get(field.key)
    return _display(read.value) if read is not None else ""


def _why(outcome: Outcome, findings: list[dict[str, Any]], duplicate_of: str | None) -> str:
    """The outcome and why, in one line."""
    if outcome is Outcome.DUPLICATE:
        return f"The same file was received before (sha256 {(duplicate_of or '')[:12]}…); nothing changed."
    if outcome is Outcome.ACCEPTED:
        return "Every rule holds; the record is in the store."
    deciding = {Outcome.REJECTED: "error", Outcome.HELD: "hold", Outcome.NEEDS_REVIEW: "review"}[outcome]
    relevant = [f for f in findings if f["severity"] == deciding] or findings
    if not relevant:
        return ""
    rules = sorted({f["rule"] for f in relevant if f.get("rule")})
    if outcome is Outcome.REJECTED:
        count = len(relevant)
        return (
            f"{count} problem{'s' if count != 1 else ''} the agency must correct"
            + (f" ({', '.join(rules)})" if rules else "")
            + "; a notice goes back to them."
        )
    first = relevant[0]
    label = f"{first['label']}: " if first.get("label") else ""
    rule = f"{first['rule']}: " if first.get("rule") else ""
    more = f" (+{len(relevant) - 1} more)" if len(relevant) > 1 else ""
    verb = "Waits" if outcome is Outcome.HELD else "A person decides"
    return f"{verb}. {rule}{label}{first['message']}{more}"


def document_summary(receipt: StoredReceipt, notice: dict[str, Any] | None, zone: ZoneInfo) -> dict[str, Any]:
    """What the report shows of one received file: JSON-ready, in form order.

    Each field carries its value as normalised (``value``, ``shown``), as read (``read``), where
    and how it was read (``where``, ``source``) and the lowest confidence of its reads; each
    finding about a field carries the same, so a reviewer sees what the rule saw.
    """
    result = receipt.result
    document = result.document
    received = document.received
    duplicate = receipt.outcome is Outcome.DUPLICATE
    findings = [] if duplicate else [f.model_dump(mode="json") for f in result.findings]
    sections: list[dict[str, Any]] = []
    rows_by_key: dict[str, dict[str, Any]] = {}
    if document.form_id and not duplicate:
        spec = load_form_spec(document.form_id)
        by_field: dict[str, list[dict[str, Any]]] = {}
        for finding in findings:
            if finding.get("field"):
                by_field.setdefault(finding["field"], []).append(finding)
        for section in spec.sections:
            rows = []
            for field in section.fields:
                reads = {k: document.fields[k] for k in field.widget_keys if k in document.fields}
                places = sorted({(r.location, r.method.value) for r in reads.values()})
                row = {
                    "key": field.key,
                    "label": field.label,
                    "value": result.values.get(field.key),
                    "shown": _display(result.values.get(field.key)),
                    "read": _as_read(field, reads),
                    "source": ", ".join(f"{method} ({location})" for location, method in places) or "not found",
                    "where": "; ".join(f"{location} · {_method_label(method)}" for location, method in places)
                    or "not found on the form",
                    "confidence": min((r.confidence for r in reads.values()), default=None),
                    "findings": by_field.get(field.key, []),
                }
                rows.append(row)
                rows_by_key[field.key] = row
            sections.append({"title": section.title, "fields": rows})
    for finding in findings:
        row = rows_by_key.get(finding.get("field") or "")
        finding["read"] = row["read"] if row else None
        finding["where"] = row["where"] if row else None
        finding["confidence"] = row["confidence"] if row else None
    confidences = [r["confidence"] for r in rows_by_key.values() if r["confidence"] is not None]
    return {
        "id": receipt.received_file_id,
        "file": received.original_name,
        "sha256": received.sha256,
        "received_at": received.received_at.isoformat(),
        "received_local": received.received_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
        "sender": received.sender,
        "kind": document.kind.value if document.kind else None,
        "form_id": document.form_id,
        "form_version": document.form_version,
        "form_title": load_form_spec(document.form_id).title if document.form_id else "Unknown document",
        "outcome": receipt.outcome.value,
        "why": _why(receipt.outcome, findings, receipt.duplicate_of),
        "duplicate_of": receipt.duplicate_of,
        "findings": findings,
        "lowest_confidence": min(confidences, default=None),
        "sections": sections,
        "stored_path": str(receipt.stored_path),
        "notice": notice,
    }


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


def client_data(documents: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The run's documents in the compact shape the page's script reads.

    Each form's layout (sections, keys, labels) is sent once; a document sends only its values,
    in layout order, as ``[shown, where, confidence, as read]``, where ``where`` indexes a shared
    list of places ("page 1 · PDF form field"), a confidence of 1 is left out and the value as
    read only comes when it differs from the value shown.
    """
    data = _PageData()
    docs = [data.add(d) for d in documents]
    return _visible_strings({**data.head(), "docs": docs})


class _PageData:
    """``client_data`` a document at a time: the forms' layouts and the places seen so far."""

    def __init__(self) -> None:
        self.forms: dict[str, Any] = {}
        self.places: dict[str, int] = {}

    def add(self, d: dict[str, Any]) -> dict[str, Any]:
        """The document in the page's shape (its form's layout and its places noted)."""
        forms, places = self.forms, self.places
        form = d["form_id"]
        if form:
            layout = forms.setdefault(form, {"title": d["form_title"], "sections": None})
            if d["sections"] and layout["sections"] is None:
                layout["sections"] = [
                    {"title": s["title"], "fields": [[f["key"], f["label"]] for f in s["fields"]]} for s in d["sections"]
                ]
        values = []
        for section in d["sections"]:
            for f in section["fields"]:
                item: list[Any] = [f["shown"], places.setdefault(f["where"], len(places))]
                if f["confidence"] != 1.0 or f["read"] != f["shown"]:
                    item.append(f["confidence"])
                if f["read"] != f["shown"]:
                    item.append(f["read"])
                values.append(item)
        return {
            "id": d["id"],
            "file": d["file"],
            "at": d["received_local"],
            "ts": d["received_at"],
            "form": form,
            "version": d["form_version"],
            "outcome": d["outcome"],
            "why": d["why"],
            "sender": d["sender"],
            "kind": (d["kind"] or "").replace("_", " "),
            "sha256": d["sha256"],
            "stored": d["stored_path"],
            "notice": d["notice"],
            "findings": [
                {k: f.get(k) for k in ("rule", "field", "label", "severity", "message", "read", "where", "confidence")}
                for f in d["findings"]
            ],
            "low": d["lowest_confidence"],
            "values": values,
        }

    def head(self) -> dict[str, Any]:
        """Everything of ``client_data`` but its documents, in the same order."""
        return {
            "outcomes": OUTCOME_ORDER,
            "low_confidence": LOW_CONFIDENCE,
            "forms": self.forms,
            "places": list(self.places),
        }


def _page_json(value: Any) -> str:
    """``value`` as the page template's ``tojson`` writes it (compact, safe inside a script element)."""
    return str(htmlsafe_json_dumps(value, dumps=_HTML.policies["json.dumps_function"], **_HTML.policies["json.dumps_kwargs"]))


def _page_data_json(value: Any) -> str:
    """The page's data for its script, as ``_page_json`` writes it, with every bidirectional
    control shown (``visible_bidi``): they can only be inside its strings, which the escape keeps
    valid. ``client_data`` is the same, as objects."""
    return visible_bidi(_page_json(value))


def _twin_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str, separators=(",", ":"))


def write_run_report(
    folder: Path,
    *,
    run_id: int,
    started_at: datetime,
    finished_at: datetime,
    documents: Iterable[dict[str, Any]],
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
        self._in_run: set[int] = set()
        self._page_data = _PageData()
        self._twin = tempfile.TemporaryFile(dir=folder)  # each document's JSON on a line of its own
        self._page = tempfile.TemporaryFile(dir=folder)  # each document in the page's shape, comma-separated
        self._places: list[tuple[int, int]] = []  # where each document's line is in ``_twin``

    def __len__(self) -> int:
        return len(self._places)

    def add(self, d: dict[str, Any]) -> None:
        """Count one document (``document_summary``'s shape) and write it to the temporary files
        at once, rather than keep it."""
        self.counts[d["outcome"]] += 1
        self._by_form.setdefault(d["form_id"] or "unknown", Counter())[d["outcome"]] += 1
        self._in_run.add(d["id"])
        # json.dumps escapes every line break inside strings: one document, one line.
        line = _twin_json(d).encode("utf-8")
        self._twin.seek(0, os.SEEK_END)
        self._places.append((self._twin.tell(), len(line)))
        self._twin.write(line + b"\n")
        self._page.write((("," if len(self._places) > 1 else "") + _page_data_json(self._page_data.add(d))).encode("utf-8"))

    def documents(self) -> Sequence[dict[str, Any]]:
        """The documents added so far, as added (read back from the temporary file when asked for)."""
        self._twin.flush()
        return _SpooledDocuments(self._twin, list(self._places))

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
        style = _static("report.css")
        marker = f"psp-report-data-{uuid.uuid4().hex}"  # where the documents' data goes in the page
        page = _HTML.get_template("run_report.html.j2").render(
            report={**report, "documents": range(len(self))},  # the page shows how many
            outcomes=OUTCOME_ORDER,
            started_local=started_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            finished_local=finished_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            waiting=waiting,
            in_run=self._in_run,
            zone=zone,
            csp=content_security_policy(style),
            style=Markup(style),  # our own file, hashed into the policy above
            script=install_script(folder),
            data=marker,
        )
        before, found, after = page.partition(_page_json(marker))
        if not found or marker in after:
            raise AssertionError("the run report's template must show its data once")
        html_path = folder / f"run-{run_id:05d}.html"
        json_path = folder / f"run-{run_id:05d}.json"
        # {"outcomes":...,"places":[...],"docs":[...]} and {"run_id":...,"decisions":[...],"documents":[...]}:
        # the documents come last in both, as one json.dumps of the whole would write them.
        with atomic_file(html_path, private=True) as out:
            out.write((before + _page_data_json(self._page_data.head())[:-1] + ',"docs":[').encode("utf-8"))
            self._page.seek(0)
            shutil.copyfileobj(self._page, out)
            out.write(("]}" + after).encode("utf-8"))
        with atomic_file(json_path, private=True) as out:
            out.write((_twin_json(report)[:-1] + ',"documents":[').encode("utf-8"))
            self._twin.seek(0)
            for number, line in enumerate(self._twin):
                out.write((b"," if number else b"") + line.rstrip(b"\n"))
            out.write(b"]}")
        if latest:
            copy_as_latest(html_path)
        return html_path, json_path

    def close(self) -> None:
        """Drop the temporary files; nothing can be added or written after."""
        self._twin.close()
        self._page.close()


class _SpooledDocuments(Sequence[dict[str, Any]]):
    """A run's documents read back from a ``RunReport``'s temporary file, one at a time."""

    def __init__(self, spool: IO[bytes], places: list[tuple[int, int]]) -> None:
        self._spool = spool  # kept open (and alive) as long as this is
        self._places = places

    def __len__(self) -> int:
        return len(self._places)

    def __getitem__(self, index):  # noqa: ANN001, ANN204 - an int or a slice, as a list takes
        if isinstance(index, slice):
            return [self._read(place) for place in self._places[index]]
        return self._read(self._places[index])

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for place in self._places:
            yield self._read(place)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and not isinstance(other, str) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<{len(self)} run documents>"

    def _read(self, place: tuple[int, int]) -> dict[str, Any]:
        offset, length = place
        return json.loads(os.pread(self._spool.fileno(), length, offset))


LATEST_NAME = "latest.html"
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


_TWIN_DOCUMENTS = ',"documents":['  # where the documents begin in a twin (``RunReport.write``)


def read_run_report(path: Path) -> tuple[dict[str, Any], Iterator[dict[str, Any]]]:
    """A run's JSON twin: everything but its documents, and its documents one at a time.

    The twin is one line (``RunReport.write``) with the documents last; they are decoded one by
    one, so that a run of any size is not held in memory as objects. Raises ValueError for a
    file that is not such a twin (also while its documents are gone through), OSError when it
    cannot be read.
    """
    text = path.read_text("utf-8")
    start = text.find(_TWIN_DOCUMENTS)
    if start < 0:  # not as this module writes it: the whole, at once
        whole = json.loads(text)
        if not isinstance(whole, dict) or not isinstance(whole.get("documents"), list):
            raise ValueError(f"{path.name} is not a run report")
        documents = whole.pop("documents")
        return whole, iter(documents)
    # No string of the head can hold the marker: its quotes would be escaped.
    head = json.loads(text[:start] + "}")
    if not isinstance(head, dict) or "run_id" not in head:
        raise ValueError(f"{path.name} is not a run report")
    decoder = json.JSONDecoder()

    def documents() -> Iterator[dict[str, Any]]:
        at = start + len(_TWIN_DOCUMENTS)
        if text.startswith("]}", at):
            return
        while True:
            document, at = decoder.raw_decode(text, at)
            yield document
            if text.startswith(",", at):
                at += 1
            elif text.startswith("]}", at) and not text[at + 2 :].strip():
                return
            else:
                raise ValueError(f"{path.name} does not end as a run report does")

    return head, documents()


def rewrite_run_report(
    twin: Path,
    *,
    keep_document: Callable[[dict[str, Any]], bool],
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
