"""The official fillable PDF filled, flattened, printed and marked by the tools agencies really use.

Each function writes one PDF from the blank form (or from another tool's output) with the real
program, never with an imitation of its output:

| function | tool | what it leaves in the page |
|---|---|---|
| ``pdflib_fill`` | pdf-lib (npm, ``samples/pdflib``) | the form's own appearances; with ``own_appearances`` pdf-lib's vector tick; ``flatten`` draws them into the page |
| ``pymupdf_fill`` | PyMuPDF (MuPDF) | a ZapfDingbats ``3`` per ticked box; ``bake`` flattens |
| ``pdftk_fill`` | pdftk-java | the form's appearances, flattened |
| ``qpdf_flatten`` | qpdf | another tool's filled form, its appearances drawn into the page |
| ``cairo_print`` | pdftocairo (poppler) | a print to PDF: fonts re-embedded (ZapfDingbats becomes URW's D050000L) |
| ``ghostscript_distill`` | Ghostscript pdfwrite | a re-distilled PDF, annotations drawn into the page |
| ``pen_marks`` | PyMuPDF drawing | the form baked with no box ticked, then each box ticked by hand: vector strokes, a pasted picture of a tick, or a Unicode mark typed over it |

``TOOLS`` says which program each needs; ``missing_tools`` which of them this machine lacks.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

SAMPLES = Path(__file__).resolve().parent
PDFLIB = SAMPLES / "pdflib"
Values = Mapping[str, str | bool]

# A font with the Unicode check marks, as an editor's "type text" tool embeds it.
MARK_FONTS = ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",)
PEN_STYLES = ("strokes", "tick_path", "picture", "unicode")


def _pdflib_ready() -> bool:
    return shutil.which("node") is not None and (PDFLIB / "node_modules" / "pdf-lib").is_dir()


def _pymupdf_ready() -> bool:
    try:
        import pymupdf  # noqa: F401
    except ImportError:
        return False
    return True


TOOLS = {
    "pdf-lib (npm: `make setup` runs `npm ci` in samples/pdflib)": _pdflib_ready,
    "PyMuPDF (pip: the test extra)": _pymupdf_ready,
    "pdftk (Debian: pdftk-java)": lambda: shutil.which("pdftk") is not None,
    "pdftocairo (Debian: poppler-utils)": lambda: shutil.which("pdftocairo") is not None,
    "gs (Debian: ghostscript)": lambda: shutil.which("gs") is not None,
    "qpdf (Debian: qpdf)": lambda: shutil.which("qpdf") is not None,
    "a font with check marks (Debian: fonts-dejavu-core)": lambda: any(Path(f).is_file() for f in MARK_FONTS),
}


def missing_tools() -> list[str]:
    return [name for name, ready in TOOLS.items() if not ready()]


def _run(command: list[str], **options) -> None:
    result = subprocess.run(command, capture_output=True, timeout=300, check=False, **options)
    if result.returncode != 0:
        raise RuntimeError(f"{command[0]} failed ({result.returncode}): {result.stderr.decode(errors='replace')[:400]}")


def pdflib_fill(blank: Path, values: Values, out: Path, *, flatten: bool = False, own_appearances: bool = False) -> None:
    command = ["node", str(PDFLIB / "fill.mjs"), str(blank), str(out)]
    command += ["--flatten"] * flatten + ["--own-appearances"] * own_appearances
    _run(command, input=json.dumps(dict(values)).encode())


def pymupdf_fill(blank: Path, values: Values, out: Path, *, bake: bool = False, tick: bool = True) -> None:
    """Fill with PyMuPDF; ``tick=False`` leaves every box as it is (for ``pen_marks``)."""
    import pymupdf

    with pymupdf.open(blank) as document:
        for page in document:
            for widget in page.widgets():
                if widget.field_name not in values:
                    continue
                value = values[widget.field_name]
                if widget.field_type == pymupdf.PDF_WIDGET_TYPE_CHECKBOX:
                    if not tick:
                        continue
                    widget.field_value = widget.on_state() if value else "Off"
                else:
                    widget.field_value = str(value)
                widget.update()
        if bake:
            document.bake()
        document.save(out, garbage=3, deflate=True)


def pdftk_fill(blank: Path, values: Values, out: Path) -> None:
    """pdftk-java fills from an XFDF and flattens."""
    from xml.sax.saxutils import escape, quoteattr

    fields = "".join(
        f"<field name={quoteattr(name)}><value>{escape('Yes' if value is True else 'Off' if value is False else str(value))}</value></field>"
        for name, value in values.items()
    )
    xfdf = out.with_suffix(".xfdf")
    xfdf.write_text(f'<?xml version="1.0" encoding="UTF-8"?><xfdf xmlns="http://ns.adobe.com/xfdf/"><fields>{fields}</fields></xfdf>', "utf-8")
    try:
        _run(["pdftk", str(blank), "fill_form", str(xfdf), "output", str(out), "flatten"])
    finally:
        xfdf.unlink(missing_ok=True)


def qpdf_flatten(source: Path, target: Path) -> None:
    """qpdf draws every annotation's appearance into its page (making missing ones first)."""
    if shutil.which("qpdf") is None:
        raise RuntimeError("qpdf is not installed: run `make system-deps`")
    _run(["qpdf", "--flatten-annotations=all", "--generate-appearances", str(source), str(target)])


def cairo_print(source: Path, out: Path) -> None:
    _run(["pdftocairo", "-pdf", str(source), str(out)])


def ghostscript_distill(source: Path, out: Path) -> None:
    _run(["gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=pdfwrite", "-dPreserveAnnots=false",
          f"-sOutputFile={out}", str(source)])


def _tick_picture(size: int = 48) -> bytes:
    """A PNG of a hand-drawn tick, as a stamp tool pastes it."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (size, size), "white")
    ImageDraw.Draw(image).line([(size * 0.15, size * 0.55), (size * 0.4, size * 0.85), (size * 0.9, size * 0.12)],
                               fill="black", width=max(3, size // 10))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def pen_marks(blank: Path, values: Values, out: Path, style: str) -> None:
    """The form filled and baked with every box empty, then each box to tick ticked by hand in
    ``style``: ``strokes`` (two lines, a cross), ``tick_path`` (one stroked path), ``picture``
    (a pasted image of a tick) or ``unicode`` (✔ typed over the box in an embedded font)."""
    import pymupdf

    if style not in PEN_STYLES:
        raise ValueError(f"unknown pen style {style!r}; choose from {', '.join(PEN_STYLES)}")
    with pymupdf.open(blank) as form:
        boxes = [(page.number, widget.rect) for page in form for widget in page.widgets()
                 if widget.field_type == pymupdf.PDF_WIDGET_TYPE_CHECKBOX and values.get(widget.field_name) is True]
    baked = out.with_suffix(".baked.pdf")
    pymupdf_fill(blank, {k: v for k, v in values.items() if not isinstance(v, bool)}, baked, bake=True, tick=False)
    picture = _tick_picture() if style == "picture" else None
    font = next((f for f in MARK_FONTS if Path(f).is_file()), None)
    with pymupdf.open(baked) as document:
        for number, rect in boxes:
            page = document[number]
            inner = rect + (2, 2, -2, -2)
            if style == "strokes":
                page.draw_line(inner.tl, inner.br, width=1)
                page.draw_line(inner.bl, inner.tr, width=1)
            elif style == "tick_path":
                shape = page.new_shape()
                shape.draw_polyline([pymupdf.Point(inner.x0, inner.y0 + inner.height * 0.55),
                                     pymupdf.Point(inner.x0 + inner.width * 0.4, inner.y1),
                                     pymupdf.Point(inner.x1, inner.y0)])
                shape.finish(width=1.2, closePath=False)
                shape.commit()
            elif style == "picture":
                page.insert_image(inner, stream=picture)
            else:
                if font is None:
                    raise RuntimeError("no font with check marks: install fonts-dejavu-core")
                page.insert_text(pymupdf.Point(inner.x0, inner.y1 - 0.5), "\u2714", fontsize=inner.height,
                                 fontname="marks", fontfile=font)
        document.save(out, garbage=3, deflate=True)
    baked.unlink(missing_ok=True)
