"""Shared fixtures: valid synthetic values for both forms, documents built from them, settings in a
temporary data home. No real person's data: every name, email and phone here is invented.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from pipeline.model import (
    ExtractedDocument,
    FieldValue,
    InputKind,
    ReadMethod,
    ReceivedFile,
)
from pipeline.settings import Settings
from pipeline.validate import ValidationContext
from schemas.reference import load_reference

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "samples"
DETROIT = ZoneInfo("America/Detroit")

# Received on 2026-12-02 at 10:00 in Michigan.
RECEIVED_AT = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)

VALID_PLAN: dict[str, str | bool] = {
    "cmhsp_name": "CMHA-CEI",
    "employment_model": "CMHSP",
    "provider_agency_name": "",
    "agency_street": "812 E. Jolly Road",
    "agency_city": "Lansing",
    "agency_zip": "48910",
    "counties_served": "Clinton, Eaton and Ingham",
    "contact_name": "Avery Sample",
    "contact_title": "Family Services Director",
    "contact_email": "avery.sample@example.org",
    "contact_phone": "(517) 555-0142",
    "director_name": "Morgan Placeholder",
    "submission_type": "Initial plan",
    "psp_positions_planned": "3",
    "fte_per_position": "0.75",
    "planned_start_date": "March 1, 2027",
    "hiring_lived_experience": True,
    "supervisor_name": "Riley Testperson",
    "supervisor_credential": "Licensed Master Social Worker (LMSW)",
    "supervisor_credential_other": "",
    "supervisor_is_qmhp": True,
    "supervisor_email": "riley.testperson@example.org",
    "supervisor_phone": "517.555.0143",
    "supervisor_direct_knowledge": True,
    "supervisor_clinical_direction": True,
    "supervisor_team_integration": True,
    "supervision_frequency": "Weekly",
    "commit_employ": True,
    "commit_supervisor": True,
    "commit_clinical_supervision": True,
    "commit_data_collection": True,
    "commit_staff_training": True,
    "commit_travel_funds": True,
    "commit_personnel_time": True,
    "commit_equipment": True,
    "service_attached_to_goal": True,
    "integrated_in_fcp": True,
    "integration_plan": "Each PSP joins the home-based and wraparound teams, attends the weekly team meeting "
    "and is named in every Family Centered Plan where the family chooses PSP services.",
    "referral_process": "Case managers offer PSP services at intake and at each plan review; families can also "
    "ask for a PSP directly through the access center.",
    "director_signature": "Morgan Placeholder",
    "director_signature_date": "11/20/2026",
    "supervisor_signature": "Riley Testperson",
    "supervisor_signature_date": "2026-11-19",
}

VALID_PACKET: dict[str, str | bool] = {
    "psp_first_name": "Jordan",
    "psp_last_name": "Example",
    "psp_preferred_name": "Jo",
    "psp_email": "jordan.example@example.org",
    "psp_phone": "+1 517 555 0150",
    "psp_street": "100 Sample Street",
    "psp_city": "Mason",
    "psp_state": "MI",
    "psp_zip": "48854",
    "psp_county": "Ingham County",
    "hire_date": "11/16/2026",
    "position_type": "Full-time",
    "hours_per_week": "40",
    "lived_experience_parent": True,
    "lived_experience_systems": True,
    "child_condition_sed": True,
    "child_condition_idd": False,
    "child_condition_autism": True,
    "cmhsp_name": "CEI CMH",
    "employer_type": "CMHSP",
    "provider_agency_name": "",
    "supervisor_name": "Riley Testperson",
    "supervisor_credential": "Licensed Master Social Worker (LMSW)",
    "supervisor_email": "riley.testperson@example.org",
    "supervisor_phone": "(517) 555-0143",
    "training_session": "2027-01-LAN",
    "lodging_needed": "No",
    "accommodations": "",
    "commit_classroom": True,
    "commit_coaching": True,
    "commit_quarterly_pd": True,
    "ack_confidentiality": True,
    "psp_signature": "Jordan Example",
    "psp_signature_date": "12/1/26",
    "supervisor_signature": "Riley Testperson",
    "supervisor_signature_date": "12/01/2026",
    "director_signature": "Morgan Placeholder",
    "director_signature_date": "December 1, 2026",
}

VALID_VALUES = {"PSP-ORP": VALID_PLAN, "PSP-REG": VALID_PACKET}


# Every stand-in file lives under one folder removed when the test run ends (not one left in /tmp per document).
_DOCUMENTS_ROOT = tempfile.TemporaryDirectory(prefix="psp-test-documents-")


def make_document(
    form_id: str,
    values: dict[str, Any],
    *,
    received_at: datetime = RECEIVED_AT,
    method: ReadMethod = ReadMethod.ACROFORM,
    name: str = "form.pdf",
) -> ExtractedDocument:
    # A real file: the store records only files that are still where they were received.
    path = Path(tempfile.mkdtemp(prefix="psp-doc-", dir=_DOCUMENTS_ROOT.name)) / name
    path.parent.mkdir(parents=True, exist_ok=True)  # a hostile name may hold a slash
    path.write_bytes(b"%PDF-1.7 stand-in")
    received = ReceivedFile(path=path, original_name=name, sha256="0" * 64, size=1, received_at=received_at)
    fields = {
        key: FieldValue(key=key, value=value, method=method, location="page 1", confidence=1.0)
        for key, value in values.items()
    }
    return ExtractedDocument(
        received=received,
        kind=InputKind.FILLABLE_PDF,
        form_id=form_id,
        form_version="2025.1",
        fields=fields,
    )


@pytest.fixture(scope="session")
def validation_context() -> ValidationContext:
    return ValidationContext(reference=load_reference(None), timezone=DETROIT)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The PostgreSQL pass (PSP_TEST_POSTGRES_URL set) runs only the tests that can reach a store:
    every store in the suite is made through the ``postgres_database`` fixture, so a test without
    it in its fixtures runs exactly as in the SQLite pass, and repeating the reading and OCR tests
    would only double CI's time."""
    if not os.environ.get("PSP_TEST_POSTGRES_URL"):
        return
    storeless = [item for item in items if "postgres_database" not in getattr(item, "fixturenames", ())]
    if storeless:
        config.hook.pytest_deselected(items=storeless)
        items[:] = [item for item in items if "postgres_database" in getattr(item, "fixturenames", ())]


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str | None]:
    """With PSP_TEST_POSTGRES_URL (a server URL), one database created for this test run and
    dropped after it; without it, None: the tests use SQLite."""
    server_url = os.environ.get("PSP_TEST_POSTGRES_URL")
    if not server_url:
        yield None
        return
    name = f"psp_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    server = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with server.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


@contextmanager
def fresh_store_url(folder: Path, postgres_database: str | None) -> Iterator[str]:
    """A fresh, empty store: SQLite in ``folder``, or a schema of its own in PostgreSQL."""
    if postgres_database is None:
        yield f"sqlite:///{folder / 'store.sqlite'}"
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = create_engine(postgres_database)
    with engine.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(postgres_database).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


@pytest.fixture
def database_url(tmp_path: Path, postgres_database: str | None) -> Iterator[str]:
    with fresh_store_url(tmp_path, postgres_database) as url:
        yield url


@pytest.fixture(scope="module")
def module_database_url(tmp_path_factory, postgres_database: str | None) -> Iterator[str]:
    with fresh_store_url(tmp_path_factory.mktemp("store"), postgres_database) as url:
        yield url


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(home=tmp_path / "home", workers=2, database_url=database_url)


@pytest.fixture(scope="session")
def extraction_pool():
    """Worker processes for intake tests: emails are unpacked only there, under the readers' limits."""
    from pipeline.workers import ExtractionPool

    pool = ExtractionPool(workers=1, timeout_seconds=60, memory_mb=1536)
    yield pool
    pool.close()


@pytest.fixture
def collect(extraction_pool):
    """``collect_inbox`` of a folder, its emails unpacked by the workers into ``<folder>/../staging``."""
    from pipeline.intake import collect_inbox

    def collect_files(inbox: Path, **options: Any) -> list[ReceivedFile]:
        return collect_inbox(inbox, inbox.parent / "staging", extraction_pool.unpack_all, **options)

    return collect_files


def require_tools(missing: list[str]) -> None:
    """Skip the test when a tool it needs is not installed, except in CI (``CI=true``), where it fails."""
    if not missing:
        return
    message = f"not installed: {'; '.join(missing)} (run `make setup` and `make system-deps`)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def engine(database_url: str):
    """A store on the test's database (SQLite, or PostgreSQL under ``make test-postgres``)."""
    from pipeline.load import store

    engine = store.open_store(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def record(engine, validation_context, tmp_path):
    """``record(*documents)``: ``program.record_batch`` of one run, as a run records a batch
    (its stored documents and releases); ``record.destination`` says where originals are kept."""
    from pipeline.load import program, store

    run_id = store.start_run(engine)

    def destination(received, outcome):
        return tmp_path / outcome.value / received.original_name

    def run(*documents):
        return program.record_batch(engine, run_id, list(documents), validation_context, destination)

    run.destination = destination
    return run


def form_as_read(form_id: str, changes: dict[str, Any] | None = None, *, number: int, minutes: int = 0,
                 unsure: str | None = None) -> ExtractedDocument:
    """The valid form with ``changes``, received ``minutes`` after RECEIVED_AT, with bytes (sha256)
    of its own by ``number``; ``unsure`` names a field read below the confidence a value is decided
    on (the form goes to a person)."""
    from datetime import timedelta

    values = {**(VALID_PLAN if form_id == "PSP-ORP" else VALID_PACKET), **(changes or {})}
    document = make_document(form_id, values, received_at=RECEIVED_AT + timedelta(minutes=minutes),
                             name=f"{form_id}-{number}.pdf")
    if unsure:
        fields = dict(document.fields)
        fields[unsure] = fields[unsure].model_copy(update={"confidence": 0.5})
        document = document.model_copy(update={"fields": fields})
    return document.model_copy(update={"received": document.received.model_copy(update={"sha256": f"{number:064d}"})})
