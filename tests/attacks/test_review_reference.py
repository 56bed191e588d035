"""Review decisions judged against the wrong lists: ``review accept`` checked a document against the
packaged reference data instead of the coordinator's own (``<data home>/reference/`` or
PSP_REFERENCE_DIR).

Issue 16, item 14. A run judged a plan of an agency that only the coordinator's own cmhsps.csv
lists (a CMHSP added since the package was made) and sent it to review; accepting it validated
the record without the desk's reference data, so the agency was "not one of Michigan's CMHSPs"
and the plan could not be accepted at all (or, with an alias, would have been named as the
packaged list names it). The record is now validated against the desk's reference data, the
lists the run judged the document with.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from cli import app
from pipeline.load import store
from samples.fill import fill_pdf
from tests.conftest import VALID_PLAN

REPO = Path(__file__).resolve().parents[2]
PACKAGED = REPO / "schemas" / "reference"
FORMS = REPO / "samples" / "forms"
# Not in the packaged cmhsps.csv: only the coordinator's own list has it.
OWN_AGENCY = "Thornapple Valley Community Mental Health Authority"
OWN_ALIAS = "Thornapple CMH"

runner = CliRunner()


def _own_reference(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("michigan_counties.txt", "training_sessions.csv"):
        shutil.copy(PACKAGED / name, folder / name)
    packaged = (PACKAGED / "cmhsps.csv").read_text("utf-8")
    assert OWN_AGENCY not in packaged and OWN_ALIAS not in packaged
    (folder / "cmhsps.csv").write_text(packaged.rstrip("\n") + f"\n{OWN_AGENCY},{OWN_ALIAS}\n", "utf-8")
    return folder


@pytest.fixture(params=["data-home", "PSP_REFERENCE_DIR"])
def home(request, tmp_path, database_url, monkeypatch):
    """A data home whose coordinator lists one more CMHSP, and a plan of that agency waiting for a
    person (its supervisor's credential is 'Other', ORP-R04)."""
    monkeypatch.setenv("PSP_DATABASE_URL", database_url)
    home = tmp_path / "home"
    if request.param == "data-home":
        _own_reference(home / "reference")
    else:
        monkeypatch.setenv("PSP_REFERENCE_DIR", str(_own_reference(tmp_path / "elsewhere")))
    (home / "inbox").mkdir(parents=True)
    plan = {**VALID_PLAN, "cmhsp_name": OWN_ALIAS, "supervisor_credential": "Other", "supervisor_credential_other": "LBSW"}
    fill_pdf(FORMS / "PSP-ORP_2025.1.pdf", plan, home / "inbox" / "plan.pdf")
    ran = runner.invoke(app, ["run", "--without-prefect", "--home", str(home)])
    assert ran.exit_code == 0, ran.output
    return home


def _plan(database_url: str) -> tuple[str, str | None]:
    engine = store.open_store(database_url)
    try:
        with Session(engine) as session:
            document = session.scalars(select(store.Document)).one()
            return document.outcome, document.values.get("cmhsp_name")
    finally:
        engine.dispose()


def test_review_accept_uses_the_coordinators_own_reference_data(home, database_url):
    outcome, agency = _plan(database_url)
    assert (outcome, agency) == ("needs_review", OWN_AGENCY)  # the run judged it with the coordinator's list
    accepted = runner.invoke(app, ["review", "accept", "1", "--reason", "LBSW approved for this agency",
                                   "--home", str(home)])
    assert accepted.exit_code == 0, accepted.output
    assert "#1 accepted." in accepted.output
    assert _plan(database_url) == ("accepted", OWN_AGENCY)
