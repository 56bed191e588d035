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
