"""The pictures of a document's pages, in grey, with their resolution: from a scanned PDF, a fax
(TIFF, one page per frame) or a photo (JPEG, PNG).

A scanned PDF's page is drawn by pdfium at the resolution of the picture it holds (a 200 dpi scan
is read at 200 dpi: nothing is lost, nothing is invented); a page of 180 dpi or more that is
nothing but one DeviceGray picture set upright over the whole of it is that picture, taken out
as stored (drawing it again pixel for pixel cost eight times as much: 0.16 s a 300 dpi page
against 0.02). A picture file says its own resolution, or, when it does not (a phone's photo says 72), the page is taken to be Letter size. A fax's
pixels are not square (204 × 196 dpi in fine mode, 204 × 98 in normal): the page is stretched to
square pixels. A photo's pixels are turned upright as its EXIF Orientation tag says.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, ImageSequence

from pipeline.errors import DocumentUnreadable

MAX_PAGES = 40  # a form is a few pages; a longer file is not one of them, and reading it would take minutes
MAX_PIXELS = 60_000_000  # a page at 600 dpi is 34 million; a phone's photo 12 to 50
MIN_SIDE_PIXELS, MAX_ASPECT = 300, 3.0  # a page, even a small photo of one, is no thinner than this
LETTER_LONG_SIDE_INCHES = 11.0
MIN_DPI, MAX_DPI = 100.0, 400.0  # a page drawn finer than 400 dpi reads no better, and costs four times as much
DEFAULT_PDF_DPI = 300.0  # a page whose picture's resolution cannot be told
# A coarser page is drawn even when it is one picture: pdfium's drawing smooths a coarse JPEG's
# blocks a little, and Tesseract reads it better so (measured on the as-received sample's 150 dpi
# scans: 6 fields of 118 lost when read as stored); finer pages read the same either way.
STORED_MIN_DPI = 180.0


@dataclass
class PageImage:
    """One page as a grey picture (``pixels``: rows × columns, 0 black to 255 white) at ``dpi``."""

    pixels: np.ndarray
    dpi: float
    number: int
    # Taken with a camera rather than a scanner: the page may lie askew on a background, unevenly lit.
    photo: bool = False
    # The resolution the page was taken at, when it is drawn at another (a photo's sheet cut out
    # and set square; a fax's coarser lines): how fine its letters really are.
    source_dpi: float | None = None
    # One bit a pixel as taken (a fax, a copier's black and white), when the file says so; None: told from the pixels.
    bilevel: bool | None = None


def _grey(image: Image.Image) -> np.ndarray:
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        # 16 bits or more a pixel: scaled to 8 (Pillow would clip every value above 255 to white)
        wide = np.asarray(image, dtype=np.float64)
        top = float(wide.max()) or 1.0
        return np.clip(wide * (255.0 / top), 0, 255).astype(np.uint8)
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        # a transparent background is white paper, not black
        background = Image.new("RGBA", image.size, "white")
        image = Image.alpha_composite(background, image.convert("RGBA"))
    return np.asarray(image.convert("L"))


def _square_pixels(image: Image.Image, dpi: tuple[float, float]) -> tuple[Image.Image, float]:
    """A fax's page stretched to square pixels at its finer resolution."""
    x_dpi, y_dpi = dpi
    if abs(x_dpi - y_dpi) <= 1:
        return image, x_dpi
    finer = max(x_dpi, y_dpi)
    size = (round(image.width * finer / x_dpi), round(image.height * finer / y_dpi))
    return image.resize(size, Image.Resampling.BILINEAR), finer


def _stated_dpi(image: Image.Image) -> tuple[float, float] | None:
    """The resolution a picture states, when it is a plausible one for a scanned page."""
    stated = image.info.get("dpi")
    if not stated or len(stated) != 2:
        return None
    try:
        x_dpi, y_dpi = float(stated[0]), float(stated[1])
    except (TypeError, ValueError):
        return None
    if not (MIN_DPI * 0.9 <= x_dpi <= 1200 and MIN_DPI * 0.45 <= y_dpi <= 1200) or max(x_dpi, y_dpi) > 2.5 * min(x_dpi, y_dpi):
        return None  # 72 or 96: a screen's default, said of a photo, not a scan's real resolution
    return x_dpi, y_dpi


def image_pages(path: Path) -> Iterator[PageImage]:
    """The pages of a picture file: each frame of a TIFF, or the one picture of a JPEG or PNG."""
    try:
        with Image.open(path) as opened:
            _refuse_too_large(opened)
            for number, frame in enumerate(ImageSequence.Iterator(opened), start=1):
                if number > MAX_PAGES:
                    raise DocumentUnreadable(
                        f"the picture file holds more pages than a form has ({MAX_PAGES} at most); a person should open it"
                    )
                _refuse_too_large(frame)
                page = ImageOps.exif_transpose(frame)
                stated = _stated_dpi(page)
                photo = stated is None or page.mode in ("RGB", "RGBA", "CMYK", "YCbCr") and opened.format == "JPEG"
                if stated is None:
                    dpi = max(page.size) / LETTER_LONG_SIDE_INCHES
                    yield PageImage(_grey(page), dpi, number, photo=True)
                    continue
                bilevel = page.mode == "1"
                square, dpi = _square_pixels(page, stated)
                if dpi > MAX_DPI:  # read no finer than a PDF's page is drawn
                    square = square.resize((round(square.width * MAX_DPI / dpi), round(square.height * MAX_DPI / dpi)),
                                           Image.Resampling.BOX)
                    dpi = MAX_DPI
                yield PageImage(_grey(square), dpi, number, photo=photo, source_dpi=min(stated), bilevel=bilevel)
    except (OSError, ValueError, SyntaxError, TypeError, EOFError, Image.DecompressionBombError) as exc:
        raise DocumentUnreadable(f"the picture could not be read ({type(exc).__name__}); a person should open it") from exc


def _refuse_too_large(image: Image.Image) -> None:
    """DocumentUnreadable for a picture larger or stranger than a page's (told from its header,
    before it is decoded): a photo of a page is a few million pixels, not a hundred."""
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise DocumentUnreadable(
            f"the picture is {width}×{height} pixels, larger than a page is photographed or scanned; a person should open it"
        )
    if min(width, height) < MIN_SIDE_PIXELS or max(width, height) > MAX_ASPECT * min(width, height):
        raise DocumentUnreadable(f"the picture is {width}×{height} pixels, not the shape of a page; a person should open it")


def _picture_dpi(page) -> tuple[float, bool | None]:  # noqa: ANN001 - a pypdfium2 page
    """The resolution of the largest picture on a scanned PDF page (its pixels over the page's
    width or height, the coarser), and whether it is one bit a pixel."""
    import pypdfium2.raw as pdfium_c

    width_points = page.get_width() or 612.0
    best, bilevel = 0.0, None
    for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=1):
        try:
            pixels_wide, pixels_tall = obj.get_px_size()
            left, bottom, right, top = obj.get_bounds()
        except Exception:  # noqa: BLE001, S112 - a picture pdfium cannot measure: the next one may be
            continue
        if right - left > width_points * 0.5 and top - bottom > 0:
            # the coarser way: a fax's "normal" mode has half as many lines as dots across
            dpi = min(pixels_wide / ((right - left) / 72.0), pixels_tall / ((top - bottom) / 72.0))
            if dpi > best:
                best = dpi
                try:
                    bilevel = obj.get_metadata().bits_per_pixel == 1
                except Exception:  # noqa: BLE001 - told from the pixels instead
                    bilevel = None
    return best, bilevel


def _stored_picture(page) -> np.ndarray | None:  # noqa: ANN001 - a pypdfium2 page
    """The page's one picture as stored, when the page is nothing else (no text, drawing or note
    shows on it), not turned, and the picture is grey (or one bit a pixel) and set upright over
    the whole page: what drawing the page would show, pixel for pixel. None otherwise."""
    import pypdfium2.raw as pdfium_c

    if page.get_rotation() or pdfium_c.FPDFPage_CountObjects(page.raw) != 1 or pdfium_c.FPDFPage_GetAnnotCount(page.raw):
        return None
    (picture,) = page.get_objects(max_depth=1)
    if picture.type != pdfium_c.FPDF_PAGEOBJ_IMAGE:
        return None
    if picture.get_metadata().colorspace != pdfium_c.FPDF_COLORSPACE_DEVICEGRAY:
        # (a stencil mask, as Ghostscript writes a one-bit scan, has no colour space: as stored its
        # ink is white, painted black only when drawn; other grey spaces are drawn too)
        return None
    a, b, c, d, e, f = picture.get_matrix().get()
    width, height = page.get_width(), page.get_height()
    if b or c or abs(a - width) > 1 or abs(d - height) > 1 or abs(e) > 1 or abs(f) > 1:
        return None  # turned, mirrored, or not the whole page
    try:
        bitmap = picture.get_bitmap(render=False)
    except Exception:  # noqa: BLE001 - pdfium draws the page instead
        return None
    if bitmap.format != pdfium_c.FPDFBitmap_Gray:
        return None  # colour: drawn, as pdfium makes it grey
    return np.ascontiguousarray(bitmap.to_numpy())


def pdf_pages(path: Path) -> Iterator[PageImage]:
    """The pages of a scanned PDF, drawn at the resolution of their pictures (within 100–400 dpi)."""
    import pypdfium2

    try:
        pdf = pypdfium2.PdfDocument(str(path))
    except pypdfium2.PdfiumError as exc:
        raise DocumentUnreadable(f"the PDF could not be read ({type(exc).__name__})") from exc
    try:
        if len(pdf) > MAX_PAGES:
            raise DocumentUnreadable(
                f"the scan has {len(pdf)} pages, more than a form has ({MAX_PAGES} at most); a person should open it"
            )
        for number, page in enumerate(pdf, start=1):
            stated, bilevel = _picture_dpi(page)
            dpi = min(max(stated or DEFAULT_PDF_DPI, MIN_DPI), MAX_DPI)
            if dpi == stated and dpi >= STORED_MIN_DPI and (stored := _stored_picture(page)) is not None:
                yield PageImage(stored, dpi, number, source_dpi=stated, bilevel=bilevel)
                continue
            bitmap = page.render(scale=dpi / 72.0, grayscale=True, may_draw_forms=False)
            pixels = np.array(bitmap.to_numpy()[..., 0] if bitmap.to_numpy().ndim == 3 else bitmap.to_numpy())
            yield PageImage(pixels, dpi, number, source_dpi=stated or None, bilevel=bilevel)
    except pypdfium2.PdfiumError as exc:
        raise DocumentUnreadable(f"a page of the PDF could not be drawn ({type(exc).__name__})") from exc
    finally:
        pdf.close()
