"""pipeline.service: the desk, and the one path after every change (moves, filed emails, notices,
the overview), whoever made the change."""

from __future__ import annotations

import hashlib
import logging

import pytest

from pipeline import service
from pipeline.load import program, store
from pipeline.model import Outcome
from pipeline.report import overview as overview_page
from tests.conftest import form_as_read


@pytest.fixture
def desk(settings):
    desk = service.open_desk(settings)
    yield desk
    desk.close()


def received(form_id: str, changes: dict | None = None, *, number: int):
    """The form as read, its stand-in file holding bytes of its own (a move checks them)."""
    document = form_as_read(form_id, changes, number=number)
    path = document.received.path
    path.write_bytes(f"%PDF-1.7 stand-in {number}".encode())
    sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
    return document.model_copy(update={"received": document.received.model_copy(update={"sha256": sha256})})


def _record(desk, *documents):
    """A batch recorded as a run records it, with the desk's router: nothing moved or written yet."""
    stored, _ = program.record_batch(desk.engine, store.start_run(desk.engine), list(documents), desk.validation,
                                     desk.router.destination)
    return stored


def test_after_a_change_originals_move_notices_are_written_and_the_overview_is_new(desk):
    accepted, rejected = _record(desk, received("PSP-ORP", number=1),
                                 received("PSP-REG", {"psp_email": "nobody"}, number=2))
    assert (rejected.outcome, accepted.outcome) == (Outcome.REJECTED, Outcome.ACCEPTED)
    assert store.pending_moves(desk.engine)  # recorded, not done

    after = service.after_change(desk)

    assert not store.pending_moves(desk.engine)
    assert rejected.stored_path.is_file() and accepted.stored_path.is_file()
    assert not rejected.inbox_path.exists()
    assert list(after.notices) == [rejected.received_file_id]  # only the rejection owes one
    assert after.notices[rejected.received_file_id].path.is_file()
    assert after.overview == desk.settings.data_home.reports / "overview.html" and after.overview.is_file()
    # Nothing is owed a second time: the next change writes nothing again.
    assert service.after_change(desk).notices == {}


def test_a_runs_batch_leaves_the_overview_to_the_runs_end(desk):
    (stored,) = _record(desk, received("PSP-ORP", {"contact_email": "nobody"}, number=3))
    after = service.after_change(desk, service.Changes(stored=[stored], refresh_overview=False))
    assert after.overview is None and not (desk.settings.data_home.reports / "overview.html").exists()
    assert after.notices[stored.received_file_id].to is not None  # written from the receipt in hand


def test_an_overview_that_cannot_be_written_is_said_and_the_rest_is_done(desk, monkeypatch, caplog):
    def disk_full(*args, **kwargs):  # noqa: ANN002, ANN003
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(overview_page, "write_overview", disk_full)
    (stored,) = _record(desk, received("PSP-ORP", {"contact_email": "nobody"}, number=4))
    with caplog.at_level(logging.ERROR, logger="pipeline.service"):
        after = service.after_change(desk)
    assert after.overview is None and stored.received_file_id in after.notices
    assert "psp-pipeline overview" in caplog.text
