"""pipeline.settings: one class read from the PSP_ environment once, its limits and time zone
checked there, and what follows from it (the data home's folders, the store, the reference data,
the office whose mail is forwarded)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from pipeline.settings import DataHome, Settings


@pytest.fixture
def environment(monkeypatch):
    """No PSP_ setting of the machine's: each test sets its own."""
    import os

    for name in [n for n in os.environ if n.startswith("PSP_")]:
        monkeypatch.delenv(name)
    return monkeypatch


def test_every_setting_comes_from_the_environment_with_the_psp_prefix(environment, tmp_path):
    environment.setenv("PSP_HOME", str(tmp_path / "home"))
    environment.setenv("PSP_BATCH_SIZE", "50")
    environment.setenv("PSP_CLAIM_FILES", "true")
    environment.setenv("PSP_SMTP_PASSWORD", "not-a-real-password")
    environment.setenv("PSP_SOMETHING_UNKNOWN", "ignored")
    settings = Settings()
    assert (settings.home, settings.batch_size, settings.claim_files) == (tmp_path / "home", 50, True)
    assert settings.smtp_password.get_secret_value() == "not-a-real-password"
    assert "not-a-real-password" not in repr(settings)  # a secret never shows in a log line


def test_the_defaults_need_no_environment(environment):
    settings = Settings()
    assert (settings.home, settings.database_url) == (Path("psp-data"), None)
    assert (settings.batch_size, settings.workers) == (200, 2)
    assert settings.zone == ZoneInfo("America/Detroit")
    assert settings.mail_date_window == timedelta(days=14)


@pytest.mark.parametrize(("name", "value"), [
    ("batch_size", 0), ("batch_size", 10_001), ("workers", 65), ("extract_timeout_seconds", 0),
    ("settle_seconds", -1), ("smtp_port", 0), ("worker_memory_mb", 1023), ("claim_lease_seconds", 0),
])
def test_a_setting_out_of_its_bounds_is_refused(environment, name, value):
    with pytest.raises(ValidationError, match=name):
        Settings(**{name: value})


def test_an_unknown_time_zone_is_refused_with_an_example(environment):
    with pytest.raises(ValidationError, match="use an IANA name such as America/Detroit"):
        Settings(timezone="Michigan/Lansing")


def test_settings_cannot_change_once_read(environment):
    with pytest.raises(ValidationError):
        Settings().batch_size = 5  # type: ignore[misc]


def test_the_data_home_is_absolute_and_its_folders_are_those_a_run_writes(environment, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    home = Settings(home=Path("relative/home")).data_home
    assert home.root == tmp_path / "relative" / "home"
    assert home.folders == (home.root, home.inbox, home.originals, home.notices, home.reports, home.staging)
    assert home.reference not in home.folders and home.prefect not in home.folders  # optional
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    assert Settings(home=Path("~/psp")).data_home.root == tmp_path / "user" / "psp"


def test_the_store_is_sqlite_in_the_data_home_unless_a_url_is_set(environment, tmp_path):
    assert Settings(home=tmp_path).store_url == f"sqlite:///{tmp_path / 'store.sqlite'}"
    url = "postgresql+psycopg://psp@db.example.org/psp"
    assert Settings(home=tmp_path, database_url=url).store_url == url


def test_reference_data_from_the_setting_else_the_data_homes_folder_else_the_packaged_copies(environment, tmp_path):
    settings = Settings(home=tmp_path / "home")
    assert settings.reference_folder is None
    DataHome(tmp_path / "home").reference.mkdir(parents=True)
    assert settings.reference_folder == tmp_path / "home" / "reference"
    chosen = Settings(home=tmp_path / "home", reference_dir=tmp_path / "coordinator")
    assert chosen.reference_folder == tmp_path / "coordinator"


def test_the_office_is_its_domains_and_the_coordinators_own_address(environment):
    settings = Settings(office_domains=" michigan.gov, MDHHS.example ,", coordinator_email="Coordinator@Example.org")
    office = settings.office
    assert office.owns("someone@michigan.gov") and office.owns("a.person@mdhhs.example")
    assert office.owns("coordinator@example.org")
    assert not office.owns("avery.sample@agency.example.org")


def test_a_worker_is_named_by_its_host_and_process(environment, monkeypatch):
    import os
    import socket

    monkeypatch.setattr(socket, "gethostname", lambda: "worker-1.example.org")
    assert Settings().worker_name == f"worker-1.example.org:{os.getpid()}"
