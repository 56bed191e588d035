"""One real flow run of the inbox under Prefect's test harness (a temporary local server).

Everything else calls the library directly; this checks that the flow wires the same steps,
finishes, and publishes its artifacts."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.flow


@pytest.fixture(scope="module")
def prefect_harness(tmp_path_factory):
    import os

    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120), temporary_settings(
        {PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}
    ):
        yield


def test_flow_processes_the_inbox_and_publishes_artifacts(prefect_harness, tmp_path):
    from prefect.artifacts import Artifact

    from flows.process_inbox import process_inbox
    from samples.stage import expected_cases, stage

    home = tmp_path / "home"
    staged = stage(home / "inbox")
    result = process_inbox(home=str(home))

    expected = {}
    for _, case in expected_cases():
        expected[case["outcome"]] = expected.get(case["outcome"], 0) + 1
    assert {k: v for k, v in result["counts"].items() if v} == expected
    assert sum(result["counts"].values()) == len(staged)
    assert (home / "reports").joinpath(result["report"].rsplit("/", 1)[-1]).is_file()

    summary = Artifact.get("psp-run-summary")
    table = Artifact.get("psp-run-documents")
    link = Artifact.get("psp-run-report")
    assert summary is not None and f"run {result['run_id']}" in summary.data
    assert table is not None and all(row["file"] for row in __import__("json").loads(table.data))
    assert link is not None and result["report"].rsplit("/", 1)[-1] in link.data


def test_no_field_value_reaches_a_log_line_or_an_artifact(prefect_harness, tmp_path):
    """Distinctive values planted in a packet appear in no log record (ours or Prefect's, at DEBUG)
    and no Prefect artifact of the run."""
    import json
    import logging

    from prefect.artifacts import Artifact

    from flows.process_inbox import process_inbox
    from tests.flows.served import PLANTED, planted_inbox

    home = tmp_path / "home"
    planted_inbox(home)

    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    keep = Keep(level=logging.DEBUG)
    loggers = [logging.getLogger(), logging.getLogger("prefect"), logging.getLogger("pipeline")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(keep)
        logger.setLevel(logging.DEBUG)
    try:
        result = process_inbox(home=str(home))
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.removeHandler(keep)
            logger.setLevel(level)

    assert sum(result["counts"].values()) == 2
    text = "\n".join(record.getMessage() for record in records)
    text += "\n".join(str(getattr(record, "args", "")) for record in records)
    artifacts = [Artifact.get(key) for key in ("psp-run-summary", "psp-run-documents", "psp-run-report")]
    text += "\n".join(json.dumps(a.data) if not isinstance(a.data, str) else a.data for a in artifacts if a)
    assert records, "no log record was captured: the test would prove nothing"
    for value in PLANTED.values():
        for part in value.replace("(", " ").replace(")", " ").split():
            if len(part) >= 6:
                assert part not in text, f"{part!r} leaked into a log line or artifact"


def test_the_batch_task_goes_on_while_a_batch_records_nothing(settings, monkeypatch):
    """A batch whose files other workers recorded first stores no documents; the inbox is not
    done for that, so the flow's loop goes on by the files taken, not the documents recorded."""
    from flows import process_inbox as flow
    from samples.stage import stage

    stage(settings.data_home.inbox)
    settings = settings.model_copy(update={"batch_size": 4})
    monkeypatch.setattr(flow.steps, "process_batch", lambda context, batch: [])
    context = flow.steps.open_run(settings)
    try:
        taken = [flow.process_next_batch.fn(context) for _ in range(3)]
    finally:
        context.close()
    assert taken[0] > 0 and taken[1] > 0, taken
