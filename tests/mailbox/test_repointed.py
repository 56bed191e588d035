"""An account re-pointed at another mailbox (another user or host under the same name) tracks the
new mailbox's messages afresh, even when its folder has the UIDVALIDITY of the old one."""

from __future__ import annotations

from pydantic import SecretStr

from pipeline.mailbox.accounts import MailAccounts
from tests.mailbox.conftest import FOLDER, account_for, inbox_files, message
from tests.mailbox.test_fetch import fetch, tracked
from tests.mailserver import PASSWORD


def _uidvalidity(dovecot, user: str) -> int:
    connection = dovecot.client(user)
    try:
        connection.select(f'"{FOLDER}"', readonly=True)
        return int(connection.response("UIDVALIDITY")[1][0])
    finally:
        connection.logout()


def _two_mailboxes_alike(dovecot) -> tuple[str, str]:
    """Two users whose folders have the same UIDVALIDITY and hold a message of UID 1 each (Dovecot's
    UIDVALIDITY is the second the folder was made: made together, they agree)."""
    for _ in range(10):
        first, second = dovecot.new_user(), dovecot.new_user()
        dovecot.deliver(first, message(subject="PSP plan one"), FOLDER)
        dovecot.deliver(second, message(subject="PSP plan two"), FOLDER)
        if _uidvalidity(dovecot, first) == _uidvalidity(dovecot, second):
            return first, second
    raise AssertionError("no two folders with the same UIDVALIDITY")


def test_an_account_re_pointed_at_another_mailbox_fetches_its_messages(mail_settings, dovecot):
    first, second = _two_mailboxes_alike(dovecot)
    accounts = MailAccounts(mail_settings.data_home.root)
    accounts.save(account_for(dovecot, first), SecretStr(PASSWORD))
    assert fetch(mail_settings).saved == 1
    accounts.save(account_for(dovecot, second), SecretStr(PASSWORD))  # the same name, another user
    again = fetch(mail_settings)
    assert (again.saved, again.recognised, again.failures) == (1, 0, [])
    assert len(inbox_files(mail_settings)) == 2
    rows = tracked(mail_settings)
    assert [(row.uid, row.mailbox) for row in rows] == [(1, f"{first}@127.0.0.1"), (1, f"{second}@127.0.0.1")]
    assert rows[0].uidvalidity == rows[1].uidvalidity
    # Back to the first mailbox: its message is known there, not fetched again.
    accounts.save(account_for(dovecot, first), SecretStr(PASSWORD))
    assert fetch(mail_settings).saved == 0
