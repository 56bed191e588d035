"""`psp-pipeline forget`: a PSP's records, originals, notices and reports are deleted, and the
deletion is recorded without what the records said."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from cli import app
from pipeline.load import store
from pipeline.run import process
from samples.stage import stage

runner = CliRunner()


def test_forget_deletes_a_psp_everywhere_and_records_it(settings):
    stage(settings.data_home.inbox)
    process(settings)
    email = "jordan.example@example.org"  # reg_valid_cei, and its second packet reg_r12_registered_again
    assert any(email in p.read_text("utf-8", "ignore") for p in settings.data_home.reports.glob("*.json"))

    result = runner.invoke(app, ["forget", "--psp-email", email.upper(), "--reason", "request 2026-12-09",
                                 "--by", "coordinator", "--home", str(settings.data_home.root)],
                           env={"PSP_DATABASE_URL": settings.store_url})
    assert result.exit_code == 0, result.output
    assert "Deleted 2 document(s), 1 registration(s)" in result.output

    engine = store.open_store(settings.store_url)
    with Session(engine) as session:
        remaining = [d.values.get("psp_email") for d in session.scalars(select(store.Document))]
        assert email not in remaining
        assert all(r.psp_email != email for r in session.scalars(select(store.RegistrationRecord)))
        decision = session.scalars(select(store.DecisionRow).where(store.DecisionRow.action == "forgotten")).one()
        assert decision.actor == "coordinator" and decision.detail["documents"] == 2
        assert email not in str(decision.detail)
    engine.dispose()
    for path in settings.data_home.root.rglob("*"):
        if path.is_file() and path.suffix in (".pdf", ".docx", ".eml", ".json", ".html"):
            assert "Jordan" not in path.name
            if path.suffix in (".eml", ".json", ".html"):
                assert email not in path.read_text("utf-8", "ignore"), path
    assert not list(settings.data_home.originals.rglob("reg_valid_cei.docx"))
    assert list(settings.data_home.originals.rglob("reg_valid_isk.pdf"))  # others are kept


def test_forget_of_an_unknown_email_changes_nothing(settings):
    process(settings)
    result = runner.invoke(app, ["forget", "--psp-email", "nobody@example.org", "--reason", "x",
                                 "--home", str(settings.data_home.root)], env={"PSP_DATABASE_URL": settings.store_url})
    assert result.exit_code == 2 and "no registration packet" in result.output
