"""pipeline.load.claims: workers take distinct inbox entries through the store (claim, release,
renew), a claim held by another worker is left to it until its lease runs out, and an entry a
worker recorded but has not moved yet is nobody's to claim."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.load import claims, store

LEASE = timedelta(minutes=5)


@pytest.fixture
def inbox(tmp_path) -> list[Path]:
    return [tmp_path / "inbox" / f"file-{n}.pdf" for n in range(1, 6)]


@pytest.fixture
def clock(monkeypatch):
    """Moves the claims' clock: ``clock(minutes)`` is that long from the real now."""
    start = store.utcnow()

    def move(minutes: float) -> None:
        monkeypatch.setattr(claims, "utcnow", lambda: start + timedelta(minutes=minutes))

    move(0)
    move.start = start
    return move


def near(moment, expected) -> bool:
    """The same moment, as the store keeps it (to the second at least)."""
    return abs(moment - expected) < timedelta(seconds=1)


def held(engine) -> dict[str, tuple[str, object]]:
    """Every claim row: inbox entry's name -> (who holds it, until when)."""
    with Session(engine) as session:
        return {Path(row.inbox_path).name: (row.claimed_by, row.lease_until)
                for row in session.scalars(select(store.FileClaimRow))}


def test_a_claim_takes_at_most_the_limit_in_the_order_given(engine, inbox):
    assert claims.claim(engine, "w1", inbox, limit=2, lease=LEASE) == inbox[:2]
    assert claims.claim(engine, "w2", inbox, limit=2, lease=LEASE) == inbox[2:4]
    assert claims.claim(engine, "w3", inbox, limit=10, lease=LEASE) == inbox[4:]
    assert claims.claim(engine, "w4", inbox, limit=10, lease=LEASE) == []
    assert {name: who for name, (who, _) in held(engine).items()} == {
        "file-1.pdf": "w1", "file-2.pdf": "w1", "file-3.pdf": "w2", "file-4.pdf": "w2", "file-5.pdf": "w3"}


def test_nothing_to_claim_is_no_claim(engine, inbox):
    assert claims.claim(engine, "w1", [], limit=5, lease=LEASE) == []
    assert claims.claim(engine, "w1", inbox, limit=0, lease=LEASE) == []
    # The limit of 0 took nothing, though it made the rows: a later claim still finds them free.
    assert claims.claim(engine, "w1", inbox, limit=5, lease=LEASE) == inbox


def test_a_claim_held_by_another_worker_is_left_to_it_within_its_lease(engine, inbox, clock):
    assert claims.claim(engine, "w1", inbox[:2], limit=5, lease=LEASE) == inbox[:2]
    clock(4.9)
    assert claims.claim(engine, "w2", inbox[:3], limit=5, lease=LEASE) == [inbox[2]]
    # Nor does the holder take its own entries a second time: a claim is taken once.
    assert claims.claim(engine, "w1", inbox[:2], limit=5, lease=LEASE) == []
    assert held(engine)["file-1.pdf"][0] == "w1"


def test_a_claim_whose_lease_ran_out_goes_to_the_next_worker(engine, inbox, clock):
    assert claims.claim(engine, "dead", inbox[:2], limit=5, lease=LEASE) == inbox[:2]
    clock(5.1)
    assert claims.claim(engine, "w2", inbox[:2], limit=5, lease=LEASE) == inbox[:2]
    who, until = held(engine)["file-1.pdf"]
    assert who == "w2" and near(until, clock.start + timedelta(minutes=5.1) + LEASE)
    # The worker whose lease ran out holds nothing now: renewing gives nothing back, releasing
    # does not take the entries from the worker that holds them.
    assert claims.renew(engine, "dead", inbox[:2], lease=LEASE) == []
    claims.release(engine, "dead", inbox[:2])
    assert {name: who for name, (who, _) in held(engine).items()} == {"file-1.pdf": "w2", "file-2.pdf": "w2"}


def test_release_lets_go_of_this_workers_claims_only(engine, inbox):
    claims.claim(engine, "w1", inbox[:2], limit=5, lease=LEASE)
    claims.claim(engine, "w2", inbox[2:4], limit=5, lease=LEASE)
    claims.release(engine, "w1", inbox[:4])
    assert sorted(held(engine)) == ["file-3.pdf", "file-4.pdf"]
    # Released entries are free at once, for anyone.
    assert claims.claim(engine, "w2", inbox, limit=5, lease=LEASE) == [inbox[0], inbox[1], inbox[4]]
    claims.release(engine, "w2", [])  # nothing to release: nothing happens
    assert len(held(engine)) == 5


def test_renew_starts_the_lease_again_for_what_this_worker_still_holds(engine, inbox, clock):
    claims.claim(engine, "w1", inbox[:2], limit=5, lease=LEASE)
    claims.claim(engine, "w2", inbox[2:3], limit=5, lease=LEASE)
    before = held(engine)
    assert near(before["file-1.pdf"][1], clock.start + LEASE)
    clock(3)
    assert claims.renew(engine, "w1", inbox[:3], lease=timedelta(minutes=10)) == inbox[:2]
    after = held(engine)
    assert near(after["file-1.pdf"][1], clock.start + timedelta(minutes=13))
    assert near(after["file-2.pdf"][1], clock.start + timedelta(minutes=13))
    assert after["file-3.pdf"] == before["file-3.pdf"]  # another worker's claim untouched
    assert claims.renew(engine, "w1", [], lease=LEASE) == []
    # Renewed, the claim outlives its first lease: nobody takes it at minute 6.
    clock(6)
    assert claims.claim(engine, "w3", inbox[:2], limit=5, lease=LEASE) == []


def test_an_entry_recorded_but_not_yet_moved_is_its_workers_not_a_new_file(engine, record, doc):
    (stored,), _ = record(doc("PSP-ORP"))
    entry = stored.inbox_path
    assert claims.claim(engine, "w2", [entry], limit=5, lease=LEASE) == []
    assert held(engine) == {}
    store.mark_moved(engine, [stored.received_file_id])
    # Moved out, a file of the same name in the inbox is a new file.
    assert claims.claim(engine, "w2", [entry], limit=5, lease=LEASE) == [entry]
