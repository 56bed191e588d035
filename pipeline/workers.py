"""Extraction in worker processes, each document with limits on time and memory.

A hostile or broken file (a zip bomb, a cyclic page tree, a parser that loops) can take a worker
down or hang it; it must never take the run down. Each document is read in a worker of a
``pebble`` process pool: past its time limit the worker is killed and replaced, past its memory
limit its allocation fails or it dies, and either way the document gets a clear outcome
(``needs_review``, with the reason) while the run goes on. Workers die with the run: a run killed
outright leaves no orphans behind.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import multiprocessing.forkserver
import resource
import signal
import sys
import traceback
import warnings
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import TypeVar

from pebble import ProcessExpired, ProcessPool

from pipeline import collector
from pipeline.intake.unpack import Unpacked, UnpackJob
from pipeline.model import ExtractedDocument, ExtractionProblem, ReceivedFile

log = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1
# A worker is replaced after this many documents, so whatever a parser leaks does not pile up.
TASKS_PER_WORKER = 500


# What the process that forks the workers imports once, before any worker exists.
PRELOAD = ["pipeline.extract"]


def start_forkserver() -> None:
    """Start the process the workers are forked from, without waiting for it: its imports (about
    half a second) then go on while the run opens its store and takes in the inbox, instead of
    after, when the first batch is waiting to be read."""
    multiprocessing.get_context("forkserver").set_forkserver_preload(PRELOAD)
    multiprocessing.forkserver.ensure_running()


# The libraries that read documents. What they warn or log quotes the document (a dictionary key,
# a font name, a value they could not parse), so none of it may reach stderr or a log.
LIBRARY_LOGGERS = ("pypdf", "pdfminer", "pdfplumber", "pypdfium2", "docx", "lxml", "extract_msg", "olefile",
                   "compressed_rtf", "RTFDE", "PIL")


class _OwnRecordsOnly(logging.Filter):
    """Passes the pipeline's own records (which name files by sha256, never by a value read) and
    drops every other library's."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.name == "pipeline" or record.name.startswith("pipeline.")


def _quiet_libraries() -> None:
    """In a worker: the readers' warnings are ignored and their loggers silenced; the one handler
    left, on the root logger, writes the pipeline's own warnings to stderr and nothing else."""
    warnings.simplefilter("ignore")  # pypdf, pdfminer, pdfplumber: "...for key /<the document's>"
    for name in LIBRARY_LOGGERS:
        logging.getLogger(name).setLevel(logging.CRITICAL + 1)  # their records are never even made
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(_OwnRecordsOnly())  # any other library's, under a name not listed above
    root = logging.getLogger()
    for old in root.handlers[:]:
        root.removeHandler(old)
    root.addHandler(handler)


def _start_worker(memory_bytes: int) -> None:
    """In each worker: die with the parent process, cap the address space, set the collector's
    pace for reading documents (``pipeline.collector``), and keep the libraries' warnings and logs,
    which quote the documents, out of stderr (``_quiet_libraries``)."""
    collector.start_worker()
    _quiet_libraries()
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except OSError:  # not Linux: workers end when the pool's pipes close instead
        pass
    if memory_bytes:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))


def read_document(received: ReceivedFile) -> ExtractedDocument:
    """The workers' reader: ``pipeline.extract.extract``, imported where it runs. The workers'
    process has it imported already (``PRELOAD``); the run's own process never needs the PDF and
    Word libraries, and an empty run does not pay for importing them."""
    from pipeline.extract import extract

    try:
        return extract(received)
    finally:
        collector.document_done()


def unpack_mail(job: UnpackJob) -> Unpacked:
    """The workers' unpacker of emails (``pipeline.intake.unpack``), imported where it runs."""
    from pipeline.intake.unpack import unpack

    try:
        return unpack(job)
    finally:
        collector.document_done()


def _problem(received: ReceivedFile, problem: ExtractionProblem, detail: str) -> ExtractedDocument:
    return ExtractedDocument(received=received, kind=received.kind, problem=problem, problem_detail=detail)


Result = TypeVar("Result")


class ExtractionPool:
    """Reads documents in worker processes, in order, never raising for a document."""

    def __init__(
        self,
        workers: int,
        timeout_seconds: float,
        memory_mb: int,
        max_file_mb: float = 50,
        reader: Callable[[ReceivedFile], ExtractedDocument] = read_document,
        unpacker: Callable[[UnpackJob], Unpacked] = unpack_mail,
    ) -> None:
        """``workers`` processes forked from the forkserver, each replaced after
        ``TASKS_PER_WORKER`` documents and capped at ``memory_mb``; a document that takes longer
        than ``timeout_seconds``, or a file larger than ``max_file_mb``, goes to a person.
        ``reader`` and ``unpacker`` are what the workers run for a document and for an email."""
        self.reader = reader
        self.unpacker = unpacker
        self.timeout_seconds = timeout_seconds
        self.memory_mb = memory_mb
        self.max_file_mb = max_file_mb
        self._ahead: list[tuple[list[ReceivedFile], list]] = []  # batches being read ahead, and their futures
        context = multiprocessing.get_context("forkserver")  # a fork of a threaded process can deadlock
        context.set_forkserver_preload(PRELOAD)
        self._pool = ProcessPool(
            max_workers=workers,
            max_tasks=TASKS_PER_WORKER,
            initializer=_start_worker,
            initargs=(memory_mb * 1024 * 1024,),
            context=context,
        )

    def read_ahead(self, batch: list[ReceivedFile]) -> None:
        """Start reading ``batch`` now, after whatever is being read already (nothing when that
        batch is among it): ``extract_all`` of that same batch then takes what was read."""
        if not any(scheduled is batch for scheduled, _ in self._ahead):
            self._ahead.append((batch, self._schedule(batch)))

    @property
    def max_bytes(self) -> float:
        """The largest file read, in bytes (``max_file_mb``); a larger one is set aside unread."""
        return self.max_file_mb * 1024 * 1024

    def _schedule(self, batch: list[ReceivedFile]) -> list:
        # Nothing to read: set aside for its size, or intake found no form in it (an email).
        return [
            None if received.size > self.max_bytes or received.unread_reason
            else self._pool.schedule(self.reader, args=(received,), timeout=self.timeout_seconds)
            for received in batch
        ]

    def unpack_all(self, jobs: Sequence[UnpackJob]) -> list[Unpacked]:
        """Unpack these emails in the workers, under the same limits as reading a document; an email
        that breaks them comes back with the reason as its ``problem``, never as an exception."""
        futures = [self._pool.schedule(self.unpacker, args=(job,), timeout=self.timeout_seconds) for job in jobs]
        results = []
        for job, future in zip(jobs, futures, strict=True):
            unpacked, problem = self._wait(future, f"an email, sha256 {job.sha256[:12]}")
            results.append(unpacked if unpacked is not None else Unpacked(problem=f"the email {problem}"))
        return results

    @staticmethod
    def _cancel(pending: list[tuple[list[ReceivedFile], list]]) -> None:
        for _, futures in pending:
            for future in futures:
                if future is not None:
                    future.cancel()

    def extract_all(self, batch: list[ReceivedFile]) -> Iterator[ExtractedDocument]:
        """The documents of ``batch``, in its order. Batches read ahead of it that were not asked
        for are let go; those read ahead after it go on."""
        index = next((i for i, (scheduled, _) in enumerate(self._ahead) if scheduled is batch), None)
        if index is None:
            self._cancel(self._ahead)
            self._ahead = []
            futures = self._schedule(batch)
        else:
            self._cancel(self._ahead[:index])
            futures = self._ahead[index][1]
            self._ahead = self._ahead[index + 1 :]
        try:
            for received, future in zip(batch, futures, strict=True):
                if received.size > self.max_bytes:
                    yield _problem(received, ExtractionProblem.TOO_LARGE,
                                   f"the file is {received.size / 1024 / 1024:.0f} MB, more than the {self.max_file_mb:g} "
                                   "MB a form can be; it was set aside unread for a person to look at")
                elif future is None:
                    yield _problem(received, ExtractionProblem.UNREADABLE, received.unread_reason or "")
                else:
                    document, problem = self._wait(future, f"sha256 {received.sha256[:12]}")
                    yield document if document is not None else _problem(received, ExtractionProblem.UNREADABLE,
                                                                         f"the file {problem}")
        finally:  # a run that stops partway through a batch does not wait for the rest of it
            self._cancel([(batch, futures)])

    def _wait(self, future, what: str) -> tuple[Result | None, str]:  # noqa: ANN001 - pebble's future
        """A worker's result, or None and what went wrong (to follow "the file ..."), for a person."""
        try:
            return future.result(), ""
        except FutureTimeout:
            log.warning("reading took longer than %.0f s and was stopped (%s)", self.timeout_seconds, what)
            return None, f"took longer than {self.timeout_seconds:.0f} s to read and was stopped; a person should open it"
        except ProcessExpired as exc:
            log.warning("the reader of a file died (exit %s, %s)", exc.exitcode, what)
            return None, f"used more than {self.memory_mb} MB to read or crashed the reader; a person should open it"
        except MemoryError:
            return None, f"needed more than {self.memory_mb} MB to read; a person should open it"
        except Exception as exc:  # a defect of a reader: the document goes to a person, the run goes on
            # Its type and where it was raised, never its message or traceback: they may quote a
            # document's text or an attachment's name.
            frames = traceback.extract_tb(exc.__traceback__)
            place = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
            log.error("reading a file failed unexpectedly (%s): %s%s", what, type(exc).__name__, place)
            return None, f"could not be read ({type(exc).__name__}); a person should open it"

    def close(self) -> None:
        """Let go of what was read ahead, and stop the workers (waiting up to 30 s for the ones
        busy with a document)."""
        self._cancel(self._ahead)  # a run that stops early does not wait for what it read ahead
        self._ahead = []
        self._pool.close()
        self._pool.join(timeout=30)
        self._pool.stop()
