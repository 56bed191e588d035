"""The Prefect flow that processes the inbox: a few coarse tasks around ``pipeline.run``.

Prefect costs ~5 ms of client time and ~28 ms of server time per task run, so there is one task
per batch of documents (the CPU work runs in a process pool inside it), never one per document.
The flow holds no logic: each task calls library steps, and the batch task the two that make a batch.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.utilities.annotations import quote

from flows.nightly import notify_coordinator_of_failure
from flows.run_logs import program_lines_in_run_log
from pipeline import run as steps
from pipeline.report.models import RunSummary
from pipeline.report.summary import run_artifacts
from pipeline.settings import Settings

# Our objects (store engine, process pool) travel between tasks in memory: no caching, no persistence.
_step = task(cache_policy=NO_CACHE, persist_result=False)


@_step
def open_run(settings: Settings) -> steps.RunContext:
    """Take the inbox and record the start of a run (``pipeline.run.open_run``)."""
    return steps.open_run(settings)


@_step
def fetch_mail(context: steps.RunContext) -> None:
    """Save the mail accounts' new messages into the inbox before its batches (``pipeline.run.fetch_mail``)."""
    steps.fetch_mail(context)


@_step
def move_stored_mail(context: steps.RunContext) -> None:
    """Move on their servers the messages whose documents are stored (``pipeline.run.move_stored_mail``)."""
    steps.move_stored_mail(context)


@_step(name="process-batch")
def process_next_batch(context: steps.RunContext) -> int:
    """Take the inbox's next batch and process it; how many files it held (0: the inbox is done).
    One task a batch: each task run costs the Prefect server ~28 ms of CPU on the cores the
    readers use."""
    batch = steps.next_batch(context)
    if batch:
        # Not the documents recorded: a batch whose files other workers recorded first records
        # none, and the inbox still has more.
        steps.process_batch(context, batch)
    return len(batch)


@_step
def close_run(context: steps.RunContext) -> RunSummary:
    """Write the run's report and record the run as completed (``pipeline.run.close_run``)."""
    return steps.close_run(context)


@_step
def publish_artifacts(settings: Settings, summary: RunSummary) -> None:
    """Show the run in Prefect's UI: its summary, a table of its documents and a link to its
    report (``pipeline.report.summary.run_artifacts``)."""
    for artifact in run_artifacts(summary, settings.desk_url):
        if artifact.kind == "table":
            create_table_artifact(key=artifact.key, table=artifact.content, description=artifact.description)
        else:
            create_markdown_artifact(key=artifact.key, markdown=artifact.content, description=artifact.description)


@flow(name="process-inbox", log_prints=False, persist_result=False,
      on_failure=[notify_coordinator_of_failure], on_crashed=[notify_coordinator_of_failure])
def process_inbox(home: str | None = None) -> dict[str, Any]:
    """Process every file in the data home's inbox once; the program's own lines go to the flow
    run's log (``flows.run_logs``), and a failed scheduled run emails the coordinator."""
    with program_lines_in_run_log():
        return _process_inbox(home)


def _process_inbox(home: str | None) -> dict[str, Any]:
    settings = Settings(home=Path(home)) if home else Settings()
    context = open_run(settings)
    # quote(): Prefect would otherwise walk every object passed to a task (the run context holds
    # the whole inbox's plan) looking for futures; there are none to find in ours.
    try:
        fetch_mail(quote(context))
        while process_next_batch(quote(context)):
            pass
        move_stored_mail(quote(context))
        summary = close_run(quote(context))
    finally:
        context.close()
    publish_artifacts(quote(settings), quote(summary))
    return {
        "run_id": summary.run_id,
        "counts": summary.counts,
        "report": str(summary.report_html),
        "released": summary.released,
    }
