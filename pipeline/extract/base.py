"""The contract every extractor meets, and the registry that picks one by input kind.

An extractor reads one kind of file and returns the widgets it found (by their name in the file)
with where each was read and how sure it is, plus the text in which a form's marker line may
stand. Deciding which form that is happens once, in ``recognise``, for every kind alike.
Adding a kind: one module with a class meeting ``Extractor``, one line in ``EXTRACTORS``, and
how to tell it in ``pipeline.extract.detect``. Kinds that share a file type (three kinds of PDF,
three of Word) are told apart there by content, once, never by the file name; what was opened
to tell the kind is handed to the extractor (``opened``), which reads it instead of the file again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from pipeline.errors import DocumentUnreadable
from pipeline.extract.layout import Layout
from pipeline.model import FieldValue, InputKind


@dataclass
class RawDocument:
    """What an extractor read, before the form is recognised.

    ``widgets`` are the values of the file's own form fields (AcroForm fields, content controls,
    legacy form fields named like the form's keys), by name. ``layout`` is the document's text with
    where it stands, for the kinds whose fields are found by their printed labels (flat PDF, Word
    read as text): the labels are read once the form is known.
    """

    widgets: dict[str, FieldValue] = field(default_factory=dict)
    marker_text: str = ""
    pages: int | None = None
    layout: Layout | None = None


@runtime_checkable
class Extractor(Protocol):
    kind: InputKind

    def read(self, path: Path, opened: Any = None) -> RawDocument:
        """Read every widget of the file, from ``opened`` when detection parsed it already (a pypdf
        reader, a python-docx document). Raises DocumentUnreadable for a file it cannot read."""
        ...

__all__ = ["DocumentUnreadable", "Extractor", "RawDocument"]
