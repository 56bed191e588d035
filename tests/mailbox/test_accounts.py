"""Mail accounts and rules: the password kept owner-only and never shown, plain IMAP only to the
loopback address, rules by sender domain and subject word, folder names in the server's terms."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from pipeline.errors import ConfigurationError
from pipeline.mailbox.accounts import Account, MailAccounts, Rule, Security
from pipeline.mailbox.imap import modified_utf7

CLI = Path(sys.executable).with_name("psp-pipeline")
SECRET = "correct-horse-battery-staple"


def test_mail_add_keeps_the_password_owner_only_and_never_in_the_accounts_file_or_output(tmp_path):
    home = tmp_path / "home"
    subprocess.run([str(CLI), "init", "--home", str(home)], check=True, capture_output=True)
    added = subprocess.run(
        [str(CLI), "mail", "add", "agencies", "--host", "imap.example.org", "--user", "psp@example.org",
         "--password-stdin", "--sender-domain", "cei.example.org", "--subject-word", "PSP", "--home", str(home)],
        input=SECRET + "\n", capture_output=True, text=True)
    assert added.returncode == 0, added.stderr
    listed = subprocess.run([str(CLI), "mail", "list", "--home", str(home)], capture_output=True, text=True)
    assert "imaps imap.example.org:993" in listed.stdout and "cei.example.org" in listed.stdout
    for shown in (added.stdout, added.stderr, listed.stdout, (home / "mail" / "accounts.json").read_text()):
        assert SECRET not in shown
    secret = home / "mail" / "secrets" / "agencies"
    assert secret.read_text() == SECRET
    assert secret.stat().st_mode & 0o777 == 0o600 and secret.parent.stat().st_mode & 0o777 == 0o700
    assert json.loads((home / "mail" / "accounts.json").read_text())["accounts"][0]["rules"][0]["subject_words"] == ["psp"]


def test_plain_imap_only_when_asked_for_and_only_to_the_loopback_address(tmp_path):
    with pytest.raises(ValidationError, match="loopback"):
        Account(name="a", host="imap.example.org", port=143, user="u", security=Security.PLAIN, insecure_plain=True)
    with pytest.raises(ValidationError, match="insecure-plain"):
        Account(name="a", host="127.0.0.1", port=143, user="u", security=Security.PLAIN)
    for host in ("127.0.0.1", "::1", "localhost"):
        Account(name="a", host=host, port=143, user="u", security=Security.PLAIN, insecure_plain=True)
    refused = subprocess.run(
        [str(CLI), "mail", "add", "a", "--host", "10.0.0.5", "--user", "u", "--security", "plain", "--insecure-plain",
         "--password-env", "PSP_MAIL_PASSWORD", "--home", str(tmp_path / "home")],
        capture_output=True, text=True, env={**os.environ})
    assert refused.returncode != 0


def test_a_password_from_the_environment_is_never_written(tmp_path):
    accounts = MailAccounts(tmp_path)
    account = Account(name="a", host="imap.example.org", port=993, user="u", password_env="PSP_MAIL_PASSWORD")
    accounts.save(account, None)
    assert not (tmp_path / "mail" / "secrets" / "a").exists()
    assert accounts.password(account, {"PSP_MAIL_PASSWORD": SECRET}).get_secret_value() == SECRET
    with pytest.raises(ConfigurationError, match=r"\$PSP_MAIL_PASSWORD"):
        accounts.password(account, {})


def test_a_password_file_others_may_read_is_refused(tmp_path):
    accounts = MailAccounts(tmp_path)
    account = Account(name="a", host="imap.example.org", port=993, user="u")
    accounts.save(account, SecretStr(SECRET))
    (tmp_path / "mail" / "secrets" / "a").chmod(0o644)
    with pytest.raises(ConfigurationError, match="chmod 600"):
        accounts.password(account)


def test_rules_by_sender_domain_and_subject_word():
    rule = Rule(folder="INBOX", sender_domains=("@CEI.example.org",), subject_words=("PSP",))
    assert rule.takes("avery@cei.example.org", "PSP readiness plan")
    assert rule.takes("avery@mail.cei.example.org", "Re: psp forms")  # a subdomain is the agency's
    assert not rule.takes("avery@notcei.example.org", "PSP readiness plan")  # a look-alike is not
    assert not rule.takes("avery@cei.example.org", "Lunch")
    assert not rule.takes(None, "PSP")
    assert Rule().takes("anyone@anywhere.example", None)  # no domains, no words: every message
    with pytest.raises(ValidationError, match="must not be the folder"):
        Rule(folder="PSP/Processed")


def test_folder_names_in_imaps_modified_utf7():
    assert modified_utf7("PSP.Needs attention") == "PSP.Needs attention"
    assert modified_utf7("Entwürfe") == "Entw&APw-rfe"  # RFC 3501's own kind of example
    assert modified_utf7("R&D") == "R&-D"
