"""One error tree for the pipeline. Each error says what went wrong and what to do, and carries
the exit status the command line returns for it, so a scheduler can tell kinds of failure apart.

A document that cannot be read is not an error of the run: its ``DocumentUnreadable`` (or an
email's ``MailUnreadable``) is caught where it is read and becomes a ``needs_review`` outcome with
the message as its reason. The others are for what stops the run itself (configuration, the data
home, the store, the disk, Prefect's server). ``ExitCode`` lists every status ``psp-pipeline`` exits with.
"""

from __future__ import annotations

import errno
import re
import sys
from enum import IntEnum
from typing import Any


class ExitCode(IntEnum):
    """Every exit status of ``psp-pipeline`` (the numbers above 63 are those of BSD's sysexits.h)."""

    OK = 0
    DEFECT = 1  # anything not raised on purpose: a defect, shown with its traceback
    BAD_INPUT = 2  # an argument is wrong (Click's usage errors exit 2 too)
    CONFIGURATION = 4  # a setting, or the data home: missing, never initialised, not writable
    STORE = 5  # the tracking store cannot be opened, read or written
    DELIVERY = 6  # notices could not be sent (they stay in the outbox)
    MAIL_SERVER = 7  # the mail server could not be reached, or refused the login or a command
    PREFECT_UNAVAILABLE = 69  # EX_UNAVAILABLE: the Prefect server PREFECT_API_URL names cannot be reached
    DISK_FULL = 74  # EX_IOERR: no space left on the disk of the data home or of the store
    INBOX_BUSY = 75  # EX_TEMPFAIL: another run holds the inbox
    INTERRUPTED = 130  # Ctrl-C or SIGTERM


class PipelineError(Exception):
    """Base of every error the pipeline raises on purpose."""

    exit_code: ExitCode = ExitCode.DEFECT

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} {self.hint}" if self.hint else self.message


class BadInputError(PipelineError):
    """A document or an argument is not what it should be."""

    exit_code = ExitCode.BAD_INPUT


class DocumentUnreadable(BadInputError):
    """A received file is of a kind the pipeline reads but cannot be read (encrypted, corrupt, no
    text layer...). Never stops a run: the document becomes ``needs_review`` with this message as
    its reason, shown to reviewers, so it says what is wrong without quoting field values."""


class MailUnreadable(DocumentUnreadable):
    """A saved email cannot be read; the message says why, without quoting its content."""


class ConfigurationError(PipelineError):
    """A setting, the data home or the database URL is wrong."""

    exit_code = ExitCode.CONFIGURATION


class StoreError(PipelineError):
    """The tracking store could not be read or written."""

    exit_code = ExitCode.STORE


class DeliveryError(PipelineError):
    """Notices could not be delivered (the SMTP server is unreachable or refused them); they stay
    in the outbox for the next try."""

    exit_code = ExitCode.DELIVERY


class MailServerError(PipelineError):
    """A mail account's IMAP server could not be reached, refused the login or a command, or dropped
    the connection. Nothing is lost: a message is marked on the server only after its documents
    are stored, and the next fetch takes up where this one stopped."""

    exit_code = ExitCode.MAIL_SERVER


class PrefectUnavailableError(PipelineError):
    """The Prefect server that PREFECT_API_URL names cannot be reached: nothing was done."""

    exit_code = ExitCode.PREFECT_UNAVAILABLE


class DiskFullError(PipelineError):
    """No space is left on the disk of the data home or of the store. What was recorded stays
    recorded and every original kept; the next run finishes what this one left."""

    exit_code = ExitCode.DISK_FULL


class InboxBusyError(PipelineError):
    """Another run is processing this data home's inbox: try again later."""

    exit_code = ExitCode.INBOX_BUSY


# SQLite's primary result codes (the low byte of ``sqlite3.Error.sqlite_errorcode``) and
# PostgreSQL's SQLSTATEs that say more than "the store failed".
_SQLITE_PERM, _SQLITE_READONLY, _SQLITE_CORRUPT, _SQLITE_FULL, _SQLITE_NOTADB = 3, 8, 11, 13, 26
_PG_INSUFFICIENT_PRIVILEGE, _PG_DISK_FULL = "42501", "53100"


def database_error(exc: Exception, where: str | None, *, opening: bool) -> PipelineError | None:
    """The PipelineError for a database error (SQLAlchemy's ``DBAPIError``) of the store at
    ``where`` (its URL, when known), or None when it is no fault of the store's (a defect: an SQL
    error, a constraint).

    ``opening``: raised while the store was opened and migrated, where any database error means
    the store cannot be used.
    """
    from sqlalchemy.exc import (
        OperationalError,  # only ever called with SQLAlchemy's errors
    )

    store = f"the tracking store at {where}" if where else "the tracking store"
    orig: Any = getattr(exc, "orig", None) or exc
    said = " ".join(str(getattr(getattr(orig, "diag", None), "message_primary", None) or orig).split())
    sqlite_code = getattr(orig, "sqlite_errorcode", None)
    primary = sqlite_code & 0xFF if isinstance(sqlite_code, int) else None
    sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if primary == _SQLITE_FULL or sqlstate == _PG_DISK_FULL:
        return DiskFullError(
            f"the disk of {store} is full ({said}).",
            hint="Free space on it and run again: what was recorded stays recorded, and the next run "
            "finishes what this one left.",
        )
    if primary in (_SQLITE_READONLY, _SQLITE_PERM):
        return ConfigurationError(
            f"{store} cannot be written ({said}).",
            hint="The data home, and the store file in it, must be writable by the user who runs "
            "psp-pipeline: check their owner and mode, or choose another data home with --home or PSP_HOME.",
        )
    if primary in (_SQLITE_NOTADB, _SQLITE_CORRUPT):
        return StoreError(
            f"{store} is damaged or is not an SQLite database ({said}).",
            hint="Nothing was changed: restore the store file from a backup (the originals in the "
            "data home are untouched), or set PSP_DATABASE_URL to the right store.",
        )
    if sqlstate == _PG_INSUFFICIENT_PRIVILEGE:
        return StoreError(
            f"the database role of {store} lacks a privilege the store needs ({said}).",
            hint="Grant it, e.g. GRANT CREATE ON SCHEMA public TO <role> (the store creates and migrates "
            "its own tables), or give PSP_DATABASE_URL a role that owns the database.",
        )
    if opening or isinstance(exc, OperationalError):
        return StoreError(
            f"cannot {'open' if opening else 'use'} {store} ({said}).",
            hint="Check that the database exists and is reachable, and that the data home is writable"
            + ("." if opening else "; a run that stopped is finished by the next."),
        )
    return None


# The failures of the world outside that are no defect, each the error it amounts to (``expected_error``).
_DISK_FULL = {errno.ENOSPC, errno.EDQUOT}
_NO_ACCESS = {errno.EACCES, errno.EPERM, errno.EROFS}
# What Prefect's client raises when PREFECT_API_URL names a server that does not answer.
_PREFECT_UNREACHABLE = re.compile(r"^Failed to reach API at (\S+)")


def expected_error(exc: BaseException) -> PipelineError | None:
    """The one-line error for ``exc``: itself for a PipelineError, the PipelineError it amounts to
    for a full disk, a permission, a failure of the store or an unreachable Prefect server; None
    for anything else (a defect)."""
    if isinstance(exc, PipelineError):
        return exc
    if isinstance(exc, OSError) and exc.errno in _DISK_FULL:
        where = f" ({exc.filename})" if exc.filename else ""
        return DiskFullError(
            f"no space left on the disk{where}: {exc.strerror}.",
            hint="Free space on it and run again: what was recorded stays recorded and every original is "
            "kept; the next run finishes what this one left (its notices and report).",
        )
    if isinstance(exc, OSError) and exc.errno in _NO_ACCESS and exc.filename:
        return ConfigurationError(
            f"{exc.filename}: {exc.strerror}.",
            hint="The data home and everything in it must be writable by the user who runs psp-pipeline "
            "(check their owner and mode), or choose another data home with --home or PSP_HOME.",
        )
    sqlalchemy_errors = sys.modules.get("sqlalchemy.exc")  # not imported: not one of its errors
    if sqlalchemy_errors is not None and isinstance(exc, sqlalchemy_errors.DBAPIError):
        return database_error(exc, None, opening=False)
    if isinstance(exc, RuntimeError) and (found := _PREFECT_UNREACHABLE.match(str(exc))):
        return prefect_unreachable(found.group(1), "no answer")
    return None


def prefect_unreachable(url: str, reason: str) -> PrefectUnavailableError:
    """The error for a Prefect server that does not answer at ``url``, saying how to go on without
    it: shared by the check before a run and by Prefect's own error when it finds out first."""
    return PrefectUnavailableError(
        f"the Prefect server at {url} cannot be reached ({reason}); nothing was done.",
        hint="Start it (psp-pipeline server), correct PREFECT_API_URL, or unset it to run with a temporary "
        "local server; --without-prefect runs without Prefect.",
    )
