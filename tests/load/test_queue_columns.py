"""``documents.agency`` and ``documents.rule_ids``: what the desk's queue narrows by, kept with each
document. The model writes them whenever a document's values or findings are stored or change, and
revision 0010 fills them for the documents a store held before (on SQLite, and PostgreSQL under
``make test-postgres``)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import create_engine, insert, inspect
from sqlalchemy.orm import Session

from pipeline.load import migrate, store
from pipeline.load.queue_columns import agency_of, rule_ids, rules_in

NOW = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
AGENCY = "Washtenaw County Community Mental Health"
FINDINGS = [{"rule": "REG-R11", "message": "no seat"}, {"rule": "REG-R10", "message": "no plan"},
            {"rule": "REG-R10", "field": "cmhsp_name", "message": "again"}, {"rule": None, "message": "unsure"}]


def test_rule_ids_are_each_between_spaces_once_and_sorted():
    assert rule_ids(FINDINGS) == " REG-R10 REG-R11 " and rules_in(rule_ids(FINDINGS)) == ["REG-R10", "REG-R11"]
    assert rule_ids([{"message": "unsure"}]) == rule_ids(None) == "" and rules_in(None) == []
    assert agency_of({"cmhsp_name": AGENCY}) == AGENCY
    assert agency_of({"cmhsp_name": ""}) is agency_of({"cmhsp_name": 3}) is agency_of(None) is None


def test_a_store_before_0010_gets_its_documents_agency_and_rules(database_url):
    engine = create_engine(database_url)
    migrate.upgrade(engine, "0009")
    with engine.begin() as connection:
        connection.execute(insert(store.Run), {"id": 1, "started_at": NOW, "status": "completed", "files_seen": 2})
        connection.execute(insert(store.Document), [
            {"id": 1, "sha256": "a" * 64, "form_id": "PSP-REG", "outcome": "held", "findings": FINDINGS,
             "values": {"cmhsp_name": AGENCY}, "extraction": {}, "processed_at": NOW, "run_id": 1},
            {"id": 2, "sha256": "b" * 64, "form_id": None, "outcome": "needs_review", "findings": [], "values": {},
             "extraction": {}, "processed_at": NOW, "run_id": 1},
        ])
    engine.dispose()
    opened = store.open_store(database_url)
    with Session(opened) as session:
        first, second = session.get_one(store.Document, 1), session.get_one(store.Document, 2)
        assert (first.agency, first.rule_ids) == (AGENCY, " REG-R10 REG-R11 ")
        assert (second.agency, second.rule_ids) == (None, "")
    assert "ix_documents_queue" in {index["name"] for index in inspect(opened).get_indexes("documents")}
    opened.dispose()


def test_the_model_keeps_the_agency_and_rules_when_values_and_findings_change(database_url):
    engine = store.open_store(database_url)
    with store.transaction(engine) as session:
        session.add(store.Run(id=1, started_at=NOW, status="completed", files_seen=1))
        session.flush()
        session.add(store.Document(id=1, sha256="c" * 64, form_id="PSP-REG", outcome="held", findings=FINDINGS,
                                   values={"cmhsp_name": AGENCY}, extraction={}, processed_at=NOW, run_id=1))
    with store.transaction(engine) as session:
        document = session.get_one(store.Document, 1)
        assert (document.agency, document.rule_ids) == (AGENCY, " REG-R10 REG-R11 ")
        document.values = {"cmhsp_name": "Lenawee Community Mental Health Authority"}  # a correction
        document.findings = [{"rule": "REG-R11", "message": "no seat"}]  # judged again
    with Session(engine) as session:
        document = session.get_one(store.Document, 1)
        assert (document.agency, document.rule_ids) == ("Lenawee Community Mental Health Authority", " REG-R11 ")
    engine.dispose()
