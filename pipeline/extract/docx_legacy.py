"""Word forms made with legacy form fields (FORMTEXT, FORMCHECKBOX, FORMDROPDOWN), as many
agencies' older templates still are.

A legacy field named like one of the form's keys is read by its name, as surely as a content
control. Fields named otherwise (Word names them ``Text1``, ``Check3``...) are tied to the form's
fields by the printed label beside or above them: a text field shows its text, a drop-down its
chosen entry, a checkbox its state (``pipeline.extract.docx_text``).
"""

from __future__ import annotations

from pathlib import Path

from docx.document import Document

from pipeline.extract.base import DocumentUnreadable, RawDocument
from pipeline.extract.docx_text import legacy_widgets, read_docx_text
from pipeline.model import InputKind


class WordLegacyFormExtractor:
    kind = InputKind.WORD_LEGACY_FORM

    def read(self, path: Path, opened: Document | None = None) -> RawDocument:
        """The legacy fields named like the form's keys, and the text for the others' labels;
        DocumentUnreadable for a file with no text at all."""
        _, layout, legacy, marker_text = read_docx_text(path, opened)
        if not layout.lines:
            raise DocumentUnreadable("the Word file has no text; ask the sender for the filled form")
        return RawDocument(widgets=legacy_widgets(legacy), marker_text=marker_text, layout=layout)
