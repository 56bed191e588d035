"""pipeline.load.state.printed_text_memory: what an agency's earlier documents teach of the text its
version of a form prints, read from the store (SQLite, and PostgreSQL under ``make test-postgres``)
in one query for every agency a batch names, from the latest ``PRINTED_TEXT_DOCUMENTS`` documents
of each agency's form only, and of its free-text fields only: its cost is bounded however big the
store grows."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import event, insert
from sqlalchemy.orm import Session

from pipeline.load import state, store
from pipeline.model import InputKind
from schemas.reference import load_reference
from tests.conftest import form_as_read

HINT = "(as on the county ID card)"
FIRST, SECOND = "Genesee Health System", "HealthWest"


def _stored(engine, agency: str, form_id: str, texts: list[dict[str, str]], start: int) -> None:
    """Documents of ``agency``'s form, oldest first, each read off the page with ``texts``
    (field -> text), about a person of its own."""
    rows = [
        {"sha256": f"{start + n:064d}", "kind": InputKind.FLAT_PDF.value, "form_id": form_id, "form_version": "2025.1",
         "outcome": "accepted", "findings": [], "values": {}, "processed_at": datetime(2026, 12, 1, tzinfo=UTC),
         "subject_key": f"psp:person-{start + n}", "agency": agency,
         "extraction": {key: {"value": text, "method": "label", "location": "page 1", "confidence": 0.95}
                        for key, text in fields.items()}}
        for n, fields in enumerate(texts)
    ]
    with engine.begin() as connection:
        connection.execute(insert(store.Document), rows)


def _batch(*agencies: str):
    return [form_as_read("PSP-REG", {"cmhsp_name": agency}, number=900 + n) for n, agency in enumerate(agencies)]


def test_only_the_latest_documents_of_each_agencys_form_are_learnt_from_in_one_query(engine):
    latest = state.PRINTED_TEXT_DOCUMENTS
    # the first agency: its hint on three old forms, then a newer version without it on as many as are read
    _stored(engine, FIRST, "PSP-REG", [{"psp_preferred_name": HINT}] * 3, start=1)
    _stored(engine, FIRST, "PSP-REG", [{"psp_preferred_name": f"Name{n}"} for n in range(latest)], start=100)
    # the second agency: the hint on its latest three, among its other answers
    _stored(engine, SECOND, "PSP-REG", [{"psp_preferred_name": f"Other{n}"} for n in range(latest)], start=1000)
    _stored(engine, SECOND, "PSP-REG", [{"psp_preferred_name": HINT, "psp_email": HINT}] * 3, start=2000)
    statements: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        statements.append(statement)
    event.listen(engine, "before_cursor_execute", count)
    try:
        with Session(engine) as session:
            memory = state.printed_text_memory(session, _batch(FIRST, SECOND, SECOND), load_reference(None))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert memory.printed(FIRST, "PSP-REG") == {}  # older than the latest documents read: forgotten
    # learnt where it recurs; an email field is never looked at (its hint does not parse anyway)
    assert memory.printed(SECOND, "PSP-REG") == {"psp_preferred_name": frozenset({"as on the county id card"})}
    assert sum(len(tally.holding) for tally in memory.tallies[(SECOND, "PSP-REG")].values()) == 1
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1  # one query for both agencies

