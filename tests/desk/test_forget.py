"""The desk's "Forget a PSP" page: a coordinator's, the dry run first, then the same forget as
``psp-pipeline forget`` (``pipeline.forget_psp``) as the signed-in account, with the self-check's
outcome."""

from __future__ import annotations

import re
import shutil

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.load import forget, store
from pipeline.lock import RunLock
from pipeline.run import process
from tests.conftest import SAMPLES
from tests.desk.conftest import COORDINATOR
from tests.load.conftest import FORGOTTEN_EMAIL

HTML = {"Accept": "text/html"}
REASON = "request 2026-12-09"


@pytest.fixture
def person(desk, settings) -> forget.Person:
    """Jordan Example's registration packet (and an agency's plan) in the desk's store and data
    home, after a run of them: the person ``FORGOTTEN_EMAIL`` names."""
    settings.data_home.inbox.mkdir(parents=True, exist_ok=True)
    for name in ("orp_valid_cei.pdf", "reg_valid_cei.docx"):
        shutil.copy(SAMPLES / "submissions" / name, settings.data_home.inbox / name)
    process(settings)
    found = forget.find_person(desk.engine, FORGOTTEN_EMAIL)
    assert found is not None
    return found


def _lines(page: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", line).strip() for line in re.findall(r"<li(?:\s[^>]*)?>(.*?)</li>", page, re.S)]


def _their_files(desk) -> list:
    return list(desk.settings.data_home.originals.rglob("reg_valid_cei.docx"))


def test_a_reviewer_may_not_forget_nor_see_the_page(reviewer, person, desk):
    assert "Forget a PSP" not in reviewer.get("/", headers=HTML).text
    assert reviewer.get("/forget", headers=HTML).status_code == 403
    for path in ("/forget/preview", "/forget"):
        assert reviewer.post_form(path, email=FORGOTTEN_EMAIL, reason=REASON).status_code == 403, path
    assert forget.find_person(desk.engine, FORGOTTEN_EMAIL) is not None and _their_files(desk)


def test_a_post_without_its_csrf_token_is_refused_and_changes_nothing(coordinator, person, desk):
    for path in ("/forget/preview", "/forget"):
        for token in (None, "forged"):
            data = {"email": FORGOTTEN_EMAIL, "reason": REASON} | ({"csrf_token": token} if token else {})
            assert coordinator.post(path, data=data, headers=HTML).status_code == 403, (path, token)
    assert forget.find_person(desk.engine, FORGOTTEN_EMAIL) is not None and _their_files(desk)


def test_the_preview_lists_what_would_go_and_changes_nothing(coordinator, person, desk):
    form = coordinator.get("/forget", headers=HTML)
    assert form.status_code == 200 and 'href="/forget"' in form.text and 'action="/forget/preview"' in form.text
    files_before = sorted(p for p in desk.settings.data_home.root.rglob("*") if p.is_file())

    preview = coordinator.post_form("/forget/preview", email=FORGOTTEN_EMAIL, reason=REASON)

    assert preview.status_code == 200 and "Preview: nothing was changed" in preview.text
    lines = _lines(preview.text)
    assert any(line.startswith("Would forget 1 document(s) and 1 registration(s)") for line in lines), lines
    assert "Dry run: nothing was changed." in lines and 'formaction="/forget"' in preview.text
    assert forget.find_person(desk.engine, FORGOTTEN_EMAIL) is not None
    assert sorted(p for p in desk.settings.data_home.root.rglob("*") if p.is_file()) == files_before
    with Session(desk.engine) as session:
        assert not session.scalars(select(store.DecisionRow).where(store.DecisionRow.action == "forgotten")).all()


def test_forgetting_deletes_them_as_the_signed_in_account_and_nothing_is_left(coordinator, person, desk):
    assert _their_files(desk)

    done = coordinator.post_form("/forget", email=FORGOTTEN_EMAIL, reason=REASON)

    assert done.status_code == 200 and "<h2>Forgotten</h2>" in done.text, done.text
    lines = _lines(done.text)
    assert any(line.startswith("Deleted 1 document(s), 1 registration(s)") for line in lines), lines
    assert any(line.startswith("Self-check") and line.endswith("nothing of theirs is left.") for line in lines), lines
    assert forget.find_person(desk.engine, FORGOTTEN_EMAIL) is None and not _their_files(desk)
    with Session(desk.engine) as session:
        assert all(r.psp_email != FORGOTTEN_EMAIL for r in session.scalars(select(store.RegistrationRecord)))
        (decision,) = session.scalars(select(store.DecisionRow).where(store.DecisionRow.action == "forgotten"))
    assert (decision.actor, decision.reason) == (COORDINATOR, REASON)
    assert FORGOTTEN_EMAIL not in str(decision.detail)


def test_a_forget_without_a_reason_is_refused_and_changes_nothing(coordinator, person, desk):
    refused = coordinator.post_form("/forget", email=FORGOTTEN_EMAIL, reason="  ")
    assert refused.status_code == 400 and "needs its reason" in refused.text
    assert forget.find_person(desk.engine, FORGOTTEN_EMAIL) is not None and _their_files(desk)


@pytest.mark.parametrize("path", ["/forget/preview", "/forget"])
def test_an_unknown_email_is_said_in_one_line(coordinator, person, desk, path):
    answer = coordinator.post_form(path, email="nobody@example.org", reason=REASON)
    assert answer.status_code == 400
    (said,) = re.findall(r'<p class="problem" role="alert">(.*?)</p>', answer.text, re.S)
    assert "no registration packet names the PSP email" in said and "\n" not in said
    assert forget.find_person(desk.engine, FORGOTTEN_EMAIL) is not None


def test_a_forget_waits_for_a_run_that_holds_the_inbox(coordinator, person, desk):
    running = RunLock(desk.settings.data_home.root)
    running.acquire()
    try:
        busy = coordinator.post_form("/forget", email=FORGOTTEN_EMAIL, reason=REASON)
    finally:
        running.release()
    assert busy.status_code == 409 and "another run is processing this inbox" in busy.text
    assert forget.find_person(desk.engine, FORGOTTEN_EMAIL) is not None and _their_files(desk)
