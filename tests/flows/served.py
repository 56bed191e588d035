"""What the flow tests against a real Prefect server share: the server (``prefect_server``), the
nightly deployment served from a data home (``served_nightly``), and an inbox of packets holding
distinctive planted values that must reach no log, artifact or email (``planted_inbox``)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

BIN = Path(sys.executable).parent

PLANTED = {
    "psp_first_name": "Quillonia",
    "psp_last_name": "Vexworthington",
    "psp_preferred_name": "Quilly",
    "psp_email": "quillonia.vexworth@example.org",
    "psp_phone": "(517) 555-0197",
    "psp_street": "4417 Plantedvalue Road",
    "psp_city": "Zzyzxtown",
    "accommodations": "Needs a Plantednarrative quiet room",
    "supervisor_name": "Ozymandias Plantsworth",
    "psp_signature": "Quillonia Vexworthington",
}


def planted_inbox(home: Path) -> None:
    """Two registration packets holding the values of ``PLANTED`` in ``home``'s inbox, one of
    them rejected."""
    from samples.fill import fill_pdf
    from tests.conftest import VALID_PACKET

    (home / "inbox").mkdir(parents=True)
    forms = Path(__file__).resolve().parents[2] / "samples" / "forms"
    for name, changes in (("packet.pdf", {}), ("bad-packet.pdf", {"psp_phone": "555-01", "psp_zip": "9"})):
        target = home / "inbox" / name
        fill_pdf(forms / "PSP-REG_2025.1.pdf", {**VALID_PACKET, **PLANTED, **changes}, target)
        arrival = datetime(2026, 12, 2, 15, tzinfo=UTC).timestamp()
        os.utime(target, (arrival, arrival))


def planted_words() -> list[str]:
    """The planted values' distinctive words (a value may be split across lines)."""
    words = []
    for value in PLANTED.values():
        words += [part for part in value.replace("(", " ").replace(")", " ").split() if len(part) >= 6]
    return words


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = check()
            if value:
                return value
        except Exception:  # not up yet
            pass
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def prefect_server(tmp_path):
    """A real Prefect server on a free port: its API URL, and the environment that names it."""
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {
        **os.environ,
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "PREFECT_API_URL": api,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_LOGGING_LEVEL": "WARNING",
    }
    log = open(tmp_path / "server.log", "w")  # noqa: SIM115
    server = subprocess.Popen([str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                              env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: httpx.get(f"{api}/health", timeout=2).status_code == 200, 120, "the Prefect server")
        yield api, env
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


@contextlib.contextmanager
def served_nightly(api: str, env: dict[str, str], home: Path, log_path: Path, *options: str,
                   stop_with: signal.Signals = signal.SIGINT) -> Iterator[Any]:
    """``psp-pipeline serve --home home *options`` running against the server at ``api``, named to
    this process's Prefect too; the served deployment once it is there. Stopped (SIGINT) after."""
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    serve_log = open(log_path, "w")  # noqa: SIM115
    serving = subprocess.Popen([str(BIN / "psp-pipeline"), "serve", "--home", str(home), *options],
                               env=env, stdout=serve_log, stderr=subprocess.STDOUT)
    try:
        # Prefect reads its settings when it is first imported, maybe by another test module of
        # this session: the server is named to it here too, not only in the environment.
        with temporary_settings({PREFECT_API_URL: api}):
            def deployment():
                with get_client(sync_client=True) as client:
                    return client.read_deployment_by_name("process-inbox/nightly")

            yield wait_until(deployment, 90, "the deployment to be served")
    finally:
        serving.send_signal(stop_with)
        try:
            serving.wait(timeout=30)
        except subprocess.TimeoutExpired:
            serving.kill()
        serve_log.close()
