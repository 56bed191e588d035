"""pipeline.prefect_env: Prefect kept local and quiet by default (its state in the data home, no
telemetry, its logs to warnings), and never over what the user set."""

from __future__ import annotations

import os

from pipeline.prefect_env import (
    EPHEMERAL_STARTUP_SECONDS,
    apply_prefect_defaults,
    prefect_defaults,
)


def test_prefect_keeps_its_state_in_the_home_given_and_sends_nothing_out(tmp_path):
    defaults = prefect_defaults(tmp_path / "prefect")
    assert defaults["PREFECT_HOME"] == str(tmp_path / "prefect")
    assert (defaults["PREFECT_SERVER_ANALYTICS_ENABLED"], defaults["DO_NOT_TRACK"]) == ("false", "1")
    assert defaults["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] == EPHEMERAL_STARTUP_SECONDS


def test_only_a_quiet_prefect_logs_warnings_alone(tmp_path):
    assert prefect_defaults(tmp_path)["PREFECT_LOGGING_LEVEL"] == "WARNING"
    assert "PREFECT_LOGGING_LEVEL" not in prefect_defaults(tmp_path, quiet=False)  # the server's own logs


def test_applying_the_defaults_keeps_what_the_user_set(tmp_path, monkeypatch):
    for name in prefect_defaults(tmp_path):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PREFECT_LOGGING_LEVEL", "DEBUG")
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "the-users-own"))

    apply_prefect_defaults(tmp_path / "prefect")

    assert os.environ["PREFECT_LOGGING_LEVEL"] == "DEBUG"
    assert os.environ["PREFECT_HOME"] == str(tmp_path / "the-users-own")
    assert os.environ["DO_NOT_TRACK"] == "1" and os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] == "false"
