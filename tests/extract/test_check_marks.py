"""Check marks from any program: the registration packet filled, flattened, printed or ticked by
hand with the real tools (``samples/pdf_tools.py``), every box read as it was ticked.

Half of the boxes are ticked, so a reading of "all checked" fails as surely as "none checked"
(before symbol fonts were read by their font, PyMuPDF's ZapfDingbats ``3`` read as the digit and
every box as unchecked, after baking, printing or re-distilling alike).

The tools are installed by ``make setup`` (pdf-lib, PyMuPDF) and ``make system-deps`` (pdftk-java,
poppler-utils, ghostscript, qpdf); without them these tests skip, except in CI, where that fails.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.extract import extract
from pipeline.intake import receive
from pipeline.model import InputKind
from samples import pdf_tools
from samples.renditions import form_cases
from tests.conftest import require_tools

BLANK = Path(__file__).resolve().parents[2] / "samples" / "forms" / "PSP-REG_2025.1.pdf"

# How each rendition is made from the blank form and the values.
RENDITIONS = {
    "pdflib_flattened": lambda values, out, work: pdf_tools.pdflib_fill(BLANK, values, out, flatten=True),
    "pdflib_own_appearances": lambda values, out, work: pdf_tools.pdflib_fill(BLANK, values, out, flatten=True,
                                                                              own_appearances=True),
    "pymupdf_baked": lambda values, out, work: pdf_tools.pymupdf_fill(BLANK, values, out, bake=True),
    "pdftk_flattened": lambda values, out, work: pdf_tools.pdftk_fill(BLANK, values, out),
    "pymupdf_qpdf_flattened": lambda values, out, work: pdf_tools.qpdf_flatten(_pymupdf(values, work), out),
    "pymupdf_printed_pdftocairo": lambda values, out, work: pdf_tools.cairo_print(_pymupdf(values, work), out),
    "pymupdf_ghostscript": lambda values, out, work: pdf_tools.ghostscript_distill(_pymupdf(values, work), out),
    "pdflib_printed_pdftocairo": lambda values, out, work: pdf_tools.cairo_print(_pdflib(values, work), out),
    **{f"pen_{style}": (lambda style: lambda values, out, work: pdf_tools.pen_marks(BLANK, values, out, style))(style)
       for style in pdf_tools.PEN_STYLES},
}


def _pymupdf(values, work: Path) -> Path:
    filled = work / "pymupdf-filled.pdf"
    if not filled.exists():
        pdf_tools.pymupdf_fill(BLANK, values, filled)
    return filled


def _pdflib(values, work: Path) -> Path:
    filled = work / "pdflib-filled.pdf"
    if not filled.exists():
        pdf_tools.pdflib_fill(BLANK, values, filled)
    return filled


@pytest.fixture(scope="module")
def half_ticked() -> dict[str, str | bool]:
    (case,) = [c for c in form_cases() if c.name == "reg_valid_cei"]
    boxes = [key for key, value in case.values.items() if isinstance(value, bool)]
    return {**case.values, **{key: number % 2 == 0 for number, key in enumerate(boxes)}}


@pytest.fixture(scope="module")
def made(tmp_path_factory, half_ticked) -> dict[str, Path]:
    require_tools(pdf_tools.missing_tools())
    work = tmp_path_factory.mktemp("check-marks")
    files = {}
    for name, make in RENDITIONS.items():
        files[name] = work / f"{name}.pdf"
        make(half_ticked, files[name], work)
    return files


@pytest.mark.parametrize("rendition", sorted(RENDITIONS))
def test_every_box_is_read_as_it_was_ticked(made, half_ticked, rendition):
    path = made[rendition]
    document = extract(receive(path, path.parent))
    assert (document.kind, document.form_id) == (InputKind.FLAT_PDF, "PSP-REG")
    read = {key: document.fields[key].value if key in document.fields else None for key in half_ticked}
    assert read == half_ticked


@pytest.mark.parametrize(("font", "bullet"), [("ZapfDingbats", "l"), ("ZapfDingbats", "4"), ("ZapfDingbats", "n")])
def test_a_commitment_list_with_symbol_bullets_is_not_ticked(tmp_path, font, bullet):
    # An agency's version lists the commitments as bullets, no boxes: a bullet is not a tick (a
    # ● read as ☒ accepted a packet with none of its boxes ticked).
    from reportlab.lib.pagesizes import letter
    from reportlab.pdfgen.canvas import Canvas

    from schemas.spec import load_form_spec

    spec = load_form_spec("PSP-REG")
    c = Canvas(str(tmp_path / "bullets.pdf"), pagesize=letter)
    y = 700
    for key in ("commit_classroom", "commit_coaching", "commit_quarterly_pd", "ack_confidentiality"):
        c.setFont(font, 9)
        c.drawString(80, y, bullet)
        c.setFont("Helvetica", 9)
        c.drawString(95, y, spec.field(key).label)
        y -= 18
    c.setFont("Helvetica", 7)
    c.drawString(72, 30, spec.marker)
    c.save()
    fields = extract(receive(tmp_path / "bullets.pdf", tmp_path)).fields
    for key in ("commit_classroom", "commit_coaching", "commit_quarterly_pd", "ack_confidentiality"):
        assert key not in fields or fields[key].value is not True, key
