"""What the extraction tests share: the blank forms and sample submissions, a received file of
any path (``received``), and files made for a test (a scan with no text, a Word file rebuilt, an
older template of legacy fields, a value typed beside a content control)."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest

from pipeline.intake import receive

FORMS = Path(__file__).resolve().parents[2] / "samples" / "forms"
SUBMISSIONS = FORMS.parent / "submissions"


@pytest.fixture
def received(tmp_path):
    def make(path: Path):
        return receive(path, path.parent)

    return make


def blank(form_id: str, suffix: str) -> Path:
    return FORMS / f"{form_id}_2025.1{suffix}"


def image_only_pdf(path: Path) -> Path:
    """A one-page PDF that is a picture (a scan or a fax): no form field, no text."""
    from PIL import Image

    Image.new("L", (612, 792), 255).save(path, "PDF", resolution=72)
    return path


def rebuild(blank: Path, out: Path, replace: dict[str, bytes]) -> Path:
    """The Word file ``blank`` again at ``out``, with the parts in ``replace`` put in (or added)."""
    with zipfile.ZipFile(blank) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item.filename, replace.pop(item.filename, source.read(item.filename)))
        for name, data in replace.items():
            target.writestr(name, data)
    return out


def legacy_form(out: Path, *, named_like_keys: bool) -> Path:
    """The registration packet filled in an older agency template of Word legacy form fields
    (``samples.renditions.legacy_docx``), the fields named like the form's keys or ``Text1``..."""
    import random

    from samples.renditions import legacy_docx
    from schemas import load_form_spec
    from tests.conftest import VALID_PACKET

    seed = 1 if named_like_keys else 0  # the template names its fields by key three times in ten
    legacy_docx(load_form_spec("PSP-REG"), VALID_PACKET, out, random.Random(seed))
    return out


def typed_beside_a_control(tmp_path: Path, out: Path, *, filled: str, typed: str) -> Path:
    """The official Word form with its city control set to ``filled`` and ``typed`` right after it
    (a value typed beside a content control, as agencies type over the form)."""
    from samples.fill import fill_docx

    source = tmp_path / "filled-city.docx"
    fill_docx(blank("PSP-REG", ".docx"), {"psp_city": filled}, source)
    with zipfile.ZipFile(source) as z:
        entries = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    document_xml = dict(entries)["word/document.xml"].decode()
    end = document_xml.index("</w:sdt>", document_xml.index('w:val="psp_city"')) + len("</w:sdt>")
    document_xml = document_xml[:end] + f'<w:r><w:t xml:space="preserve">{typed}</w:t></w:r>' + document_xml[end:]
    with zipfile.ZipFile(out, "w") as z:
        for name, data in entries:
            z.writestr(name, document_xml.encode() if name == "word/document.xml" else data)
    return out


@pytest.fixture(scope="session")
def tesseract() -> None:
    """Tesseract is installed (``make system-deps``): without it OCR tests skip, except in CI."""
    from tests.conftest import require_tools

    require_tools([] if shutil.which("tesseract") else ["tesseract (tesseract-ocr, tesseract-ocr-eng)"])


@pytest.fixture(scope="session")
def filled_packet(tmp_path_factory, tesseract) -> Path:
    """The valid registration packet filled (PyMuPDF) and baked into its pages, as a form printed
    from a PDF reader: what a scan or a fax is a picture of."""
    from samples.pdf_tools import pymupdf_fill
    from tests.conftest import VALID_PACKET

    out = tmp_path_factory.mktemp("ocr") / "packet.pdf"
    pymupdf_fill(blank("PSP-REG", ".pdf"), VALID_PACKET, out, bake=True)
    return out
