"""pipeline.load.forget_carry_out: a forget's plan carried out, pages and files first and the store's
rows last, only once every copy is gone; the deletion recorded without what the records said, the
overview owed until it is written again. Forget end to end (emails, reports shared with others,
Prefect, interruptions) is attacked in tests/attacks/test_forget_everything.py."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.load import forget, store
from pipeline.load.forget_carry_out import (
    FORGOTTEN,
    carry_out,
    overview_pending,
    overview_written,
)
from pipeline.load.forget_check import self_check
from tests.load.conftest import FORGOTTEN_EMAIL


def test_every_copy_goes_then_the_rows_and_the_deletion_is_recorded_the_overview_owed(forgettable, settings):
    person, engine = forgettable
    plan = forget.plan(engine, settings, person, None)
    assert plan.files and all(path.is_file() for path in plan.files)

    done = carry_out(plan, engine, settings, None, actor="coordinator", reason="request 2026-12-09")

    assert (done.problems, done.store_deleted) == ([], True)
    assert done.deleted_files == len(plan.files) and not any(path.exists() for path in plan.files)
    assert len([line for line in done.lines if line.strip().startswith("deleted ")]) == len(plan.files)
    assert done.rewritten_reports and len(plan.reports) == len(done.rewritten_reports)  # the run's page, without them
    assert forget.find_person(engine, FORGOTTEN_EMAIL) is None
    with Session(engine) as session:
        (decision,) = session.scalars(select(store.DecisionRow).where(store.DecisionRow.action == FORGOTTEN))
    assert (decision.actor, decision.reason) == ("coordinator", "request 2026-12-09")
    assert decision.detail["documents"] == 1 and decision.detail["registrations"] == 1
    assert decision.detail["files"] == len(plan.files) and decision.detail["overview"] == "pending"
    assert FORGOTTEN_EMAIL not in str(decision.detail)
    assert self_check(person, engine, settings.data_home.root).left == []
    # The overview page is owed until it is written again (the command does it next).
    assert overview_pending(engine) == [decision.id]
    overview_written(engine, [decision.id])
    assert overview_pending(engine) == []


def test_a_copy_that_will_not_go_keeps_the_rows_for_the_next_forget(forgettable, settings, monkeypatch):
    person, engine = forgettable
    plan = forget.plan(engine, settings, person, None)
    stuck = plan.files[0]
    unlink = Path.unlink

    def refuse(path: Path, missing_ok: bool = False) -> None:
        if path == stuck:
            raise PermissionError(13, "Permission denied", str(path))
        unlink(path, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", refuse)
    done = carry_out(plan, engine, settings, None, actor="coordinator", reason="asked")

    assert not done.store_deleted and stuck.is_file()
    (problem,) = done.problems
    shown = forget.shown_path(stuck, settings.data_home.root)
    assert problem.startswith(f"could not delete {shown} (Permission denied)")
    assert "run the same forget again to finish" in problem and FORGOTTEN_EMAIL in done.store_note
    assert forget.find_person(engine, FORGOTTEN_EMAIL) is not None  # what is left is found again

    monkeypatch.setattr(Path, "unlink", unlink)
    again = carry_out(forget.plan(engine, settings, person, None), engine, settings, None, actor="coordinator",
                      reason="asked")
    assert again.store_deleted and not stuck.exists()


def test_a_copy_gone_already_is_no_problem(forgettable, settings):
    person, engine = forgettable
    plan = forget.plan(engine, settings, person, None)
    plan.files[0].unlink()  # deleted by hand, or by a forget that stopped after it
    done = carry_out(plan, engine, settings, None, actor="coordinator", reason="asked")
    assert done.problems == [] and done.store_deleted and done.deleted_files == len(plan.files) - 1


def test_the_receipts_of_the_mail_that_carried_their_packet_no_longer_name_it(forgettable, settings):
    from datetime import UTC, datetime

    from pipeline.load.forget_carry_out import DELETED_FILE
    from pipeline.load.mail_messages import AcknowledgementRow

    person, engine = forgettable
    now = datetime(2026, 12, 7, 15, tzinfo=UTC)
    with Session(engine) as session, session.begin():
        session.add(AcknowledgementRow(
            message_key="<m1@cei.example.org>", account="agencies", to_address="hr@cei.example.org",
            files=["reg_valid_cei.docx", "orp_valid_cei.pdf"], received_at=now, own_message_id="<r1@psp>",
            created_at=now))
    plan = forget.plan(engine, settings, person, None)

    done = carry_out(plan, engine, settings, None, actor="coordinator", reason="request 2026-12-09")

    assert done.problems == []
    with Session(engine) as session:
        (receipt,) = session.scalars(select(AcknowledgementRow))
    assert receipt.files == [DELETED_FILE, "orp_valid_cei.pdf"]
    assert self_check(person, engine, settings.data_home.root).left == []
