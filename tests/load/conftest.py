"""Fixtures of the store tests: forms as read with bytes of their own (the store and the batch
recorder are the whole suite's, in ``tests/conftest.py``)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest

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
