"""Fixtures of the store tests: forms as read with bytes of their own, and PSPs registered through
them (the store and the batch recorder are the whole suite's, in ``tests/conftest.py``)."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.load.store import RegistrationRecord
from pipeline.model import ExtractedDocument
from tests.conftest import form_as_read


@pytest.fixture
def doc() -> Callable[..., ExtractedDocument]:
    """``doc(form_id, changes, minutes=, unsure=)``: the valid form of ``tests/conftest.py`` with
    ``changes``, received ``minutes`` after RECEIVED_AT, with bytes (sha256) of its own; ``unsure``
    names a field read below the confidence a value is decided on (the form goes to a person)."""
    numbers = itertools.count(1)

    def make(form_id: str, changes: dict[str, Any] | None = None, *, minutes: int = 0,
             unsure: str | None = None) -> ExtractedDocument:
        return form_as_read(form_id, changes, number=next(numbers), minutes=minutes, unsure=unsure)

    return make


def another_psp(number: int) -> dict[str, str]:
    """The valid packet's changes that make it another PSP's (``Pat<number>``, an email of their own)."""
    return {"psp_first_name": f"Pat{number}", "psp_email": f"pat{number}@example.org"}


@pytest.fixture
def registered(engine, record, doc) -> Callable[[int], list[int]]:
    """``registered(count)``: an agency's plan accepted and ``count`` PSPs registered under it, one
    minute apart; their registration ids, in the order registered."""

    def register(count: int) -> list[int]:
        record(doc("PSP-ORP"), *(doc("PSP-REG", another_psp(n), minutes=n) for n in range(1, count + 1)))
        with Session(engine) as session:
            return list(session.scalars(select(RegistrationRecord.id).order_by(RegistrationRecord.id)))

    return register


FORGOTTEN_EMAIL = "jordan.example@example.org"  # reg_valid_cei's PSP


@pytest.fixture
def forgettable(settings) -> Iterator[tuple[Any, Any]]:
    """The data home of ``settings`` after a run of two sample submissions, an agency's plan and
    Jordan Example's registration packet: the person ``pipeline.load.forget`` finds by
    ``FORGOTTEN_EMAIL``, and the store (an engine)."""
    import shutil

    from pipeline.load import forget, store
    from pipeline.run import process
    from tests.conftest import SAMPLES

    settings.data_home.inbox.mkdir(parents=True)
    for name in ("orp_valid_cei.pdf", "reg_valid_cei.docx"):
        shutil.copy(SAMPLES / "submissions" / name, settings.data_home.inbox / name)
    process(settings)
    engine = store.open_store(settings.store_url)
    yield forget.find_person(engine, FORGOTTEN_EMAIL), engine
    engine.dispose()
