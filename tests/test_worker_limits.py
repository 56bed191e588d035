"""Each document is read in a worker process with limits: too slow, too large in memory, too
large on disk, or a reader that crashes, and the document goes to a person while the run goes on."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path

from pipeline.model import ExtractedDocument, ExtractionProblem, ReceivedFile
from pipeline.workers import ExtractionPool


def slow_or_greedy_reader(received: ReceivedFile) -> ExtractedDocument:
    if "slow" in received.original_name:
        time.sleep(60)
    if "greedy" in received.original_name:
        hoard = bytearray(3 * 1024 * 1024 * 1024)  # past the worker's address-space limit
        hoard[0] = 1
    if "crash" in received.original_name:
        os._exit(3)
    if "defect" in received.original_name:
        raise KeyError("a reader's own bug")
    return ExtractedDocument(received=received)


def received(name: str, size: int = 10) -> ReceivedFile:
    return ReceivedFile(path=f"/tmp/{name}", original_name=name, sha256="a" * 64, size=size,
                        received_at=datetime.now(UTC))


def test_limits_turn_bad_files_into_documents_for_a_person():
    pool = ExtractionPool(workers=2, timeout_seconds=2, memory_mb=1024, max_file_mb=1, reader=slow_or_greedy_reader)
    try:
        batch = [received(n) for n in ("fine.pdf", "slow.pdf", "greedy.pdf", "crash.pdf", "defect.pdf")]
        batch.append(received("huge.pdf", size=5 * 1024 * 1024))
        started = time.monotonic()
        results = {d.received.original_name: d for d in pool.extract_all(batch)}
        assert time.monotonic() - started < 30
    finally:
        pool.close()
    assert results["fine.pdf"].problem is None
    assert results["slow.pdf"].problem is ExtractionProblem.UNREADABLE and "longer than 2 s" in results["slow.pdf"].problem_detail
    assert results["greedy.pdf"].problem is ExtractionProblem.UNREADABLE and "1024 MB" in results["greedy.pdf"].problem_detail
    assert results["crash.pdf"].problem is ExtractionProblem.UNREADABLE
    assert results["defect.pdf"].problem is ExtractionProblem.UNREADABLE and "KeyError" in results["defect.pdf"].problem_detail
    assert results["huge.pdf"].problem is ExtractionProblem.TOO_LARGE and "5 MB" in results["huge.pdf"].problem_detail


def counting_reader(received: ReceivedFile) -> ExtractedDocument:
    return ExtractedDocument(received=received, problem_detail=f"read by {os.getpid()}")


def test_batches_read_ahead_are_taken_as_read_and_another_batch_is_read_afresh():
    """Batches are read ahead in the order asked for; asking for one takes what was read, in order,
    lets go of those before it that were never asked for, and keeps reading those after it."""
    pool = ExtractionPool(workers=2, timeout_seconds=10, memory_mb=1024, max_file_mb=1, reader=counting_reader)
    names = lambda documents: [d.received.original_name for d in documents]  # noqa: E731
    try:
        first, second = [received(f"first-{n}.pdf") for n in range(6)], [received(f"second-{n}.pdf") for n in range(4)]
        pool.read_ahead(first)
        pool.read_ahead(second)
        pool.read_ahead(first)  # asked for again: read once
        assert [batch for batch, _ in pool._ahead] == [first, second]
        assert names(pool.extract_all(first)) == [r.original_name for r in first]
        assert [batch for batch, _ in pool._ahead] == [second]
        skipped, third = [received("skipped.pdf")], [received("third.pdf")]
        pool.read_ahead(skipped)
        pool.read_ahead(third)
        assert names(pool.extract_all(second)) == [r.original_name for r in second]
        assert names(pool.extract_all(third)) == ["third.pdf"]
        assert pool._ahead == []  # the batch never asked for is let go
        pool.read_ahead([received("dropped.pdf")])
        assert names(pool.extract_all([received("other.pdf")])) == ["other.pdf"]
        assert pool._ahead == []
        pool.read_ahead([received("left-at-close.pdf")])
    finally:
        pool.close()  # a read-ahead still pending does not hold the pool open


def collector_state_reader(received: ReceivedFile) -> ExtractedDocument:
    import gc

    return ExtractedDocument(received=received, problem_detail=f"{gc.get_threshold()} {gc.get_freeze_count() > 0}")


def test_workers_read_with_the_collector_set_for_documents():
    from pipeline.collector import WORKER_THRESHOLDS

    pool = ExtractionPool(workers=1, timeout_seconds=10, memory_mb=1024, max_file_mb=1, reader=collector_state_reader)
    try:
        (document,) = pool.extract_all([received("any.pdf")])
    finally:
        pool.close()
    assert document.problem_detail == f"{WORKER_THRESHOLDS} True"  # the heap it started with frozen


class Cycle:
    me: Cycle


def test_what_reading_a_document_left_behind_is_collected_when_it_is_done(monkeypatch):
    import gc
    import weakref

    import pipeline.extract
    from pipeline.workers import read_document

    left: list[weakref.ref] = []

    def leaves_a_cycle(received: ReceivedFile) -> ExtractedDocument:
        cycle = Cycle()
        cycle.me = cycle
        left.append(weakref.ref(cycle))
        return ExtractedDocument(received=received)

    monkeypatch.setattr(pipeline.extract, "extract", leaves_a_cycle)
    gc.disable()  # only the reader's own collection can take it
    try:
        read_document(received("any.pdf"))
        assert left[0]() is None
    finally:
        gc.enable()


def marking_reader(received: ReceivedFile) -> ExtractedDocument:
    if "slow" in received.original_name:
        time.sleep(2)
    Path(received.path).write_text("read")  # the reader ran for this document
    return ExtractedDocument(received=received)


def test_a_batch_left_partway_is_not_waited_for(tmp_path):
    """A run that stops in the middle of a batch (an error, Ctrl-C) lets the rest of it go: the
    document being read is stopped, those not yet read are cancelled."""
    pool = ExtractionPool(workers=1, timeout_seconds=10, memory_mb=1024, max_file_mb=1, reader=marking_reader)
    batch = [received(name).model_copy(update={"path": tmp_path / name}) for name in ("first", "slow", "third")]
    try:
        documents = pool.extract_all(batch)
        assert next(documents).received.original_name == "first"
        time.sleep(0.5)  # the slow one is being read
        documents.close()
    finally:
        pool.close()
    assert (tmp_path / "first").exists() and not (tmp_path / "slow").exists()
