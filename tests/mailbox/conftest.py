"""The mail intake's fixtures: one real Dovecot for the session (``tests/mailserver.py``), a fresh
mailbox per test, a data home with an account on it, and synthetic messages carrying the sample
forms. Nothing here is a real person's mail."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from pathlib import Path

import pytest
from pydantic import SecretStr

from pipeline.mailbox.accounts import Account, MailAccounts, Rule, Security
from pipeline.settings import Settings
from tests.conftest import require_tools
from tests.mailserver import DOVECOT, PASSWORD, Dovecot, start_dovecot

SUBMISSIONS = Path(__file__).resolve().parents[2] / "samples" / "submissions"
VALID_PLAN = (SUBMISSIONS / "orp_valid_cei.pdf").read_bytes()
SENT = datetime(2026, 12, 1, 14, 30, tzinfo=UTC)
FOLDER = "Agencies"  # the rule's folder: a folder of its own, as a coordinator's filter makes


@pytest.fixture(scope="session")
def dovecot(tmp_path_factory) -> Iterator[Dovecot]:
    """Dovecot on 127.0.0.1, for the whole session (each test logs in as a user of its own)."""
    require_tools([] if DOVECOT else ["dovecot (Debian's dovecot-imapd)"])
    server = start_dovecot(tmp_path_factory.mktemp("dovecot"))
    yield server
    server.stop()


@pytest.fixture
def mailbox_user(dovecot) -> str:
    """A user with an empty mailbox of its own."""
    return dovecot.new_user()


def account_for(server: Dovecot, user: str, **changes) -> Account:
    """An account on the test server, plain IMAP on the loopback address, one rule on ``FOLDER``."""
    values = dict(name="agencies", host="127.0.0.1", port=server.imap_port, user=user, security=Security.PLAIN,
                  insecure_plain=True, rules=(Rule(folder=FOLDER),), timeout_seconds=20)
    return Account(**{**values, **changes})


@pytest.fixture
def mail_settings(tmp_path, database_url, dovecot, mailbox_user) -> Settings:
    """A data home whose one account is ``mailbox_user``'s on the test server."""
    settings = Settings(home=tmp_path / "home", database_url=database_url, workers=1, settle_seconds=0)
    settings.data_home.root.mkdir()
    MailAccounts(settings.data_home.root).save(account_for(dovecot, mailbox_user), SecretStr(PASSWORD))
    return settings


def message(*, sender: str = "Avery Sample <avery.sample@cei.example.org>", subject: str = "PSP readiness plan",
            attachments: tuple[tuple[str, bytes], ...] = (("plan.pdf", VALID_PLAN),), sent: datetime = SENT,
            date: str | None = None) -> bytes:
    """A synthetic email as an agency sends one: its own Message-ID, its forms attached."""
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = "PSP Coordinator <psp-coordinator@example.org>"
    mail["Subject"] = subject
    mail["Date"] = date if date is not None else format_datetime(sent)
    mail["Message-ID"] = make_msgid(domain="cei.example.org", idstring=os.urandom(6).hex())
    mail.set_content("Hello,\n\nOur form is attached.\n")
    for name, data in attachments:
        mail.add_attachment(data, maintype="application", subtype="pdf", filename=name)
    return mail.as_bytes(policy=SMTP)  # CRLF line ends, as IMAP keeps every message


def stored_rows(settings: Settings, model: type) -> list:
    """Every row of the store's table ``model`` (a mapped class), by id."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from pipeline.service import open_desk

    desk = open_desk(settings)
    try:
        with Session(desk.engine) as session:
            return list(session.scalars(select(model).order_by(model.id)))
    finally:
        desk.close()


def inbox_files(settings: Settings) -> list[Path]:
    """The files in the inbox that a run would take (no hidden temporary ones)."""
    return sorted(p for p in settings.data_home.inbox.iterdir() if not p.name.startswith("."))
