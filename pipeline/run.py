"""A run over the inbox, as named steps: open the run, take the inbox in batches (extract in a
process pool, validate, store, route, write notices), then report.

This is the library entry that the Prefect flow and the tests call; it imports nothing of Prefect.
``process(settings)`` does a whole run; the flow calls the same steps one by one as tasks.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy.engine import Engine

from pipeline import service
from pipeline.collector import RunCollector
from pipeline.errors import PipelineError
from pipeline.faults import checkpoint
from pipeline.intake import collect_inbox, inbox_entries, receive_entries, settled
from pipeline.load import claims, program, queries, routing, store
from pipeline.lock import RunLock
from pipeline.mailbox import fetch as mail
from pipeline.model import ExtractedDocument, Outcome, ReceivedFile, RunStatus
from pipeline.report import document_report, html
from pipeline.report.models import DocumentReport, RunSummary
from pipeline.settings import Settings
from pipeline.validate import ValidationContext

if TYPE_CHECKING:  # the workers' module (pebble, multiprocessing) is imported when there is something to read
    from pipeline.workers import ExtractionPool

log = logging.getLogger(__name__)


class RunProgress(Protocol):
    """Who follows a run as it goes (the command line's progress bar): told counts, never a document."""

    def planned(self, files: int) -> None:
        """The run has this many files to read (told when it plans the inbox; workers sharing an
        inbox through ``claim_files`` never know their total)."""

    def read(self) -> None:
        """One more file was read."""


# The followers of the runs of this process: here, not in the run's context, so that a run the
# Prefect flow opens (in this process, through these same steps) tells them too.
_followers: list[RunProgress] = []


@contextmanager
def followed_by(progress: RunProgress) -> Iterator[None]:
    """Tell ``progress`` how the runs started in this process meanwhile go."""
    _followers.append(progress)
    try:
        yield
    finally:
        _followers.remove(progress)


# Documents read back from the store together for the report of an interrupted run: memory stays
# that of one chunk whatever the size of the inbox.
REPORT_CHUNK = 200


@dataclass
class RunContext:
    """What one run carries from step to step."""

    settings: Settings
    engine: Engine
    run_id: int
    router: routing.Router
    validation: ValidationContext
    started_at: datetime
    released: list[dict[str, Any]] = field(default_factory=list)
    lock: RunLock | None = None
    report: html.RunReport | None = None  # the run's documents so far, kept on disk for its report
    planned: list[list[ReceivedFile]] | None = None
    claimed: list[Path] = field(default_factory=list)  # the inbox entries of the batch at hand (claim_files)
    ahead: tuple[list[ReceivedFile], list[Path]] | None = None  # the next batch and its entries, claimed early
    collector: RunCollector = field(default_factory=RunCollector)
    _pool: ExtractionPool | None = None

    @property
    def desk(self) -> service.Desk:
        """The desk the run works at: its settings, store, reference data and router."""
        return service.Desk(settings=self.settings, engine=self.engine, validation=self.validation, router=self.router)

    def pool(self) -> ExtractionPool:
        """The run's extraction workers, started the first time they are needed."""
        if self._pool is None:
            from pipeline.workers import ExtractionPool

            self._pool = ExtractionPool(
                workers=self.settings.workers,
                timeout_seconds=self.settings.extract_timeout_seconds,
                memory_mb=self.settings.worker_memory_mb,
                max_file_mb=self.settings.max_file_mb,
            )
        return self._pool

    def stop_workers(self) -> None:
        """Stop the extraction workers, if they were started, once nothing is left to read; a
        later ``pool`` starts new ones."""
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    def close(self) -> None:
        """Stop the workers and let the next run take the inbox. Safe to call more than once."""
        self.stop_workers()
        self.collector.stop()
        held = self.claimed + (self.ahead[1] if self.ahead else [])
        if held:
            claims.release(self.engine, self.settings.worker_name, held)
        self.claimed, self.ahead = [], None
        if self.lock is not None:
            self.lock.release()
            self.lock = None


def open_run(settings: Settings) -> RunContext:
    """Take the inbox (one run at a time per data home), open the desk, record the start of a run.

    Raises InboxBusyError when another run holds the inbox, ConfigurationError when the store
    belongs to another data home (``open_desk``).
    """
    service.prepare_home(settings)
    if next(inbox_entries(settings.data_home.inbox), None) is not None:
        from pipeline.workers import start_forkserver

        start_forkserver()  # the readers' process starts while the run opens; an empty run starts none
    # Workers sharing an inbox take files through the store instead of the whole inbox.
    lock = None if settings.claim_files else RunLock(settings.data_home.root)
    if lock is not None:
        lock.acquire()
    try:
        desk = service.open_desk(settings)
    except BaseException:
        if lock is not None:
            lock.release()
        raise
    run_id = store.start_run(desk.engine)
    log.info("run %d started", run_id)
    # What a run that stopped left owed: its notices, then its report.
    service.after_change(desk, service.Changes(refresh_overview=False))
    if not settings.claim_files:  # with several workers, another's run still going is not interrupted
        recover_interrupted_runs(settings, desk.engine, run_id)
    checkpoint("run.opened")
    context = RunContext(
        settings=settings,
        engine=desk.engine,
        run_id=run_id,
        router=desk.router,
        validation=desk.validation,
        started_at=store.utcnow(),
        lock=lock,
    )
    context.collector.start()
    return context


# The smallest batch of a plan's tapering end (see ``batch_sizes``).
SMALLEST_BATCH = 16


def batch_sizes(total: int, size: int) -> list[int]:
    """How ``total`` files are cut into batches of at most ``size``: full batches, then a tail
    that halves down to an eighth of ``size`` (at least ``SMALLEST_BATCH``).

    The workers read each batch while the one before is judged and stored, except the last: no
    reading is left to overlap its judging, storing and notices, and the extraction workers sit
    idle meanwhile. A small last batch keeps that idle time short; halving keeps each batch's
    reading longer than the judging of the one before it, so the workers stay busy up to the end.
    """
    smallest = max(-(-size // 8), SMALLEST_BATCH)
    tail: list[int] = []
    left, step = total, smallest
    while left > 0 and step < size:
        tail.append(min(step, left))
        left -= tail[-1]
        step = smallest if len(tail) == 1 else step * 2  # the last two alike: smallest, smallest, 2x, 4x...
    head = ([left % size] if left % size else []) + [size] * (left // size)
    return head + tail[::-1]


def receive_claimed(context: RunContext, paths: list[Path]) -> list[ReceivedFile]:
    """These inbox entries as received files, emails unpacked by the workers."""
    settings, home = context.settings, context.settings.data_home
    return receive_entries(paths, home.inbox, home.staging, context.pool().unpack_all,
                           max_bytes=context.pool().max_bytes, date_window=settings.mail_date_window,
                           office=settings.office, zone=settings.timezone)


def plan_batches(context: RunContext) -> list[list[ReceivedFile]]:
    """Every file ready in the inbox, oldest received first, cut into batches (``batch_sizes``):
    the plan of a run that has the inbox to itself."""
    settings, home = context.settings, context.settings.data_home
    files = collect_inbox(home.inbox, home.staging, context.pool().unpack_all, settle_seconds=settings.settle_seconds,
                          max_bytes=context.pool().max_bytes, date_window=settings.mail_date_window,
                          office=settings.office, zone=settings.timezone)
    log.info("run %d: %d files in the inbox", context.run_id, len(files))
    for follower in _followers:
        follower.planned(len(files))
    batches, start = [], 0
    for count in batch_sizes(len(files), context.settings.batch_size):
        batches.append(files[start : start + count])
        start += count
    return batches


def next_batch(context: RunContext) -> list[ReceivedFile]:
    """The next batch of received files; empty when the inbox is done.

    One run at a time (the default) plans the whole inbox once. Workers sharing an inbox
    (``claim_files``) claim a batch of inbox entries at a time through the store, so that each
    takes distinct files and the faster ones take more.
    """
    if not context.settings.claim_files:
        if context.planned is None:
            context.planned = plan_batches(context)
        return context.planned.pop(0) if context.planned else []
    settings = context.settings
    claims.release(context.engine, settings.worker_name, context.claimed)  # that batch is done
    if context.ahead is not None:
        (batch, context.claimed), context.ahead = context.ahead, None
        # Claimed while the batch before was read: its lease runs from now, as a new claim's would.
        held = claims.renew(context.engine, settings.worker_name, context.claimed,
                            lease=timedelta(seconds=settings.claim_lease_seconds))
        if batch and len(held) == len(context.claimed):
            return batch
        # Empty, or its lease ran out and another worker took part of it: claim afresh.
        claims.release(context.engine, settings.worker_name, context.claimed)
    batch, context.claimed = _claim_batch(context)  # files may have settled meanwhile
    return batch


def upcoming_batch(context: RunContext) -> list[ReceivedFile]:
    """The batch after the one at hand, for the workers to read ahead: the plan's next, or with
    ``claim_files`` the next batch claimed now (held, then, until it is processed)."""
    if not context.settings.claim_files:
        return context.planned[0] if context.planned else []
    if context.ahead is None:
        context.ahead = _claim_batch(context)
    return context.ahead[0]


def _claim_batch(context: RunContext) -> tuple[list[ReceivedFile], list[Path]]:
    settings = context.settings
    ready, _busy = settled(list(inbox_entries(settings.data_home.inbox)), settings.settle_seconds)
    held = set(context.claimed)
    claimed = claims.claim(
        context.engine,
        settings.worker_name,
        [path for path in ready if path not in held],
        limit=settings.batch_size,
        lease=timedelta(seconds=settings.claim_lease_seconds),
    )
    try:
        files = receive_claimed(context, claimed)
    except BaseException:
        # Not yet in the run's context, so its close could not let them go: other workers would
        # wait out the lease for files this one never took up.
        claims.release(context.engine, settings.worker_name, claimed)
        raise
    return files, claimed


def _extract_all(context: RunContext, batch: list[ReceivedFile]) -> Iterator[ExtractedDocument]:
    # Always in worker processes, even for one document: only there do the time and memory limits hold.
    yield from context.pool().extract_all(batch)


def process_batch(context: RunContext, batch: list[ReceivedFile]) -> list[DocumentReport]:
    """Extract, judge and record, route and write notices for one batch. Returns its documents' summaries."""
    # The workers go on to the next batch as soon as they are done with this one: they read it
    # while this one is judged, stored and filed, and neither waits for the other. (This one is
    # started first: claiming the next may wait for files to settle.)
    context.pool().read_ahead(batch)
    upcoming = upcoming_batch(context)
    if upcoming:
        context.pool().read_ahead(upcoming)
    extracted = []
    for document in _extract_all(context, batch):
        extracted.append(document)
        for follower in _followers:
            follower.read()
    checkpoint("batch.extracted")
    stored, released = program.record_batch(
        context.engine, context.run_id, extracted, context.validation, context.router.destination
    )
    checkpoint("batch.committed")
    context.released.extend(
        {"id": r.received_file_id, "file": r.result.document.received.original_name, "outcome": r.outcome.value}
        for r in released
    )
    notices = service.after_change(context.desk, service.Changes(stored=stored, releases=released,
                                                                 refresh_overview=False)).notices
    if context.report is None:
        context.report = html.RunReport(context.settings.data_home.reports)
    summaries = []
    for receipt in stored:
        notice = notices.get(receipt.received_file_id)
        summary = document_report.document_summary(receipt, notice, context.settings.zone)
        context.report.add(summary)  # on disk: a run holds one batch's summaries in memory
        summaries.append(summary)
        log.info(
            "received file #%d (sha256 %s): %s, %d findings",
            receipt.received_file_id,
            receipt.result.document.received.sha256[:12],
            receipt.outcome.value,
            len(receipt.result.findings),
        )
    context.collector.batch_done()
    return summaries


def recover_interrupted_runs(settings: Settings, engine: Engine, current_run_id: int) -> list[int]:
    """Runs that stopped before they finished: their report is written from the store and they
    are recorded as interrupted (their documents were finished by the moves and notices above)."""
    recovered = []
    for run_id, started_at in store.unfinished_runs(engine, exclude=current_run_id):
        documents = _stored_summaries(settings, engine, run_id)
        finished = store.utcnow()
        report_html, _ = html.write_run_report(
            settings.data_home.reports, run_id=run_id, started_at=started_at, finished_at=finished,
            documents=documents, waiting=queries.waiting_for_a_person(engine), zone=settings.zone,
        )
        store.finish_run(engine, run_id, files_seen=len(program.receipts_of_run(engine, run_id)),
                         report_path=report_html, status=RunStatus.INTERRUPTED)
        log.warning("run %d had stopped before it finished; its report is written now", run_id)
        recovered.append(run_id)
    return recovered


def _stored_summaries(settings: Settings, engine: Engine, run_id: int) -> Iterator[DocumentReport]:
    """A run's documents as the store holds them now, oldest received first, read a chunk at a time."""
    ids = program.receipts_of_run(engine, run_id, by_arrival=True)
    for start in range(0, len(ids), REPORT_CHUNK):
        chunk = ids[start : start + REPORT_CHUNK]
        receipts = {r.received_file_id: r for r in program.stored_receipts(engine, chunk)}
        for received_file_id in chunk:
            yield document_report.document_summary(receipts[received_file_id], None, settings.zone)


def close_run(context: RunContext) -> RunSummary:
    """Write the run's report, record the run as completed, and let the inbox go."""
    context.stop_workers()
    finished = store.utcnow()
    if context.report is None:
        context.report = html.RunReport(context.settings.data_home.reports)
    counts = context.report.counts
    waiting = queries.waiting_for_a_person(context.engine)
    report_html, report_json = context.report.write(
        run_id=context.run_id,
        started_at=context.started_at,
        finished_at=finished,
        waiting=waiting,
        zone=context.settings.zone,
        decisions=queries.decisions_since_last_run(context.engine, context.run_id),
    )
    checkpoint("report.written")
    documents = context.report.documents()
    store.finish_run(context.engine, context.run_id, files_seen=len(documents), report_path=report_html)
    # The coordinator's overview of the whole program, as the store holds it after this run.
    service.after_change(context.desk)
    log.info("run %d completed: %s", context.run_id, dict(counts))
    checkpoint("run.finished")
    context.close()
    return RunSummary(
        run_id=context.run_id,
        started_at=context.started_at,
        finished_at=finished,
        counts={o.value: counts.get(o.value, 0) for o in Outcome},
        documents=documents,
        report_html=report_html,
        report_json=report_json,
        waiting=waiting,
        released=context.released,
    )


def fetch_mail(context: RunContext) -> None:
    """Before the inbox is planned: the mail accounts' new messages saved into it, and those whose
    documents are stored moved on their servers (``pipeline.mailbox.fetch``). A server out of reach
    or an account without its password is logged, and the run takes the inbox all the same."""
    try:
        summary = mail.fetch_mail(context.settings, context.engine)
    except PipelineError as exc:
        log.error("mail was not fetched: %s", exc)
        return
    log.info("run %d: mail: %s", context.run_id, summary.line())


def move_stored_mail(context: RunContext) -> None:
    """After the batches: the fetched messages whose documents this run stored moved on their
    servers (the next fetch does it when this cannot)."""
    try:
        mail.move_stored_mail(context.settings, context.engine)
    except PipelineError as exc:
        log.error("fetched mail was not moved on its server: %s", exc)


def process(settings: Settings) -> RunSummary:
    """One whole run over the inbox, without Prefect."""
    context = open_run(settings)
    try:
        fetch_mail(context)
        while batch := next_batch(context):
            process_batch(context, batch)
        move_stored_mail(context)
        return close_run(context)
    finally:
        context.close()

