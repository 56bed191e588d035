"""Drawing an original's pages as pictures, in a process of its own (``pipeline.desk.pages`` runs
it through ``pipeline.extract.tools.run_tool``, under a time limit, its process group killed past it).

A PDF is a program of the sender's making: pdfium draws it here, away from the desk's own
process, with its memory bounded (``MEMORY_BYTES``) and its picture too (``MOST_PIXELS``), so that
a page a hundred feet wide, or a file built to exhaust the drawer, costs the desk one failed
picture and nothing more. Pictures (a fax, a phone's photo) are drawn with Pillow the same way.

    python -m pipeline.desk.draw count pdf|picture FILE     prints how many pages there are
    python -m pipeline.desk.draw page pdf|picture FILE N    writes page N (from 1) as a PNG to standard output
"""

from __future__ import annotations

import io
import math
import resource
import sys
from pathlib import Path
from typing import Any

MOST_PAGES = 50  # pages drawn of one original; the forms have two to six
SCALE = 1.5  # 108 dots per inch: the form's small print stays readable at 1280 px
MOST_PIXELS = 6_000_000  # a Letter page at SCALE is 2.1 million; a larger page is drawn smaller
MOST_PICTURE_PIXELS = 60_000_000  # a picture larger than this is not opened (as OCR refuses it)
MEMORY_BYTES = 2 * 1024**3  # the drawing process's address space: pdfium and a page's pixels fit well within


def _fit(width: float, height: float, scale: float) -> float:
    """``scale``, or less, so that a ``width`` by ``height`` page is drawn within ``MOST_PIXELS``."""
    # (a little less than the exact root: the drawer rounds each side up to a whole pixel)
    return min(scale, math.sqrt(MOST_PIXELS / max(width * height, 1.0)) * 0.995)


def _png(picture: object) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", optimize=False)  # type: ignore[attr-defined]
    return buffer.getvalue()


def pdf_count(path: Path) -> int:
    """How many pages of the PDF are drawn (at most ``MOST_PAGES``)."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(path)
    try:
        return min(len(document), MOST_PAGES)
    finally:
        document.close()


def pdf_page(path: Path, number: int) -> bytes:
    """Page ``number`` of the PDF as a PNG, its form fields' values drawn, within ``MOST_PIXELS``."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(path)
    try:
        if not 1 <= number <= min(len(document), MOST_PAGES):
            raise IndexError(number)
        document.init_forms()
        page = document[number - 1]
        width, height = page.get_size()
        return _png(page.render(scale=_fit(width, height, SCALE), may_draw_forms=True).to_pil())
    finally:
        document.close()


def _opened(path: Path) -> Any:
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = MOST_PICTURE_PIXELS  # larger: Pillow refuses it (a decompression bomb)
    return Image.open(path)


def picture_count(path: Path) -> int:
    """How many pages (frames) the picture has, at most ``MOST_PAGES``."""
    return min(getattr(_opened(path), "n_frames", 1), MOST_PAGES)


def picture_page(path: Path, number: int) -> bytes:
    """Frame ``number`` of the picture as a PNG: turned upright as its EXIF says, a fax's
    oblong pixels made square (as OCR reads it), within ``MOST_PIXELS``."""
    from PIL import Image, ImageOps

    image = _opened(path)
    if not 1 <= number <= min(getattr(image, "n_frames", 1), MOST_PAGES):
        raise IndexError(number)
    image.seek(number - 1)
    dpi = image.info.get("dpi")
    picture = ImageOps.exif_transpose(image.copy())
    if isinstance(dpi, tuple) and len(dpi) == 2 and float(dpi[0] or 0) > 0 and float(dpi[1] or 0) > 0:
        across, down = float(dpi[0]), float(dpi[1])
        if abs(across - down) > 1:
            picture = picture.resize((picture.width, max(1, round(picture.height * across / down))))
    if picture.mode not in ("L", "RGB"):
        picture = picture.convert("L" if picture.mode == "1" else "RGB")  # (a fax stays grey: a smaller PNG)
    if picture.width * picture.height > MOST_PIXELS:
        factor = _fit(picture.width, picture.height, 1.0)
        picture = picture.resize((max(1, round(picture.width * factor)), max(1, round(picture.height * factor))),
                                 Image.Resampling.LANCZOS)
    return _png(picture)


def main(argv: list[str]) -> int:
    """Count the pages of, or draw one page of, a PDF or a picture (see the module's docstring)."""
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    what, kind, path = argv[0], argv[1], Path(argv[2])
    if what == "count":
        sys.stdout.write(str(pdf_count(path) if kind == "pdf" else picture_count(path)))
        return 0
    number = int(argv[3])
    sys.stdout.buffer.write(pdf_page(path, number) if kind == "pdf" else picture_page(path, number))
    return 0


if __name__ == "__main__":  # pragma: no cover - run by pipeline.desk.pages in a process of its own
    sys.exit(main(sys.argv[1:]))
