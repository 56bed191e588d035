"""A run by hand recorded in a Prefect server that is already running, without Prefect's client.

``psp-pipeline run`` through Prefect's flow engine costs seconds before any work: importing Prefect
alone takes about 1.5 s on the 2-core machine, and without a server a temporary one starts (~8 s).
When a server runs for the data home (``psp-pipeline server`` notes its address in
``$PREFECT_HOME/server.json``, or ``PREFECT_API_URL`` names one), a run by hand does the steps
of ``pipeline.run.process`` in this process and records them in that server through its REST
API: a flow run of the flow ``process-inbox`` (Running,
then Completed or Failed), the program's own log lines, and the run's artifacts, as a flow run
would leave them. It has no task runs: the nightly runs, which the server's deployment starts,
keep Prefect's whole engine (``flows/process_inbox.py``).

The few JSON requests go through the standard library's ``urllib``: httpx, which Prefect's client
uses, costs about 0.9 s to import and to make its client (its TLS context) on the 2-core machine,
half of a run by hand's 2 s (``benchmarks/run_by_hand.py``).

The recording never stops the work: once the flow run is made, a server that stops answering is
one warning line, and the run's documents are stored all the same.
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipeline.errors import prefect_unreachable
from pipeline.fileops import write_atomic
from pipeline.prefect_env import PROGRAM_LOGGERS
from pipeline.report.models import RunSummary
from pipeline.report.summary import RunArtifact, run_artifacts
from pipeline.run_log import program_lines_at_info
from pipeline.settings import Settings

log = logging.getLogger(__name__)

FLOW_NAME = "process-inbox"  # the flow a served run is a run of (flows/process_inbox.py)
SERVER_NOTE = "server.json"  # in $PREFECT_HOME: where `psp-pipeline server` says it listens
ANSWER_SECONDS = 2.0  # a server on this machine answers its health check in milliseconds
REQUEST_SECONDS = 10.0
LOG_LINES_KEPT = 5000  # a run's lines sent to the server at most (a run writes a few per batch)
LOGS_AT_ONCE = 500


def note_server(prefect_home: Path, host: str, port: int) -> str:
    """Say in ``prefect_home`` that this process is the data home's Prefect server, at ``host``
    and ``port``, for runs by hand to find (``running_server``); the API's address."""
    reachable = "127.0.0.1" if host in ("", "0.0.0.0", "::") else host
    api_url = f"http://{reachable}:{port}/api"
    prefect_home.mkdir(parents=True, exist_ok=True)
    write_atomic(prefect_home / SERVER_NOTE, json.dumps({"api_url": api_url, "pid": os.getpid()}).encode())
    return api_url


def _noted_server(prefect_home: Path) -> str | None:
    """The address ``note_server`` left, while the process that left it lives."""
    try:
        note = json.loads((prefect_home / SERVER_NOTE).read_text("utf-8"))
        api_url, pid = str(note["api_url"]), int(note["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None  # the server stopped; its note stays until the next `psp-pipeline server`
    except PermissionError:
        pass  # another user's process: alive
    return api_url


class ApiError(Exception):
    """The server did not answer, or answered with an error status."""


def _call(api_url: str, path: str, body: Any = None, timeout: float = REQUEST_SECONDS) -> Any:
    """``path`` of the API at ``api_url``: GET, or POST of ``body`` as JSON; the answer's JSON."""
    request = urllib.request.Request(
        f"{api_url.rstrip('/')}{path}", data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Accept": "application/json"},
        method="GET" if body is None else "POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            answer = response.read()
    except urllib.error.HTTPError as exc:
        raise ApiError(f"{exc.code} {exc.reason} from {path}") from exc
    except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise ApiError(str(reason) or type(exc).__name__) from exc
    try:
        return json.loads(answer) if answer else None
    except ValueError as exc:
        raise ApiError(f"an answer that is not JSON from {path}") from exc


def _answers(api_url: str) -> str | None:
    """None when the server answers its health check, else why not."""
    try:
        _call(api_url, "/health", timeout=ANSWER_SECONDS)
    except ApiError as exc:
        return str(exc)
    return None


def running_server(settings: Settings) -> str | None:
    """The API of the Prefect server a run by hand records itself in: the one ``PREFECT_API_URL``
    names (in the environment or Prefect's profile), which must answer (else PrefectUnavailableError,
    nothing done), or the one ``psp-pipeline server`` runs for this data home, when it answers.
    None: no server runs, and a run starts a temporary one as before."""
    from pipeline.report.prefect_server import prefect_place

    prefect_home = settings.data_home.prefect
    named = prefect_place(prefect_home).api_url
    if named:
        if (why := _answers(named)) is not None:
            raise prefect_unreachable(named, why)
        return named
    noted = _noted_server(Path(os.environ.get("PREFECT_HOME") or prefect_home))
    if noted and _answers(noted) is None:
        return noted
    return None


class _Lines(logging.Handler):
    """The program's lines of the run, kept to be sent to its flow run's log at the end."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if len(self.records) < LOG_LINES_KEPT:
            self.records.append(record)


class RecordedFlowRun:
    """A flow run of ``process-inbox`` in the server at ``api_url``, made by hand: its states, its
    log lines and its artifacts go through the server's REST API."""

    def __init__(self, api_url: str, home: Path) -> None:
        self.api_url = api_url.rstrip("/")
        try:
            flow = self._post("/flows/", {"name": FLOW_NAME})
            self.id = self._post("/flow_runs/", {
                "flow_id": flow["id"], "parameters": {"home": str(home)}, "tags": ["by-hand"],
                "state": {"type": "RUNNING", "name": "Running"},
            })["id"]
        except ApiError as exc:
            raise prefect_unreachable(self.api_url, str(exc)) from exc
        self.unrecorded: list[str] = []  # what the server did not take, said once at the end

    def _post(self, path: str, body: Any) -> Any:
        return _call(self.api_url, path, body)

    def _try(self, what: str, path: str, body: Any) -> None:
        try:
            self._post(path, body)
        except ApiError as exc:
            self.unrecorded.append(f"{what} ({exc})")

    def publish(self, artifacts: list[RunArtifact]) -> None:
        """The run's artifacts, as a flow run's would be."""
        for artifact in artifacts:
            self._try(f"artifact {artifact.key}", "/artifacts/", {
                "key": artifact.key, "type": artifact.kind, "data": artifact.data,
                "description": artifact.description, "flow_run_id": self.id,
            })

    def send_lines(self, records: list[logging.LogRecord]) -> None:
        """The program's lines, in the flow run's log."""
        lines = [{
            "name": r.name, "level": r.levelno, "message": r.getMessage(), "flow_run_id": self.id,
            "timestamp": datetime.fromtimestamp(r.created, UTC).isoformat(),
        } for r in records]
        for start in range(0, len(lines), LOGS_AT_ONCE):
            self._try("log lines", "/logs/", lines[start:start + LOGS_AT_ONCE])

    def finish(self, state_type: str, message: str | None = None) -> None:
        """The flow run's last state (COMPLETED, FAILED or CRASHED), then what was not recorded, in one line."""
        self._try("its end", f"/flow_runs/{self.id}/set_state", {
            "state": {"type": state_type, "name": state_type.capitalize(), "message": message}, "force": True,
        })
        if self.unrecorded:
            log.warning("Prefect's server at %s did not record all of flow run %s: %s; the run itself is stored.",
                        self.api_url, self.id, "; ".join(self.unrecorded))


@contextmanager
def recorded_in(api_url: str, home: Path) -> Iterator[RecordedFlowRun]:
    """A flow run in the server at ``api_url`` for as long as this lasts, holding the program's
    lines made meanwhile; Completed at the end, Failed on an error (named by its kind only, as
    its text could quote a form), Crashed when interrupted."""
    lines = _Lines()
    loggers = [logging.getLogger(name) for name in PROGRAM_LOGGERS]
    recorded = RecordedFlowRun(api_url, home)
    for logger in loggers:
        logger.addHandler(lines)
    try:
        with program_lines_at_info(lambda handler: handler is lines):
            yield recorded
    except BaseException as exc:
        _remove(loggers, lines)
        recorded.send_lines(lines.records)
        failed = "FAILED" if isinstance(exc, Exception) else "CRASHED"
        recorded.finish(failed, f"Stopped on {type(exc).__name__}; the command's output says what to do.")
        raise
    _remove(loggers, lines)
    recorded.send_lines(lines.records)
    recorded.finish("COMPLETED")


def _remove(loggers: list[logging.Logger], handler: logging.Handler) -> None:
    for logger in loggers:
        logger.removeHandler(handler)


def process_recorded(settings: Settings, api_url: str) -> RunSummary:
    """One whole run over the inbox (``pipeline.run.process``), recorded as a flow run in the
    server at ``api_url`` with its lines and artifacts."""
    from pipeline.run import process
    from pipeline.service import prepare_home

    prepare_home(settings)
    with recorded_in(api_url, settings.data_home.root) as recorded:
        summary = process(settings)
        recorded.publish(run_artifacts(summary, settings.desk_url))
    return summary
