"""What the label reader's tests share: Word documents typed by hand (``docx_with``) and the labels
read from them for the registration packet (``read``)."""

from __future__ import annotations

from pathlib import Path

from docx import Document

from pipeline.extract.docx_text import read_docx_text
from pipeline.extract.labels import read_labels
from schemas import load_form_spec

REG = load_form_spec("PSP-REG")


def docx_with(tmp_path: Path, build, name: str = "typed.docx") -> Path:
    """A Word document made by ``build`` (python-docx), the packet's marker in its footer."""
    doc = Document()
    build(doc)
    doc.sections[0].footer.paragraphs[0].text = "Form PSP-REG version 2025.1"
    path = tmp_path / name
    doc.save(str(path))
    return path


def read(path: Path):
    """The packet's fields read by their labels from the Word document at ``path``."""
    _, layout, _, _ = read_docx_text(path)
    return read_labels(layout, REG).values
