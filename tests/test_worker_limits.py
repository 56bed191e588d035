"""Each document is read in a worker process with limits: too slow, too large in memory, too
large on disk, or a reader that crashes, and the document goes to a person while the run goes on."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime

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
    pool = ExtractionPool(workers=2, timeout_seconds=2, memory_mb=512, max_file_mb=1, reader=slow_or_greedy_reader)
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
    assert results["greedy.pdf"].problem is ExtractionProblem.UNREADABLE and "512 MB" in results["greedy.pdf"].problem_detail
    assert results["crash.pdf"].problem is ExtractionProblem.UNREADABLE
    assert results["defect.pdf"].problem is ExtractionProblem.UNREADABLE and "KeyError" in results["defect.pdf"].problem_detail
    assert results["huge.pdf"].problem is ExtractionProblem.TOO_LARGE and "5 MB" in results["huge.pdf"].problem_detail


def counting_reader(received: ReceivedFile) -> ExtractedDocument:
    return ExtractedDocument(received=received, problem_detail=f"read by {os.getpid()}")


def test_a_batch_read_ahead_is_taken_as_read_and_another_batch_is_read_afresh():
    """The next batch is read while the one before is stored; asking for that batch takes what was
    read, in order, and asking for any other batch lets the read-ahead go."""
    pool = ExtractionPool(workers=2, timeout_seconds=10, memory_mb=512, max_file_mb=1, reader=counting_reader)
    try:
        ahead = [received(f"ahead-{n}.pdf") for n in range(6)]
        pool.read_ahead(ahead)
        assert [d.received.original_name for d in pool.extract_all(ahead)] == [r.original_name for r in ahead]
        assert pool._ahead is None
        pool.read_ahead([received("dropped.pdf")])
        other = [received("other.pdf")]
        assert [d.received.original_name for d in pool.extract_all(other)] == ["other.pdf"]
        assert pool._ahead is None
        pool.read_ahead([received("left-at-close.pdf")])
    finally:
        pool.close()  # a read-ahead still pending does not hold the pool open
