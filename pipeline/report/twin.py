"""A run report's JSON twin read back: its documents as ``DocumentReport`` again, one at a time.

The twin (``run-<id>.json``, written by ``pipeline.report.html.RunReport``) is one line, with the
documents last; a run's documents are read from it (or from the report's temporary file while
the run goes on) one by one, so that a run of any size is not held in memory as objects.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from pipeline.report.models import DocumentReport

TWIN_DOCUMENTS = ',"documents":['  # where the documents begin in a twin (``RunReport.write``)


def twin_json(value: Any) -> str:
    """``value`` as the twin writes it: compact, on one line (every line break inside a string escaped)."""
    return json.dumps(value, ensure_ascii=False, default=str, separators=(",", ":"))


class SpooledDocuments(Sequence[DocumentReport]):
    """A run's documents read back from a ``RunReport``'s temporary file, one at a time."""

    def __init__(self, spool: IO[bytes], places: list[tuple[int, int]]) -> None:
        """``places``: where each document's line is in ``spool`` (offset, length)."""
        self._spool = spool  # kept open (and alive) as long as this is
        self._places = places

    def __len__(self) -> int:
        return len(self._places)

    def __getitem__(self, index):  # noqa: ANN001, ANN204 - an int or a slice, as a list takes
        if isinstance(index, slice):
            return [self._read(place) for place in self._places[index]]
        return self._read(self._places[index])

    def __iter__(self) -> Iterator[DocumentReport]:
        for place in self._places:
            yield self._read(place)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and not isinstance(other, str) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<{len(self)} run documents>"

    def _read(self, place: tuple[int, int]) -> DocumentReport:
        offset, length = place
        return DocumentReport.model_validate(json.loads(os.pread(self._spool.fileno(), length, offset)))


def read_run_report(path: Path) -> tuple[dict[str, Any], Iterator[DocumentReport]]:
    """A run's JSON twin: everything but its documents, and its documents one at a time.

    The twin is one line (``RunReport.write``) with the documents last; they are decoded one by
    one, so that a run of any size is not held in memory as objects. Raises ValueError for a
    file that is not such a twin (also while its documents are gone through, a document that is
    not as the report writes one included), OSError when it cannot be read.
    """
    text = path.read_text("utf-8")
    start = text.find(TWIN_DOCUMENTS)
    if start < 0:  # not as this module writes it: the whole, at once
        whole = json.loads(text)
        if not isinstance(whole, dict) or not isinstance(whole.get("documents"), list):
            raise ValueError(f"{path.name} is not a run report")
        documents = whole.pop("documents")
        return whole, (DocumentReport.model_validate(document) for document in documents)
    # No string of the head can hold the marker: its quotes would be escaped.
    head = json.loads(text[:start] + "}")
    if not isinstance(head, dict) or "run_id" not in head:
        raise ValueError(f"{path.name} is not a run report")
    decoder = json.JSONDecoder()

    def documents() -> Iterator[DocumentReport]:
        at = start + len(TWIN_DOCUMENTS)
        if text.startswith("]}", at):
            return
        while True:
            document, at = decoder.raw_decode(text, at)
            yield DocumentReport.model_validate(document)
            if text.startswith(",", at):
                at += 1
            elif text.startswith("]}", at) and not text[at + 2 :].strip():
                return
            else:
                raise ValueError(f"{path.name} does not end as a run report does")

    return head, documents()
