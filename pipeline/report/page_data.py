"""What the run report's script reads: the run's documents and what waits for a person, in the
compact shape the page carries in its JSON data block (``client_data``), with the links to each
original and to earlier runs' reports, and every bidirectional control in it shown
(``visible_bidi``). ``pipeline.report.html`` writes it into the page.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from pipeline.model import LOW_CONFIDENCE, Outcome
from pipeline.paths import is_inside
from pipeline.report.models import DocumentReport
from pipeline.report.run_index import known_runs, run_of_documents, run_page_name
from pipeline.settings import DataHome

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


OUTCOME_ORDER = [o.value for o in (Outcome.NEEDS_REVIEW, Outcome.HELD, Outcome.REJECTED, Outcome.ACCEPTED, Outcome.DUPLICATE)]


def client_data(
    documents: Iterable[DocumentReport], waiting: Sequence[dict[str, Any]] = (), *, folder: Path | None = None,
    zone: ZoneInfo | None = None,
) -> dict[str, Any]:
    """The run's documents, and what waits for a person, in the compact shape the page's script reads.

    Each form's layout (sections, keys, labels) is sent once; a document sends only its values,
    in layout order, as ``[shown, where, confidence, as read]``, where ``where`` indexes a shared
    list of places ("page 1 · PDF form field"), a confidence of 1 is left out and the value as
    read only comes when it differs from the value shown. ``folder``: where the page goes, for
    the links to each original and to earlier runs' reports (none without it); ``zone``: the
    office's, for the waiting documents' times (needed when ``waiting`` is not empty).
    """
    data = PageData(folder)
    docs = [data.add(d) for d in documents]
    pages = earlier_pages(folder, [w["id"] for w in waiting if w["id"] not in data.in_run])
    return _visible_strings({**data.head(waiting_items(waiting, data.in_run, pages, zone)), "docs": docs})


def original_link(folder: Path | None, stored: Path | str | None) -> str | None:
    """A link from a page in ``folder`` (a data home's ``reports``) to an original kept in that
    home's ``originals``, relative so that it holds wherever the home is opened from; None when
    the file is not there (moved by a later decision, forgotten, or outside the home)."""
    if folder is None or not stored:
        return None
    originals = DataHome(folder.parent).originals
    path = Path(stored)
    try:
        if not path.is_file() or not is_inside(originals, path):
            return None
        relative = os.path.relpath(path.resolve(), folder.resolve())
    except (OSError, ValueError):
        return None
    # Each part quoted: a file name chosen by its sender may hold '#', '?', '%' or a colon.
    return "/".join(quote(part, safe="") for part in relative.split(os.sep))


def earlier_pages(folder: Path | None, ids: Sequence[int], runs: Sequence[dict[str, Any]] | None = None) -> dict[int, str]:
    """The report page (in ``folder``) of the run that received each of ``ids``, for those
    whose run is known and whose page is there; ``runs``: ``run_index.known_runs(folder)``,
    when already read."""
    if folder is None or not ids:
        return {}
    received_in = run_of_documents(known_runs(folder) if runs is None else runs, ids)
    return {n: run_page_name(run) for n, run in received_in.items() if (folder / run_page_name(run)).is_file()}


def waiting_items(
    waiting: Sequence[dict[str, Any]], in_run: set[int], pages: dict[int, str], zone: ZoneInfo | None
) -> list[dict[str, Any]]:
    """What waits for a person in the page's shape: each document links to its details on this
    page when this run received it, else to the report of the run that did (``pages``, from
    ``earlier_pages``), when it is known."""
    if not waiting:
        return []
    if zone is None:
        raise ValueError("the office's time zone is needed to show when the waiting documents were received")
    items = []
    for w in waiting:
        received = w["received_at"] if isinstance(w["received_at"], datetime) else datetime.fromisoformat(w["received_at"])
        item = {
            "id": w["id"],
            "file": w["file"],
            "at": received.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            "ts": received.isoformat(),
            "form": w.get("form_id"),
            "outcome": str(getattr(w["outcome"], "value", w["outcome"])),
            "reason": w.get("reason") or "",
            "more": w.get("more") or 0,
        }
        if w["id"] in in_run:
            item["href"] = f"#doc-{w['id']}"
        elif w["id"] in pages:
            item["href"] = f"{pages[w['id']]}#doc-{w['id']}"
            item["run"] = int(pages[w["id"]].removeprefix("run-").removesuffix(".html"))
        items.append(item)
    return items


class PageData:
    """``client_data`` a document at a time: the forms' layouts, the places seen so far, and the
    documents of the run (for the waiting list's links)."""

    def __init__(self, folder: Path | None = None) -> None:
        """``folder``: where the page goes, for the links to the originals (none without it)."""
        self.folder = folder
        self.forms: dict[str, Any] = {}
        self.places: dict[str, int] = {}
        self.in_run: set[int] = set()

    def add(self, d: DocumentReport) -> dict[str, Any]:
        """The document in the page's shape (its form's layout and its places noted)."""
        forms, places = self.forms, self.places
        form = d.form_id.value if d.form_id else None
        if form:
            layout = forms.setdefault(form, {"title": d.form_title, "sections": None})
            if d.sections and layout["sections"] is None:
                layout["sections"] = [{"title": s.title, "fields": [[f.key, f.label] for f in s.fields]} for s in d.sections]
        values = []
        for section in d.sections:
            for f in section.fields:
                item: list[Any] = [f.shown, places.setdefault(f.where, len(places))]
                if f.confidence != 1.0 or f.read != f.shown:
                    item.append(f.confidence)
                if f.read != f.shown:
                    item.append(f.read)
                values.append(item)
        self.in_run.add(d.id)
        original = original_link(self.folder, d.stored_path)
        return {
            "id": d.id,
            "file": d.file,
            "at": d.received_local,
            "ts": d.received_at.isoformat(),
            "form": form,
            "version": d.form_version,
            "outcome": d.outcome.value,
            "why": d.why,
            "sender": d.sender,
            "kind": d.kind.value.replace("_", " ") if d.kind else "",
            "sha256": d.sha256,
            "stored": str(d.stored_path),
            "notice": d.notice.model_dump(mode="json") if d.notice else None,
            "findings": [f.model_dump(mode="json") for f in d.findings],
            "low": d.lowest_confidence,
            "values": values,
            **({"original": original} if original else {}),
        }

    def head(self, waiting: list[dict[str, Any]]) -> dict[str, Any]:
        """Everything of ``client_data`` but its documents, in the same order (``waiting`` as
        ``waiting_items`` gives it)."""
        return {
            "outcomes": OUTCOME_ORDER,
            "low_confidence": LOW_CONFIDENCE,
            "forms": self.forms,
            "places": list(self.places),
            "waiting": waiting,
        }
