"""pipeline.collector: the garbage collector's pace for a run (``RunCollector``: frozen heap, slow
young collections, the batch's garbage collected when it is done, everything put back after) and
for a worker (``start_worker``, ``document_done``). Each test leaves the collector as it found it.
"""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from pipeline.collector import (
    RUN_THRESHOLDS,
    WORKER_THRESHOLDS,
    RunCollector,
    document_done,
    start_worker,
)


class Cycle:
    me: Cycle


def left_behind() -> weakref.ref:
    """A reference cycle nobody holds any more, and a weak reference that says when it is collected."""
    cycle = Cycle()
    cycle.me, reference = cycle, weakref.ref(cycle)
    return reference


@pytest.fixture
def as_found() -> Iterator[tuple[int, int, int]]:
    """The collector's pace before the test, put back after it (and nothing left frozen)."""
    before = gc.get_threshold()
    frozen = gc.get_freeze_count()
    yield before
    if gc.get_freeze_count() != frozen:
        gc.unfreeze()
    gc.set_threshold(*before)


def test_a_run_freezes_the_heap_slows_young_collections_and_puts_both_back(as_found):
    collector = RunCollector()
    collector.start()
    collector.start()  # idempotent: the pace to put back is the one found first
    assert gc.get_threshold() == RUN_THRESHOLDS and gc.get_freeze_count() > 0
    collector.stop()
    collector.stop()
    assert gc.get_threshold() == as_found and gc.get_freeze_count() == 0


def test_a_batchs_cycles_are_gone_when_it_is_done(as_found):
    """Not thousands of documents later, at the next rare full collection."""
    collector = RunCollector()
    collector.start()
    try:
        reference = left_behind()
        collector.batch_done()
        assert reference() is None
    finally:
        collector.stop()


def test_a_heap_frozen_by_someone_else_is_theirs_to_unfreeze(as_found):
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        collector = RunCollector()
        collector.start()
        collector.stop()
        assert gc.get_freeze_count() == frozen and gc.get_threshold() == as_found
    finally:
        gc.unfreeze()


def test_a_collector_never_started_changes_nothing(as_found):
    collector = RunCollector()
    collector.batch_done()
    collector.stop()
    assert gc.get_threshold() == as_found and gc.get_freeze_count() == 0


def test_a_worker_freezes_what_it_started_with_and_collects_after_each_document(as_found):
    start_worker()
    assert gc.get_threshold() == WORKER_THRESHOLDS and gc.get_freeze_count() > 0
    reference = left_behind()
    document_done()
    assert reference() is None
