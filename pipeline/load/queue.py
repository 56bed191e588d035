"""The review desk's queue: what waits for a person (``queries.waiting_for_a_person``: held and
needs-review documents not replaced by a later form, oldest received first, each with its reason in
one line), narrowed by form, agency, outcome, rule and age, and searched.

The search looks in the file name, the sender and every value read from the document (names,
emails, agencies, cities), accent- and case-insensitively: "jose" finds "José", "MASON" finds
"Mason". It is done here, in Python, over the documents that wait (a few hundred at most, however
big the store): databases fold accents each in their own way, or not at all.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from pipeline.load.queries import waiting_for_a_person
from pipeline.load.store import Document, ReceivedFileRow
from pipeline.model import Outcome

UNKNOWN_FORM = "unknown"  # the form filter's word for a document that is neither form
AGENCY_FIELD = "cmhsp_name"  # both forms name their CMHSP in this field
IN_CHUNK = 500  # ids asked for in one IN (...): well under every database's limit of parameters


def folded(text: str) -> str:
    """``text`` as the search compares it: accents taken off (NFKD, its combining marks dropped)
    and case folded."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


@dataclass(frozen=True)
class QueueFilter:
    """What the reviewer narrowed the queue to; None (or an empty search) lets everything through.

    ``form``: a form id, or ``UNKNOWN_FORM``; ``agency``: the CMHSP as the form names it;
    ``rule``: a rule id among the document's findings; ``older_than_days``: received at least that
    many days ago; ``search``: words that must all be found (file name, sender, any value)."""

    form: str | None = None
    agency: str | None = None
    outcome: Outcome | None = None
    rule: str | None = None
    older_than_days: int | None = None
    search: str = ""


@dataclass(frozen=True)
class Queue:
    """The documents that pass the filter, oldest first, and what the filters may choose from
    (over every document that waits, so that a choice never vanishes once made)."""

    items: list[dict[str, Any]]
    waiting: int
    forms: list[str]
    agencies: list[str]
    rules: list[str]


def _text_of(value: Any) -> str:
    if isinstance(value, list):
        return " ".join(map(str, value))
    return "" if value is None or isinstance(value, bool) else str(value)


def _details(engine: Engine, ids: list[int]) -> dict[int, dict[str, Any]]:
    """Per received file: its sender, agency, rule ids, and the text the search looks in."""
    details: dict[int, dict[str, Any]] = {}
    with Session(engine) as session:
        for start in range(0, len(ids), IN_CHUNK):
            rows = session.execute(
                select(ReceivedFileRow.id, ReceivedFileRow.original_name, ReceivedFileRow.sender, Document.values,
                       Document.extraction, Document.findings)
                .join(Document, ReceivedFileRow.document_id == Document.id)
                .where(ReceivedFileRow.id.in_(ids[start : start + IN_CHUNK]))
            )
            for receipt_id, name, sender, values, extraction, findings in rows:
                values, extraction = values or {}, extraction or {}
                read = [_text_of(v) for v in values.values()]
                read += [_text_of(r.get("value")) for r in extraction.values() if isinstance(r, dict)]
                agency = values.get(AGENCY_FIELD)
                details[receipt_id] = {
                    "sender": sender,
                    "agency": agency if isinstance(agency, str) and agency else None,
                    "rules": sorted({f["rule"] for f in findings or () if f.get("rule")}),
                    "haystack": folded(" ".join([name, sender or "", *read])),
                }
    return details


def _passes(item: dict[str, Any], wanted: QueueFilter, words: list[str], received_before: datetime | None) -> bool:
    checks = (
        wanted.form is None or (item["form_id"] or UNKNOWN_FORM) == wanted.form,
        wanted.agency is None or item["agency"] == wanted.agency,
        wanted.outcome is None or item["outcome"] == wanted.outcome,
        wanted.rule is None or wanted.rule in item["rules"],
        received_before is None or item["received_at"] <= received_before,
        all(word in item["haystack"] for word in words),
    )
    return all(checks)


def review_queue(engine: Engine, wanted: QueueFilter, now: datetime) -> Queue:
    """The documents that wait for a person and pass ``wanted``, oldest received first, each as
    ``waiting_for_a_person`` gives it with its sender, agency, rule ids and days waited since
    received (at ``now``)."""
    waiting = waiting_for_a_person(engine)
    details = _details(engine, [item["id"] for item in waiting])
    items = []
    for item in waiting:
        item = {**item, **details[item["id"]]}
        item["days"] = max((now - item["received_at"]).days, 0)
        items.append(item)
    words = [folded(word) for word in wanted.search.split()]
    received_before = now - timedelta(days=wanted.older_than_days) if wanted.older_than_days is not None else None
    return Queue(
        items=[item for item in items if _passes(item, wanted, words, received_before)],
        waiting=len(items),
        forms=sorted({item["form_id"] or UNKNOWN_FORM for item in items}),
        agencies=sorted({item["agency"] for item in items if item["agency"]}, key=folded),
        rules=sorted({rule for item in items for rule in item["rules"]}),
    )
