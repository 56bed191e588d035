"""What the OCR tests share: a filled form's pages drawn as a scanner draws them (pypdfium2), and
saved as a scanner saves them (the filled form itself, ``filled_packet``, is in ``tests/extract/conftest.py``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image


def drawn(pdf: Path, dpi: float, page: int = 0) -> Image.Image:
    """A page of ``pdf`` drawn in grey at ``dpi``, as a scanner sees it."""
    import pypdfium2

    document = pypdfium2.PdfDocument(str(pdf))
    try:
        return document[page].render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
    finally:
        document.close()


def as_pixels(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("L"))


def scan_pdf(images: list[Image.Image], out: Path, dpi: float) -> Path:
    """Pictures saved as a PDF with no text layer (Pillow's PDF writer, as scanner software does)."""
    images[0].save(out, "PDF", resolution=dpi, save_all=True, append_images=images[1:])
    return out
