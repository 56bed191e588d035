"""The review desk's queue: what waits for a person (``queries.waiting_query``: held and
needs-review documents not replaced by a later form, oldest received first, each with its reason in
one line), narrowed by form, agency, outcome, rule and age, and searched.

The search looks in the file name, the sender and every value read from the document (names,
emails, agencies, cities), accent- and case-insensitively: "jose" finds "José", "MASON" finds
"Mason". It is done here, in Python, over the documents that wait, in each one's file name and sender and
its document's ``search_text`` (its values and reads, folded once when they were stored,
``pipeline.load.search_text``): databases fold accents each in their own way, or not at all.
The oldest ``SHOWN`` documents that pass are listed, with how many pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from pipeline.load.queries import waiting_item, waiting_query
from pipeline.load.search_text import folded
from pipeline.load.store import Document, ReceivedFileRow
from pipeline.model import Outcome

UNKNOWN_FORM = "unknown"  # the form filter's word for a document that is neither form
AGENCY_FIELD = "cmhsp_name"  # both forms name their CMHSP in this field
# The most listed at once, oldest first: a page of thousands is read by no one, and costs seconds
# to write and to show; the filters and the search narrow it.
SHOWN = 300


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
    matched: int  # how many pass the filter: the oldest ``SHOWN`` of them are the items
    forms: list[str]
    agencies: list[str]
    rules: list[str]


def _waiting(engine: Engine) -> list[dict[str, Any]]:
    """What waits (``queries.waiting_query``), each with its sender, agency, rule ids, and the text
    the search looks in: its file name and sender folded, with its document's ``search_text`` (the
    values' JSON is not read)."""
    agency = Document.values[AGENCY_FIELD].as_string()
    with Session(engine) as session:
        rows = session.execute(waiting_query(ReceivedFileRow.sender, agency, Document.search_text)).all()
    items = []
    for *shown, sender, agency_name, searched in rows:
        item = waiting_item(*shown)
        item.update(sender=sender, agency=agency_name or None,
                    rules=sorted({f["rule"] for f in shown[-1] or () if f.get("rule")}),
                    haystack=f"{folded(item['file'])} {folded(sender or '')} {searched or ''}")
        items.append(item)
    return items


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
    ``queries.waiting_for_a_person`` gives it, with its sender, agency, rule ids and days waited since
    received (at ``now``)."""
    items = _waiting(engine)
    for item in items:
        item["days"] = max((now - item["received_at"]).days, 0)
    words = [folded(word) for word in wanted.search.split()]
    received_before = now - timedelta(days=wanted.older_than_days) if wanted.older_than_days is not None else None
    passing = [item for item in items if _passes(item, wanted, words, received_before)]
    return Queue(
        items=passing[:SHOWN],
        waiting=len(items),
        matched=len(passing),
        forms=sorted({item["form_id"] or UNKNOWN_FORM for item in items}),
        agencies=sorted({item["agency"] for item in items if item["agency"]}, key=folded),
        rules=sorted({rule for item in items for rule in item["rules"]}),
    )
