"""``documents.search_text``: the folded text of a document's values and reads, which the desk's
queue searches. The model writes it whenever a document's values are stored or changed, and
revision 0009 fills it for the documents a store held before."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import create_engine, insert
from sqlalchemy.orm import Session

from pipeline.load import migrate, store
from pipeline.load.search_text import folded, search_text

NOW = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
VALUES = {"psp_city": "Muñoz Township", "psp_email": "JOSÉ@Example.org", "commit_classroom": True, "hours": 20}
EXTRACTION = {"psp_city": {"value": "Muñoz Twp", "method": "ocr"}, "psp_email": {"value": "JOSÉ@Example.org"}}


def test_the_search_text_is_every_value_and_read_once_folded():
    text = search_text(VALUES, EXTRACTION)
    assert text == "munoz township jose@example.org 20 munoz twp"
    assert folded("Ñandú ÉCOLE straße") == "nandu ecole strasse" and search_text(None, None) == ""


def test_a_store_before_0009_gets_its_documents_search_text(database_url):
    engine = create_engine(database_url)
    migrate.upgrade(engine, "0008")
    with engine.begin() as connection:
        connection.execute(insert(store.Run), {"id": 1, "started_at": NOW, "status": "completed", "files_seen": 1})
        connection.execute(insert(store.Document), {
            "id": 1, "sha256": "a" * 64, "form_id": "PSP-REG", "outcome": "held", "findings": [], "values": VALUES,
            "extraction": EXTRACTION, "processed_at": NOW, "run_id": 1,
        })
    engine.dispose()
    opened = store.open_store(database_url)
    with Session(opened) as session:
        assert session.get_one(store.Document, 1).search_text == search_text(VALUES, EXTRACTION)
    opened.dispose()


def test_the_model_keeps_the_search_text_when_values_change(database_url):
    engine = store.open_store(database_url)
    with store.transaction(engine) as session:
        session.add(store.Run(id=1, started_at=NOW, status="completed", files_seen=1))
        session.flush()
        session.add(store.Document(id=1, sha256="b" * 64, form_id="PSP-REG", outcome="held", findings=[],
                                   values=VALUES, extraction=EXTRACTION, processed_at=NOW, run_id=1))
    with store.transaction(engine) as session:
        assert "munoz" in session.get_one(store.Document, 1).search_text
        session.get_one(store.Document, 1).values = {**VALUES, "psp_city": "Lansing"}  # a correction
    with Session(engine) as session:
        assert "lansing" in session.get_one(store.Document, 1).search_text
    engine.dispose()
