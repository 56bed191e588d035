"""Fixtures of the report tests: a browser, the demo's report, a report full of hostile values,
an outbox of notices and a real SMTP server on 127.0.0.1."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from pipeline.load.store import StoredReceipt
from pipeline.model import ExtractedDocument, Outcome, ReceivedFile
from pipeline.report.document_report import document_summary
from pipeline.report.html import write_run_report
from pipeline.settings import Settings
from pipeline.validate import validate_document
from tests.conftest import DETROIT, VALID_PACKET, VALID_PLAN, make_document
from tests.report.browser import chromium, chromium_available
from tests.report.smtp import SmtpTestServer

HOSTILE = {
    "script": '<script>window.__pwned = "script"</script>',
    "img": '"><img src=x onerror="window.__pwned=\'img\'">',
    "close": "</script><script>window.__pwned = 'close'</script><!--",
    "handler": "' onmouseover='window.__pwned=1' x='",
}


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Chromium. Skipped where /usr/bin/chromium is missing, except in CI, where a
    missing browser is a failure of the setup (``make system-deps`` installs it)."""
    if not chromium_available():
        reason = "no /usr/bin/chromium: run `make system-deps` (as root) to install Debian's chromium"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"CI must run the browser tests, but {reason}")
        pytest.skip(reason)
    with chromium() as running:
        yield running


@pytest.fixture(scope="session")
def demo_home(tmp_path_factory) -> Settings:
    """The sample submissions processed once, as `make demo` does (SQLite, no Prefect)."""
    from pipeline.run import process
    from samples.stage import stage

    settings = Settings(home=tmp_path_factory.mktemp("demo") / "home", workers=2, database_url=None)
    stage(settings.data_home.inbox)
    process(settings).report_html  # noqa: B018
    return settings


@pytest.fixture(scope="session")
def outbox_origin(demo_home: Settings, tmp_path_factory, postgres_database: str | None) -> Iterator[Settings]:
    """The demo processed into the store the suite runs on: the demo's own SQLite store, or a
    PostgreSQL schema of its own under `make test-postgres`."""
    if postgres_database is None:
        yield demo_home
        return
    from pipeline.run import process
    from samples.stage import stage
    from tests.conftest import fresh_store_url

    with fresh_store_url(tmp_path_factory.mktemp("outbox-store"), postgres_database) as url:
        settings = Settings(home=tmp_path_factory.mktemp("outbox") / "home", workers=2, database_url=url)
        stage(settings.data_home.inbox)
        process(settings)
        yield settings


@pytest.fixture
def outbox_home(outbox_origin: Settings, tmp_path: Path) -> Iterator[Settings]:
    """The demo's data home and store with every notice unsent, for one test to change: a copy
    of the SQLite store, or the PostgreSQL store put back as it was after the test."""
    from sqlalchemy import text

    from pipeline.load.store import open_store

    if outbox_origin.database_url is None:
        root = tmp_path / "home"
        shutil.copytree(outbox_origin.data_home.root, root, ignore=shutil.ignore_patterns("prefect"))
        engine = open_store(f"sqlite:///{root / 'store.sqlite'}")
        with engine.begin() as connection:  # the notices' paths name the original folder
            connection.execute(
                text("UPDATE notices SET path = replace(path, :old, :new)"),
                {"old": str(outbox_origin.data_home.root), "new": str(root)},
            )
        engine.dispose()
        yield Settings(home=root, database_url=None)
        return
    engine = open_store(outbox_origin.database_url)
    with engine.connect() as connection:
        notices = connection.execute(text("SELECT id, kind FROM notices")).all()
        outcomes = connection.execute(text("SELECT id, outcome FROM received_files")).all()
    yield outbox_origin
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE notices SET sent_at = NULL, attempts = 0, last_error = NULL, claimed_at = NULL, "
                 "claimed_by = NULL, kind = :kind WHERE id = :id"),
            [{"id": i, "kind": k} for i, k in notices],
        )
        connection.execute(
            text("UPDATE received_files SET outcome = :outcome WHERE id = :id"), [{"id": i, "outcome": o} for i, o in outcomes]
        )
    engine.dispose()


def stored_receipt(n: int, document: ExtractedDocument, validation_context: Any, *, program: Any = None,
                   duplicate_of: str | None = None) -> StoredReceipt:
    """The document judged (against ``program``, a ``ProgramSnapshot``, when given) and stored as
    received file (and document) #``n``, as a run hands it to the report; ``duplicate_of``: the
    digest of the same bytes received before, which makes it a duplicate."""
    result = validate_document(document, validation_context, program)
    outcome = Outcome.DUPLICATE if duplicate_of else result.outcome
    return StoredReceipt(
        received_file_id=n,
        document_id=n,
        outcome=outcome,
        inbox_path=document.received.path,
        stored_path=Path("/srv/psp/originals") / outcome.value / document.received.original_name,
        result=result,
        duplicate_of=duplicate_of,
    )


@pytest.fixture(scope="session")
def hostile_report(tmp_path_factory, validation_context) -> Path:
    """A report of 240 documents (three pages at 100 a page) whose values, file names and
    sender try every way into the page's markup."""
    documents = []
    started = datetime(2026, 12, 2, 13, 0, tzinfo=UTC)
    for n in range(1, 241):
        form, values = ("PSP-REG", dict(VALID_PACKET)) if n % 2 else ("PSP-ORP", dict(VALID_PLAN))
        if n == 1:
            values.update(psp_first_name=HOSTILE["script"], psp_city=HOSTILE["img"], psp_street=HOSTILE["close"])
            values.update(psp_preferred_name=HOSTILE["handler"], psp_phone="<b>not a phone</b>")
            name = f'{HOSTILE["img"]}.pdf'
        elif n % 7 == 0:
            values["contact_phone" if form == "PSP-ORP" else "psp_phone"] = ""
            name = f"rejected-{n:03d}.pdf"
        else:
            name = f"form-{n:03d}.pdf"
        document = make_document(form, values, name=name, received_at=started + timedelta(minutes=n))
        if n == 1:
            document = document.model_copy(
                update={"received": ReceivedFile(**{**document.received.model_dump(), "sender": HOSTILE["script"] + "@x.org"})}
            )
        documents.append(document_summary(stored_receipt(n, document, validation_context), None, DETROIT))
    waiting = [
        {
            "id": 1,
            "file": documents[0].file,
            "received_at": started,
            "form_id": "PSP-REG",
            "outcome": "needs_review",
            "reason": HOSTILE["script"] + HOSTILE["img"],
            "more": 0,
        }
    ]
    folder = tmp_path_factory.mktemp("hostile") / "reports"
    html, _ = write_run_report(
        folder, run_id=7, started_at=started, finished_at=started, documents=documents, waiting=waiting, zone=DETROIT
    )
    return html


@pytest.fixture
def smtp_server() -> Iterator[SmtpTestServer]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1, on a free port; it keeps what it received."""
    with SmtpTestServer() as server:
        yield server
