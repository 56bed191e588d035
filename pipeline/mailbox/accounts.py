"""The mail accounts a data home fetches from, and the rules that choose which messages are forms.

An account is kept in ``<home>/mail/accounts.json`` (owner-only, like everything in the data home):
where the server is, how the connection is secured, who logs in, and its rules. Its password is
never in that file, in the repository or in a log. It is either

- the value of an environment variable the account names (``password_env``), for a service whose
  secrets are handed in by its supervisor (systemd's credentials, a container's secrets), or
- a file of its own, ``<home>/mail/secrets/<account>``, mode 0600 in a 0700 folder, written from
  standard input by ``psp-pipeline mail add --password-stdin``.

Why a file in the data home rather than a keyring or an encrypted file: the pipeline runs
unattended (nightly, under a scheduler) where no keyring is unlocked, and a key kept beside an
encrypted password protects nothing. The data home already holds the store and every original
(personal data), readable by its owner only, so the password gets the same protection, in a file
of its own so that ``accounts.json`` can be shown and copied without it. A secret file anyone
else may read is refused, as ssh refuses such a key.

Plain IMAP (no TLS) is allowed only when asked for (``insecure_plain``) and only to the loopback
address: a password never crosses a network unencrypted.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from pipeline.errors import ConfigurationError
from pipeline.fileops import write_atomic

ACCOUNTS_FILE = "accounts.json"
SECRETS_FOLDER = "secrets"
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})
# A rule's sender domain that stands for every CMHSP's domains in the reference data (cmhsps.csv's
# ``domains`` column): no email domain is a single word, so it is never one of its own.
CMHSP_DOMAINS = "cmhsp"


class Security(StrEnum):
    """How the connection to the server is secured."""

    IMAPS = "imaps"  # TLS from the first byte (port 993)
    STARTTLS = "starttls"  # plain, then upgraded before logging in (port 143)
    PLAIN = "plain"  # no TLS at all: only to the loopback address, and only when asked for


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine itself (127.0.0.0/8, ::1, localhost): the only place a
    password may travel unencrypted."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Rule(BaseModel):
    """Which messages of a folder are forms, and where they go on the server once they are stored.

    Folder names are written with ``/`` between levels whatever the server uses; the session puts
    the server's own delimiter in (``.`` on Dovecot's Maildir, ``/`` on Exchange and Gmail).
    A message from a sender outside ``sender_domains`` (when any are given), or whose subject has
    none of ``subject_words`` (when any are given), is left where it is, untouched and unanswered.
    ``cmhsp`` among the sender domains stands for every CMHSP's domains in the reference data.
    With ``acknowledge``, the sender of each message taken gets a receipt
    (``pipeline.mailbox.acknowledge``): only a sender of the rule's domains, so a rule that names
    none acknowledges nobody.
    """

    model_config = ConfigDict(frozen=True)

    folder: str = "INBOX"
    sender_domains: tuple[str, ...] = ()
    subject_words: tuple[str, ...] = ()
    processed_folder: str = "PSP/Processed"
    failed_folder: str = "PSP/Needs attention"
    acknowledge: bool = False

    @field_validator("sender_domains", "subject_words")
    @classmethod
    def _lowercase(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        cleaned = tuple(v.strip().lower().lstrip("@") for v in values if v.strip())
        return tuple(dict.fromkeys(cleaned))

    @field_validator("folder", "processed_folder", "failed_folder")
    @classmethod
    def _folder_path(cls, value: str) -> str:
        parts = [part.strip() for part in value.split("/")]
        if not all(parts) or any(ord(ch) < 32 for ch in value):
            raise ValueError(f"{value!r} is not a folder path (levels separated by /, none empty)")
        return "/".join(parts)

    @model_validator(mode="after")
    def _destinations_elsewhere(self) -> Rule:
        if self.folder.casefold() in (self.processed_folder.casefold(), self.failed_folder.casefold()):
            raise ValueError("the processed and failed folders must not be the folder mail is fetched from")
        return self

    def domains(self, cmhsp_domains: frozenset[str] = frozenset()) -> frozenset[str]:
        """The sender domains this rule takes, ``cmhsp`` replaced by ``cmhsp_domains`` (the
        reference data's); empty: any sender's."""
        named = set(self.sender_domains)
        return frozenset(named - {CMHSP_DOMAINS} | (cmhsp_domains if CMHSP_DOMAINS in named else set()))

    def from_its_domains(self, sender: str | None, cmhsp_domains: frozenset[str] = frozenset()) -> bool:
        """Whether ``sender`` is at one of the rule's domains (or their subdomains); False for any
        sender when it names none."""
        domain = (sender or "").rpartition("@")[2].strip().lower().rstrip(">")
        return any(domain == d or domain.endswith("." + d) for d in self.domains(cmhsp_domains))

    def takes(self, sender: str | None, subject: str | None, cmhsp_domains: frozenset[str] = frozenset()) -> bool:
        """Whether a message from ``sender`` with ``subject`` is one of this rule's (``cmhsp_domains``:
        what ``cmhsp`` among its sender domains stands for)."""
        if self.sender_domains and not self.from_its_domains(sender, cmhsp_domains):
            return False
        if self.subject_words:
            words = set(re.findall(r"[\w-]+", (subject or "").lower()))
            if not any(word in words for word in self.subject_words):
                return False
        return True


class Account(BaseModel):
    """One mailbox the data home fetches from."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")
    host: str = Field(min_length=1)
    port: int = Field(ge=1, le=65535)
    user: str = Field(min_length=1)
    security: Security = Security.IMAPS
    insecure_plain: bool = False
    password_env: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    ca_file: Path | None = None  # a private CA's certificate, for a server the system does not trust
    timeout_seconds: float = Field(default=60, gt=0, le=3600)
    rules: tuple[Rule, ...] = (Rule(),)

    @property
    def mailbox(self) -> str:
        """Whose mailbox on which server (``user@host``, lowercased): what its fetched messages are
        tracked under, so that an account re-pointed at another mailbox starts afresh."""
        return f"{self.user}@{self.host}".lower()

    @model_validator(mode="after")
    def _plain_only_on_loopback(self) -> Account:
        if self.security is Security.PLAIN and not (self.insecure_plain and is_loopback(self.host)):
            raise ValueError("plain IMAP (no TLS) is allowed only with --insecure-plain and only to the loopback "
                             "address (127.0.0.1, ::1, localhost); use imaps or starttls")
        if not self.rules:
            raise ValueError("an account needs at least one rule (a folder to fetch from)")
        return self


class MailAccounts:
    """The accounts of one data home, where they are kept, and their passwords."""

    def __init__(self, home_root: Path) -> None:
        self.folder = home_root / "mail"
        self.file = self.folder / ACCOUNTS_FILE
        self.secrets = self.folder / SECRETS_FOLDER

    def all(self) -> list[Account]:
        """Every account, by name; none when no account was added. ConfigurationError for a file
        that is not one ``mail add`` wrote."""
        if not self.file.is_file():
            return []
        try:
            data = json.loads(self.file.read_text("utf-8"))
            return [Account.model_validate(entry) for entry in data["accounts"]]
        except (ValueError, KeyError, TypeError, ValidationError) as exc:
            raise ConfigurationError(
                f"the mail accounts in {self.file} cannot be read ({type(exc).__name__}).",
                hint="Remove the broken account with `psp-pipeline mail remove NAME`, or add it again.",
            ) from exc

    def get(self, name: str) -> Account:
        """The account called ``name``; ConfigurationError when there is none."""
        for account in self.all():
            if account.name == name:
                return account
        raise ConfigurationError(f"there is no mail account {name!r}.", hint="See `psp-pipeline mail list`.")

    def save(self, account: Account, password: SecretStr | None) -> None:
        """Add ``account`` (replacing one of the same name), with its password in its own secret
        file when it is given (not when it comes from ``password_env``)."""
        self._private_folders()
        if password is not None:
            write_atomic(self.secrets / account.name, password.get_secret_value().encode("utf-8"), private=True)
        elif account.password_env is None:
            raise ConfigurationError("a mail account needs a password: --password-stdin or --password-env.")
        else:
            (self.secrets / account.name).unlink(missing_ok=True)  # the environment's from now on
        others = [a for a in self.all() if a.name != account.name]
        self._write(sorted([*others, account], key=lambda a: a.name))

    def remove(self, name: str) -> None:
        """Forget the account ``name`` and its secret file (ConfigurationError when there is none)."""
        self.get(name)
        self._write([a for a in self.all() if a.name != name])
        (self.secrets / name).unlink(missing_ok=True)

    def password(self, account: Account, environ: Mapping[str, str] = os.environ) -> SecretStr:
        """The account's password, from its environment variable or its secret file.

        ConfigurationError when it is missing, or when the secret file is readable by others.
        """
        if account.password_env is not None:
            value = environ.get(account.password_env)
            if not value:
                raise ConfigurationError(
                    f"the password of mail account {account.name!r} is read from ${account.password_env}, "
                    "which is not set.", hint=f"Set {account.password_env} in the environment of the run.")
            return SecretStr(value)
        path = self.secrets / account.name
        try:
            mode = path.stat().st_mode
            if mode & 0o077:
                raise ConfigurationError(
                    f"the password file of mail account {account.name!r} ({path}) may be read by others.",
                    hint=f"Make it its owner's only: chmod 600 {path}")
            return SecretStr(path.read_text("utf-8"))
        except FileNotFoundError as exc:
            raise ConfigurationError(
                f"mail account {account.name!r} has no password kept ({path} is missing).",
                hint=f"Add it again: psp-pipeline mail add {account.name} ... --password-stdin") from exc

    def _private_folders(self) -> None:
        for folder in (self.folder, self.secrets):
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            folder.chmod(0o700)

    def _write(self, accounts: list[Account]) -> None:
        data = {"accounts": [a.model_dump(mode="json") for a in accounts]}
        write_atomic(self.file, json.dumps(data, indent=1).encode("utf-8"), private=True)
