"""The review desk's queue: what waits for a person (``queries.waiting``: held and needs-review
documents not replaced by a later form), oldest received first, each with its reason in one line,
narrowed by form, agency, outcome, rule and age, and searched. The oldest ``SHOWN`` documents that
pass are listed, with how many pass, how many wait, and the forms, agencies and rules to choose from.

The database narrows and counts (the agency and the rule ids are columns of their own,
``pipeline.load.queue_columns``), and only the documents listed have their findings read: with
thousands waiting, reading every one's JSON took most of a second.

The search looks in the file name, the sender and every value read from the document (names,
emails, agencies, cities), accent- and case-insensitively: "jose" finds "José", "MASON" finds
"Mason". It is done here, in Python, over the documents the filters let through, in each one's
file name and sender and its document's ``search_text`` (its values and reads, folded once when they
were stored, ``pipeline.load.search_text``): databases fold accents each in their own way, or not
at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, false, func
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from pipeline.load.queries import open_documents, waiting, waiting_item, waiting_query
from pipeline.load.queue_columns import rules_in
from pipeline.load.search_text import folded
from pipeline.load.store import Document, ReceivedFileRow
from pipeline.model import FormId, Outcome

UNKNOWN_FORM = "unknown"  # the form filter's word for a document that is neither form
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


def _documents(wanted: QueueFilter) -> Select:
    """The documents no later form replaced that pass ``wanted``'s form, agency and rule (from ``ix_documents_queue``)."""
    documents = open_documents()
    if wanted.form == UNKNOWN_FORM:
        documents = documents.where(Document.form_id.is_(None))
    elif wanted.form is not None:  # (a form no document can have, from a crafted address, finds none)
        known = wanted.form in {form.value for form in FormId}
        documents = documents.where(Document.form_id == FormId(wanted.form) if known else false())
    if wanted.agency is not None:
        documents = documents.where(Document.agency == wanted.agency)
    if wanted.rule is not None:
        documents = documents.where(Document.rule_ids.contains(f" {wanted.rule} ", autoescape=True))
    return documents


def _passing(wanted: QueueFilter, received_before: datetime | None, *columns: Any) -> Select:
    """``columns`` of what waits and passes ``wanted``'s filters (not its search), oldest received first."""
    query = waiting(*columns, documents=_documents(wanted))
    if wanted.outcome is not None:
        query = query.where(ReceivedFileRow.outcome == wanted.outcome)
    if received_before is not None:
        query = query.where(ReceivedFileRow.received_at <= received_before)
    return query.order_by(ReceivedFileRow.received_at, ReceivedFileRow.id)


def _choices(session: Session) -> tuple[list[str], list[str], list[str]]:
    """The forms, agencies and rules among what waits (read from ``ix_documents_queue``)."""
    grouped = (Document.form_id, Document.agency, Document.rule_ids)
    rows = session.execute(open_documents().with_only_columns(*grouped)
                           .where(Document.id.in_(waiting(ReceivedFileRow.document_id))).group_by(*grouped)).all()
    return (
        sorted({form or UNKNOWN_FORM for form, _, _ in rows}),
        sorted({agency for _, agency, _ in rows if agency}, key=folded),
        sorted({rule for _, _, rules in rows for rule in rules_in(rules)}),
    )


def _found(session: Session, passing: Select, words: list[str]) -> list[int]:
    """The received files ``passing`` lists in whose file name, sender or document's search text
    each of ``words`` (folded) is found. The database looks in the search text (it is folded
    already, and so is each word: ``LIKE`` finds exactly what Python's ``in`` would); the file
    name and sender are folded here, and only for a word the text lacks."""
    in_text = [Document.search_text.contains(word, autoescape=True) for word in words]
    rows = session.execute(passing.add_columns(ReceivedFileRow.original_name, ReceivedFileRow.sender, *in_text)
                           .join(Document, ReceivedFileRow.document_id == Document.id))
    found = []
    for receipt_id, name, sender, *found_in_text in rows:
        if all(found_in_text) or all(in_text or word in f"{folded(name)} {folded(sender or '')}"
                                     for word, in_text in zip(words, found_in_text, strict=True)):
            found.append(receipt_id)
    return found


def review_queue(engine: Engine, wanted: QueueFilter, now: datetime) -> Queue:
    """The documents that wait for a person and pass ``wanted``, oldest received first (the oldest
    ``SHOWN``), each as ``queries.waiting_for_a_person`` gives it, with its sender, agency, rule ids
    and days waited since received (at ``now``)."""
    words = [folded(word) for word in wanted.search.split()]
    received_before = now - timedelta(days=wanted.older_than_days) if wanted.older_than_days is not None else None
    passing = _passing(wanted, received_before, ReceivedFileRow.id)
    with Session(engine) as session:
        forms, agencies, rules = _choices(session)
        total = session.scalar(waiting(func.count())) or 0
        if wanted.rule is not None and wanted.rule not in rules:  # (SQLite's LIKE would take "reg-r10" for REG-R10)
            found = []
        else:
            found = _found(session, passing, words) if words else list(session.scalars(passing))
        rows = session.execute(waiting_query(ReceivedFileRow.sender, Document.agency, Document.rule_ids)
                               .where(ReceivedFileRow.id.in_(found[:SHOWN]))).all()
    items = []
    for *shown, sender, agency, rule_ids in rows:
        item = waiting_item(*shown)
        item.update(sender=sender, agency=agency, rules=rules_in(rule_ids),
                    days=max((now - item["received_at"]).days, 0))
        items.append(item)
    return Queue(items=items, waiting=total, matched=len(found), forms=forms, agencies=agencies, rules=rules)
