"""Crash safety of the mail intake: a real run process killed (SIGKILL) at each step of fetching,
storing and moving loses no message and imports none twice. The next run finishes what was left:
every message's documents stored once, every message moved on the server once, every row moved."""

from __future__ import annotations

import signal
from collections import Counter

import pytest
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.load import queries, store
from pipeline.load.mail_messages import MailMessageRow, MailStatus
from pipeline.mailbox.accounts import MailAccounts
from tests.mailbox.conftest import FOLDER, SUBMISSIONS, VALID_PLAN, account_for, message
from tests.mailserver import PASSWORD
from tests.test_crash import run

pytestmark = pytest.mark.crash

KILL_POINTS = [
    "mail.fetched:2",
    "mail.saved:1",
    "mail.saved:3",
    "mail.recorded:2",
    "batch.committed",
    "mail.moving:1",
    "mail.moved:1",
    "mail.moved:2",
    "mail.marked:3",
]
VALID_PACKET = (SUBMISSIONS / "reg_valid_cei.docx").read_bytes()
NOT_A_FORM = (("photo.jpg", b"\xff\xd8\xff\xe0 not a form"),)


@pytest.mark.parametrize("kill_at", KILL_POINTS)
def test_a_run_killed_while_it_fetches_or_moves_mail_loses_nothing_and_imports_nothing_twice(
        kill_at, tmp_path, database_url, dovecot, mailbox_user):
    home = tmp_path / "home"
    (home / "inbox").mkdir(parents=True)
    MailAccounts(home).save(account_for(dovecot, mailbox_user), SecretStr(PASSWORD))
    forms = [message(attachments=(("plan.pdf", VALID_PLAN),)), message(attachments=(("packet.docx", VALID_PACKET),))]
    for body in [*forms, message(attachments=NOT_A_FORM)]:
        dovecot.deliver(mailbox_user, body, FOLDER)

    killed = run(home, database_url, kill_at, PSP_SETTLE_SECONDS="0")
    assert killed.returncode == -signal.SIGKILL, f"{kill_at} was never reached:\n{killed.stdout}"
    finished = run(home, database_url, PSP_SETTLE_SECONDS="0")
    assert finished.returncode == 0, finished.stdout
    again = run(home, database_url, PSP_SETTLE_SECONDS="0")  # nothing left for it
    assert again.returncode == 0, again.stdout

    engine = store.open_store(database_url)
    rows = list(queries.export_rows(engine))
    # Each message's documents stored once: a plan, a packet and the email with no form in it.
    assert len(rows) == 3 and len({r["file"] for r in rows}) == 3
    assert Counter(str(r["outcome"]) for r in rows) == Counter({"accepted": 2, "needs_review": 1})
    with Session(engine) as session:
        tracked = list(session.scalars(select(MailMessageRow)))
    assert len(tracked) == 3 and {t.status for t in tracked} == {MailStatus.MOVED}
    engine.dispose()
    # Every message moved once, to where its documents say.
    assert dovecot.uids(mailbox_user, FOLDER) == []
    assert len(dovecot.uids(mailbox_user, "PSP.Processed")) == 2
    assert len(dovecot.uids(mailbox_user, "PSP.Needs attention")) == 1
    assert not [p for p in (home / "inbox").rglob("*") if p.is_file()]
