"""The tracking store: one row per received file, one record per accepted form, and the same
bytes never stored twice (a UNIQUE sha256, committed with the record)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pipeline.errors import ConfigurationError
from pipeline.load import program, store
from pipeline.model import Outcome
from tests.conftest import VALID_PACKET, VALID_PLAN, make_document


def _result(context, form_id, values, sha, name="form.pdf"):
    document = make_document(form_id, values, name=name)
    return document.model_copy(update={"received": document.received.model_copy(update={"sha256": sha})})


def _to(tmp_path):
    return lambda received, outcome: tmp_path / outcome.value / received.original_name


def store_results(engine, run_id, documents, destination, context):
    stored, _ = program.record_batch(engine, run_id, documents, context, destination)
    return stored


def test_accepted_forms_become_records_of_their_own(engine, validation_context, tmp_path):
    run_id = store.start_run(engine)
    plan = _result(validation_context, "PSP-ORP", VALID_PLAN, "a" * 64)
    packet = _result(validation_context, "PSP-REG", VALID_PACKET, "b" * 64)
    rejected = _result(validation_context, "PSP-REG", {**VALID_PACKET, "psp_phone": "1"}, "c" * 64)
    stored = store_results(engine, run_id, [plan, packet, rejected], _to(tmp_path), validation_context)
    assert [s.outcome for s in stored] == [Outcome.ACCEPTED, Outcome.ACCEPTED, Outcome.REJECTED]
    with Session(engine) as session:
        plans = session.scalars(select(store.ReadinessPlanRecord)).all()
        registrations = session.scalars(select(store.RegistrationRecord)).all()
        assert [p.cmhsp_name for p in plans] == ["Community Mental Health Authority of Clinton-Eaton-Ingham Counties"]
        assert [(r.psp_last_name, r.training_session) for r in registrations] == [("Example", "2027-01-LAN")]
        assert session.scalar(select(func.count()).select_from(store.ReceivedFileRow)) == 3


def test_same_bytes_again_is_a_duplicate_never_a_second_record(engine, validation_context, tmp_path):
    run_id = store.start_run(engine)
    first = _result(validation_context, "PSP-ORP", VALID_PLAN, "d" * 64, name="plan.pdf")
    again = _result(validation_context, "PSP-ORP", VALID_PLAN, "d" * 64, name="plan-copy.pdf")
    stored = store_results(engine, run_id, [first, again], _to(tmp_path), validation_context)  # twice in one batch
    later = _result(validation_context, "PSP-ORP", VALID_PLAN, "d" * 64, name="plan-later.pdf")
    stored += store_results(engine, run_id, [later], _to(tmp_path), validation_context)  # and in a later batch
    # The same file, still in the inbox and recorded already (by another worker), is not recorded again.
    assert store_results(engine, run_id, [first], _to(tmp_path), validation_context) == []
    assert [s.outcome for s in stored] == [Outcome.ACCEPTED, Outcome.DUPLICATE, Outcome.DUPLICATE]
    assert stored[1].duplicate_of == "d" * 64
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(store.Document)) == 1
        assert session.scalar(select(func.count()).select_from(store.ReadinessPlanRecord)) == 1
        assert session.scalar(select(func.count()).select_from(store.ReceivedFileRow)) == 3


def test_the_unique_constraint_holds_in_the_database_itself(engine):
    run_id = store.start_run(engine)
    now = store.utcnow()
    with pytest.raises(IntegrityError):
        with store.transaction(engine) as session:
            for _ in range(2):
                session.add(store.Document(sha256="e" * 64, outcome="accepted", processed_at=now, run_id=run_id))
                session.flush()


def test_a_failed_batch_leaves_nothing_behind(engine, validation_context, tmp_path):
    run_id = store.start_run(engine)
    plan = _result(validation_context, "PSP-ORP", VALID_PLAN, "f" * 64)

    def broken_destination(received, outcome):
        raise OSError("disk full")

    with pytest.raises(OSError):
        store_results(engine, run_id, [plan], broken_destination, validation_context)
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(store.Document)) == 0


def test_a_wrong_database_url_says_what_to_do():
    with pytest.raises(ConfigurationError, match="PSP_DATABASE_URL"):
        store.open_store("nosuchdb://nowhere")


def test_pending_moves_are_what_was_committed_but_not_moved(engine, validation_context, tmp_path):
    run_id = store.start_run(engine)
    stored = store_results(engine, run_id, [_result(validation_context, "PSP-ORP", VALID_PLAN, "9" * 64)], _to(tmp_path), validation_context)
    assert [p[0] for p in store.pending_moves(engine)] == [stored[0].received_file_id]
    store.mark_moved(engine, [stored[0].received_file_id])
    assert store.pending_moves(engine) == []
