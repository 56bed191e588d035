"""A run by hand while the data home's Prefect server runs: ``psp-pipeline run`` finds the server
``psp-pipeline server`` noted, without PREFECT_API_URL, and is recorded there as a flow run of
``process-inbox`` with its state, its own log lines and its artifacts, and no field value; a run
that fails is Failed there and one line on the console (``pipeline.prefect_record``)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import httpx
import pytest

from pipeline.prefect_record import note_server
from pipeline.report.summary import DOCUMENTS_KEY, REPORT_KEY, SUMMARY_KEY
from tests.flows import served
from tests.flows.served import planted_inbox, planted_words

pytestmark = pytest.mark.flow

prefect_server = served.prefect_server  # a real Prefect server on a free port


def _by_hand(home: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    """``psp-pipeline run`` as a person types it: no PREFECT_API_URL, no PSP_ setting."""
    environment = {k: v for k, v in env.items() if not k.startswith("PSP_") and k != "PREFECT_API_URL"}
    return subprocess.run([str(served.BIN / "psp-pipeline"), "run", "--home", str(home)],
                          env=environment, capture_output=True, text=True, timeout=600)


def _flow_runs(api: str) -> list[dict]:
    return httpx.post(f"{api}/flow_runs/filter", json={}, timeout=10).json()


def _noted(api: str, env: dict[str, str]) -> None:
    """The server noted as ``psp-pipeline server`` notes itself (this live process standing in for it)."""
    port = int(api.rsplit(":", 1)[1].split("/")[0])
    note_server(Path(env["PREFECT_HOME"]), "127.0.0.1", port)


def test_a_run_by_hand_finds_the_noted_server_and_is_recorded_there_without_a_value(prefect_server, tmp_path):
    api, env = prefect_server
    home = tmp_path / "home"
    planted_inbox(home)
    _noted(api, env)

    run = _by_hand(home, env)

    assert run.returncode == 0, run.stdout + run.stderr
    assert "Run 1: 2 files processed." in run.stdout
    (flow_run,) = _flow_runs(api)
    assert flow_run["state_type"] == "COMPLETED" and "by-hand" in flow_run["tags"]
    flow = httpx.get(f"{api}/flows/{flow_run['flow_id']}", timeout=10).json()
    assert flow["name"] == "process-inbox"
    logs = httpx.post(f"{api}/logs/filter", json={"logs": {"flow_run_id": {"any_": [flow_run["id"]]}}},
                      timeout=10).json()
    messages = [log["message"] for log in logs]
    assert any("files in the inbox" in m for m in messages), messages
    assert any(m.startswith("run ") and " completed: " in m for m in messages), messages
    artifacts = httpx.post(f"{api}/artifacts/filter",
                           json={"artifacts": {"flow_run_id": {"any_": [flow_run["id"]]}}}, timeout=10).json()
    by_key = {a["key"]: a for a in artifacts}
    assert set(by_key) == {SUMMARY_KEY, DOCUMENTS_KEY, REPORT_KEY}
    assert by_key[DOCUMENTS_KEY]["type"] == "table" and '"outcome": "rejected"' in by_key[DOCUMENTS_KEY]["data"]
    assert (home / "reports" / "run-00001.html").as_uri() in by_key[REPORT_KEY]["data"]
    # The console is as before: the INFO lines went to the server only.
    assert "files in the inbox" not in run.stderr
    text = "\n".join(messages + [str(a["data"]) for a in artifacts])
    for word in planted_words():
        assert word not in text, f"{word!r} reached Prefect"


def test_a_run_by_hand_that_fails_is_failed_in_the_server_and_one_line(prefect_server, tmp_path):
    api, env = prefect_server
    home = tmp_path / "home"
    environment = {k: v for k, v in env.items() if k != "PREFECT_API_URL"}
    subprocess.run([str(served.BIN / "psp-pipeline"), "init", "--home", str(home)], env=environment, check=True,
                   capture_output=True)
    for leftover in home.glob("store.sqlite-*"):
        leftover.unlink()
    (home / "store.sqlite").write_bytes(os.urandom(64 * 1024))
    _noted(api, env)

    run = _by_hand(home, env)

    assert run.returncode == 5, run.stderr
    assert len(run.stderr.splitlines()) == 1 and "Traceback" not in run.stderr
    (flow_run,) = _flow_runs(api)
    assert flow_run["state_type"] == "FAILED"
    assert flow_run["state"]["message"].startswith("Stopped on ")


def test_a_server_named_that_does_not_answer_stops_the_run_before_anything_is_done(tmp_path):
    home = tmp_path / "home"
    subprocess.run([str(served.BIN / "psp-pipeline"), "init", "--home", str(home)], check=True, capture_output=True,
                   env={k: v for k, v in os.environ.items() if not k.startswith(("PSP_", "PREFECT_"))})
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("PSP_", "PREFECT_"))}
    run = subprocess.run([str(served.BIN / "psp-pipeline"), "run", "--home", str(home)],
                         env={**environment, "PREFECT_API_URL": "http://127.0.0.1:9/api"},
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 69 and "http://127.0.0.1:9/api" in run.stderr
    assert not list((home / "reports").glob("run-*.html"))
