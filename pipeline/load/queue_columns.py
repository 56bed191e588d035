"""What the desk's queue narrows by, kept with each document so that the database narrows it
rather than Python reading every waiting document's JSON: the agency the form names
(``documents.agency``, its ``cmhsp_name`` value) and the rule ids among its findings
(``documents.rule_ids``, as `` REG-R10 REG-R11 ``: each between spaces, so that a rule is found
by ``LIKE '% REG-R10 %'`` and REG-R1 does not find REG-R10). A stored document's row keeps them up
to date by itself (``_keep``, listening to the store's ``Document``), as ``search_text`` does.

``ix_documents_queue`` (``superseded_by_id``, ``form_id``, ``agency``, ``rule_ids``) lets the queue
count what waits and list its forms, agencies and rules from the index alone: a document's row is
large (its values and reads), and SQLite reads through it to reach the columns after them.
Revision 0010 adds the columns, fills them, and makes the index.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Index, event

AGENCY_FIELD = "cmhsp_name"  # both forms name their CMHSP in this field


def agency_of(values: dict[str, Any] | None) -> str | None:
    """The CMHSP a document's values name, or None for none (or an empty one)."""
    agency = (values or {}).get(AGENCY_FIELD)
    return agency if isinstance(agency, str) and agency else None


def rule_ids(findings: Iterable[dict[str, Any]] | None) -> str:
    """The distinct rule ids among ``findings``, sorted, each between spaces; "" for none."""
    rules = sorted({f["rule"] for f in findings or () if isinstance(f, dict) and f.get("rule")})
    return f" {' '.join(rules)} " if rules else ""


def rules_in(stored: str | None) -> list[str]:
    """The rule ids a ``documents.rule_ids`` value holds."""
    return (stored or "").split()


def _keep(mapper: Any, connection: Any, document: Any) -> None:
    """Whatever stores a document's values or findings (a run, a correction, values typed in, a
    reopening), what the queue narrows by follows."""
    document.agency = agency_of(document.values)
    document.rule_ids = rule_ids(document.findings)


def _listen() -> None:
    # (imported at the end of ``store``, once its ``Document`` is defined)
    from pipeline.load.store import Document

    for moment in ("before_insert", "before_update"):
        event.listen(Document, moment, _keep)
    columns = Document.__table__.c
    Index("ix_documents_queue", columns.superseded_by_id, columns.form_id, columns.agency, columns.rule_ids)


_listen()
