"""pipeline.errors: one tree, each error with its exit status, and the failures of the world outside
(a full disk, a permission, the store, Prefect's server) told apart from defects.

The command line's one-line errors, end to end, are attacked in tests/attacks/test_one_line_errors.py;
here each mapping is checked on its own, without a process or a server.
"""

from __future__ import annotations

import errno
from types import SimpleNamespace

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from pipeline.errors import (
    BadInputError,
    ConfigurationError,
    DeliveryError,
    DiskFullError,
    DocumentUnreadable,
    ExitCode,
    InboxBusyError,
    MailServerError,
    MailUnreadable,
    PipelineError,
    PrefectUnavailableError,
    StoreError,
    database_error,
    expected_error,
    prefect_unreachable,
)


@pytest.mark.parametrize(("error", "code"), [
    (PipelineError, ExitCode.DEFECT),
    (BadInputError, ExitCode.BAD_INPUT),
    (DocumentUnreadable, ExitCode.BAD_INPUT),
    (MailUnreadable, ExitCode.BAD_INPUT),
    (ConfigurationError, ExitCode.CONFIGURATION),
    (StoreError, ExitCode.STORE),
    (DeliveryError, ExitCode.DELIVERY),
    (MailServerError, ExitCode.MAIL_SERVER),
    (PrefectUnavailableError, ExitCode.PREFECT_UNAVAILABLE),
    (DiskFullError, ExitCode.DISK_FULL),
    (InboxBusyError, ExitCode.INBOX_BUSY),
])
def test_each_error_carries_its_own_exit_status(error, code):
    assert issubclass(error, PipelineError) and error("x").exit_code is code


def test_the_exit_statuses_are_distinct_and_those_a_scheduler_knows():
    assert len({int(code) for code in ExitCode}) == len(ExitCode)
    assert (ExitCode.PREFECT_UNAVAILABLE, ExitCode.DISK_FULL, ExitCode.INBOX_BUSY) == (69, 74, 75)  # sysexits.h


def test_an_error_says_what_is_wrong_then_what_to_do():
    error = ConfigurationError("the data home is missing.", hint="Run init.")
    assert str(error) == "the data home is missing. Run init."
    assert (error.message, error.hint) == ("the data home is missing.", "Run init.")
    assert str(StoreError("no hint.")) == "no hint."


# -- the store's database errors ----------------------------------------------------------------


def sqlite_error(code: int, said: str = "it failed") -> OperationalError:
    """SQLAlchemy's error around a sqlite3 error with this (extended) result code."""
    orig = type("SqliteError", (Exception,), {"sqlite_errorcode": code})(said)
    return OperationalError("SELECT 1", {}, orig)


def postgres_error(sqlstate: str, said: str) -> DBAPIError:
    """SQLAlchemy's error around a psycopg error with this SQLSTATE and primary message."""
    orig = type("PostgresError", (Exception,), {"sqlstate": sqlstate, "diag": SimpleNamespace(message_primary=said)})(
        f"{said}\nDETAIL: more lines"
    )
    return DBAPIError("SELECT 1", {}, orig)


def test_a_file_that_is_no_sqlite_database_is_a_damaged_store(tmp_path):
    path = tmp_path / "store.sqlite"
    path.write_bytes(b"not a database, whatever its name says" * 100)
    engine = create_engine(f"sqlite:///{path}")
    with pytest.raises(DBAPIError) as raised, engine.connect() as connection:
        connection.execute(text("SELECT * FROM sqlite_master"))
    engine.dispose()
    error = database_error(raised.value, "sqlite:///store.sqlite", opening=False)
    assert isinstance(error, StoreError)
    assert "the tracking store at sqlite:///store.sqlite is damaged" in error.message and "backup" in error.hint


@pytest.mark.parametrize(("code", "kind", "said"), [
    (13, DiskFullError, "disk of the tracking store is full"),
    (13 | (1 << 8), DiskFullError, "disk of the tracking store is full"),  # an extended code: its low byte counts
    (8, ConfigurationError, "cannot be written"),  # SQLITE_READONLY
    (3, ConfigurationError, "cannot be written"),  # SQLITE_PERM
    (11, StoreError, "is damaged"),  # SQLITE_CORRUPT
    (5, StoreError, "cannot use the tracking store"),  # SQLITE_BUSY: an operational error of the store
])
def test_sqlite_result_codes_say_what_is_wrong_with_the_store(code, kind, said):
    error = database_error(sqlite_error(code), None, opening=False)
    assert type(error) is kind and said in error.message


@pytest.mark.parametrize(("sqlstate", "kind", "said"), [
    ("53100", DiskFullError, "disk of the tracking store is full"),
    ("42501", StoreError, "lacks a privilege"),
])
def test_postgresql_sqlstates_say_what_is_wrong_with_the_store(sqlstate, kind, said):
    error = database_error(postgres_error(sqlstate, "permission denied for schema public"), None, opening=False)
    assert type(error) is kind and said in error.message
    assert "(permission denied for schema public)" in error.message and "DETAIL" not in error.message  # one line


def test_any_database_error_while_opening_means_the_store_cannot_be_used():
    integrity = IntegrityError("INSERT", {}, Exception("UNIQUE constraint failed"))
    assert database_error(integrity, None, opening=False) is None  # a defect, with its traceback
    opening = database_error(integrity, "postgresql://db/psp", opening=True)
    assert isinstance(opening, StoreError)
    assert opening.message.startswith("cannot open the tracking store at postgresql")


# -- what the command line shows in one line ----------------------------------------------------


def test_a_pipeline_error_is_shown_as_it_is():
    error = InboxBusyError("another run holds the inbox.")
    assert expected_error(error) is error


def test_a_full_disk_is_a_disk_full_error_naming_where():
    error = expected_error(OSError(errno.ENOSPC, "No space left on device", "/srv/psp/reports/run-00001.html"))
    assert isinstance(error, DiskFullError)
    assert error.message == "no space left on the disk (/srv/psp/reports/run-00001.html): No space left on device."
    assert isinstance(expected_error(OSError(errno.EDQUOT, "Disk quota exceeded")), DiskFullError)


@pytest.mark.parametrize("number", [errno.EACCES, errno.EPERM, errno.EROFS])
def test_a_file_that_may_not_be_written_is_a_configuration_error(number):
    error = expected_error(OSError(number, "Permission denied", "/srv/psp/inbox"))
    assert isinstance(error, ConfigurationError) and error.message == "/srv/psp/inbox: Permission denied."


def test_a_permission_error_about_no_file_is_a_defect():
    assert expected_error(OSError(errno.EACCES, "Permission denied")) is None


def test_an_unreachable_prefect_server_is_named_with_how_to_go_on():
    error = expected_error(RuntimeError("Failed to reach API at http://127.0.0.1:9/api/"))
    assert isinstance(error, PrefectUnavailableError)
    assert "http://127.0.0.1:9/api/" in error.message and "--without-prefect" in error.hint
    assert expected_error(RuntimeError("something else")) is None


def test_a_database_error_is_the_stores_and_anything_else_a_defect():
    assert isinstance(expected_error(sqlite_error(13)), DiskFullError)
    assert expected_error(IntegrityError("INSERT", {}, Exception("constraint"))) is None
    assert expected_error(ValueError("a defect")) is None
    assert expected_error(KeyboardInterrupt()) is None


def test_prefect_unreachable_says_why_and_that_nothing_was_done():
    error = prefect_unreachable("http://prefect.example.org/api", "connection refused")
    assert error.message == ("the Prefect server at http://prefect.example.org/api cannot be reached "
                             "(connection refused); nothing was done.")
    assert error.exit_code is ExitCode.PREFECT_UNAVAILABLE and "PREFECT_API_URL" in error.hint
