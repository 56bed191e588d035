"""The forms on paper: printed, signed by hand, then scanned, faxed or photographed with a phone.

Every function is deterministic for a given ``random.Random`` (numpy's noise is seeded from it),
so the same seed writes the same bytes.

| function | what it makes | like |
|---|---|---|
| ``printed_and_signed`` | the fillable form filled, flattened (qpdf), each signature drawn in a hand-like face (URW Z003) on its line, in pen ink | a form printed and signed by hand |
| ``scan_pdf`` | an image-only PDF: grey JPEG pages or 1-bit CCITT G4 pages at the dpi asked, skewed up to ±2°, off-white paper, slight blur, speckle | an office copier's scan to email |
| ``fax_tiff`` | a multi-page 1-bit TIFF at 204×196 dpi (fine mode), Group 4 (or Group 3), skewed up to ±1°, thin strokes broken, lost lines, the sending machine's header line on top | a fax server's file |
| ``photo_pdf`` | a PDF of phone photos of the pages, one JPEG per page | a phone's "share as PDF" of the photos of a form |
| ``photo_files`` | one JPEG (or PNG) per page, some stored turned with EXIF Orientation 6, 8 or 3 | the photos themselves, attached to an email |

A photo is the page on a darker desk, its corners moved a few per cent (perspective), a little
turned, lit unevenly with a soft shadow across it, slightly out of focus, 1600-3000 px on its
long side. A multi-page form photographed reaches the coordinator as a PDF of its photos (what a
phone's scanner or "share as PDF" makes): the pipeline reads one file as one document, and a form
sent as one JPEG per page would arrive as pages of no form. Single photos (``photo_files``) are
for the image reader's tests.
"""

from __future__ import annotations

import io
import math
import random
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

Values = Mapping[str, str | bool]

HAND_FONT_NAME = "Z003"  # URW's Zapf Chancery, Debian's fonts-urw-base35 (installed with Ghostscript)
HAND_FONTS = (
    "/usr/share/fonts/opentype/urw-base35/Z003-MediumItalic.otf",
    "/usr/share/fonts/type1/urw-base35/Z003-MediumItalic.t1",
)
FAX_HEADER_FONTS = ("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",)
FAX_DPI = (204, 196)  # fine mode: 8 dots/mm across, 7.7 lines/mm down
FAX_WIDTH = 1728  # dots across an A4/Letter fax line
PEN_INKS = ((0.05, 0.09, 0.42), (0.1, 0.1, 0.12), (0.02, 0.16, 0.5))  # blue ballpoint, black, royal blue
SCANNERS = ("Canon iR-ADV C5535", "RICOH MP C3004", "HP LaserJet MFP M428", "Xerox WorkCentre 6515", "KONICA MINOLTA bizhub C300i")
PHONES = (("Apple", "iPhone 12"), ("Apple", "iPhone 14 Pro"), ("samsung", "SM-A536U"), ("Google", "Pixel 7a"))
ORIENTATION_TAG = 0x0112
# EXIF Orientation -> how the upright picture is turned to be stored so (PIL.ImageOps.exif_transpose undoes it)
STORED_TURN = {3: Image.Transpose.ROTATE_180, 6: Image.Transpose.ROTATE_90, 8: Image.Transpose.ROTATE_270}


def hand_font() -> str:
    """The path of the hand-like face (URW Z003); asks for Debian's fonts-urw-base35 when missing."""
    for path in HAND_FONTS:
        if Path(path).is_file():
            return path
    if shutil.which("fc-match"):
        found = subprocess.run(["fc-match", "-f", "%{file}", HAND_FONT_NAME], capture_output=True, text=True, check=False)
        if HAND_FONT_NAME in found.stdout and Path(found.stdout).is_file():
            return found.stdout
    raise RuntimeError("the hand-like font URW Z003 is missing: install Debian's fonts-urw-base35 (`make system-deps`)")


def _noise(rng: random.Random) -> np.random.Generator:
    return np.random.default_rng(rng.getrandbits(64))


def _gaussian(noise: np.random.Generator, sigma: float, shape: tuple[int, ...]) -> np.ndarray:
    """Gaussian noise of ``sigma`` grey levels, in float32 (half the time of numpy's float64 default)."""
    return noise.standard_normal(shape, dtype=np.float32) * np.float32(sigma)


# -- on paper ----------------------------------------------------------------------------------------


def signature_keys(spec) -> list[str]:
    """The keys of a form's signature fields (``schemas.spec.FormSpec``)."""
    from schemas.spec import FieldType

    return [f.key for f in spec.fields if f.type is FieldType.SIGNATURE]


def printed_and_signed(blank: Path, values: Values, signatures: Sequence[str], out: Path, rng: random.Random) -> list[str]:
    """The form filled as the fillable PDF prints it, the fields of ``signatures`` left for the pen,
    then each of them that has a value signed by hand on its line; returns the keys signed."""
    import pymupdf

    from samples.fill import fill_pdf
    from samples.pdf_tools import qpdf_flatten

    typed = {k: ("" if k in signatures else v) for k, v in values.items()}
    filled = out.with_suffix(".typed.pdf")
    flat = out.with_suffix(".flat.pdf")
    try:
        fill_pdf(blank, typed, filled)
        qpdf_flatten(filled, flat)
        with pymupdf.open(blank) as form:
            lines = {w.field_name: (page.number, w.rect) for page in form for w in page.widgets() if w.field_name in signatures}
        signed = [k for k in signatures if isinstance(values.get(k), str) and values[k].strip() and k in lines]
        font = hand_font()
        with pymupdf.open(flat) as document:
            ink = rng.choice(PEN_INKS)
            for key in signed:
                number, rect = lines[key]
                _sign(document[number], rect, _as_signed(str(values[key]), rng), font, ink, rng)
            document.save(out, garbage=3, deflate=True)
    finally:
        filled.unlink(missing_ok=True)
        flat.unlink(missing_ok=True)
    return signed


def _as_signed(name: str, rng: random.Random) -> str:
    """A name as people sign it: whole, or the first name cut to its initial."""
    parts = name.split()
    if len(parts) >= 2 and rng.random() < 0.35:
        return f"{parts[0][0]}. {' '.join(parts[1:])}"
    return name


def _sign(page, rect, text: str, font: str, ink: tuple[float, float, float], rng: random.Random) -> None:
    """``text`` written by hand on the line of ``rect``: a size of its own, a little turned, past the box at times."""
    import pymupdf

    size = rect.height * rng.uniform(0.85, 1.25)
    start = pymupdf.Point(rect.x0 + rng.uniform(4, 40), rect.y1 - rect.height * rng.uniform(0.15, 0.35))
    turn = pymupdf.Matrix(rng.uniform(-4, 3))  # degrees, about the start of the line
    page.insert_text(start, text, fontsize=size, fontname="hand", fontfile=font, color=ink, morph=(start, turn))


def page_images(pdf: Path, dpi: float | tuple[float, float], *, colour: bool = False) -> list[Image.Image]:
    """``pdf``'s pages rendered (pypdfium2) at ``dpi`` (or ``(x_dpi, y_dpi)``), grey unless ``colour``."""
    import pypdfium2

    x_dpi, y_dpi = dpi if isinstance(dpi, tuple) else (dpi, dpi)
    document = pypdfium2.PdfDocument(str(pdf))
    try:
        images = []
        for page in document:
            width, height = page.get_size()
            image = page.render(scale=max(x_dpi, y_dpi) / 72, grayscale=not colour).to_pil()
            image = image.convert("RGB" if colour else "L")
            size = (round(width * x_dpi / 72), round(height * y_dpi / 72))
            images.append(image if image.size == size else image.resize(size, Image.Resampling.LANCZOS))
            page.close()
    finally:
        document.close()
    return images


# -- a copier's scan -----------------------------------------------------------------------------


def _paper(image: Image.Image, paper: int, ink: int) -> Image.Image:
    """White as the paper's grey, black as toner's: a scan is never pure black on pure white."""
    scale = (paper - ink) / 255
    return image.point(lambda v: round(ink + v * scale))


def _turned(image: Image.Image, degrees: float, fill: int | tuple[int, ...], shift: tuple[int, int] = (0, 0)) -> Image.Image:
    """The page turned by ``degrees`` about its centre and shifted, on a page of the same size."""
    return image.rotate(degrees, resample=Image.Resampling.BICUBIC, fillcolor=fill, translate=shift)


def _speckle(pixels: np.ndarray, noise: np.random.Generator, *, sigma: float, specks: float, dust: int) -> np.ndarray:
    """Sensor noise (``sigma``), dark and light specks (a share of the pixels) and a few dust spots."""
    pixels = pixels.astype(np.float32) + _gaussian(noise, sigma, pixels.shape)
    dots = noise.random(pixels.shape, dtype=np.float32)
    pixels[dots < specks] = noise.uniform(20, 90)
    pixels[dots > 1 - specks / 3] = 255
    height, width = pixels.shape
    for _ in range(dust):
        y, x = int(noise.integers(0, height - 4)), int(noise.integers(0, width - 4))
        r = int(noise.integers(1, 3))
        pixels[y : y + r, x : x + r] = noise.uniform(30, 120)
    return np.clip(pixels, 0, 255).astype(np.uint8)


def degrade_scan(page: Image.Image, rng: random.Random, *, dpi: int, bilevel: bool, max_skew: float = 2.0) -> Image.Image:
    """One grey page as a copier scans it: skewed, shifted, off-white, slightly blurred, speckled;
    thresholded to 1 bit when ``bilevel``."""
    noise = _noise(rng)
    paper = rng.randint(232, 250)
    image = _paper(page, paper, rng.randint(15, 45))
    shift = (round(rng.uniform(-0.08, 0.08) * dpi), round(rng.uniform(-0.08, 0.08) * dpi))
    image = _turned(image, rng.uniform(-max_skew, max_skew), paper, shift)
    image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 0.6) * dpi / 200))
    pixels = _speckle(np.asarray(image), noise, sigma=rng.uniform(2.5, 6.0), specks=rng.uniform(2e-5, 1.5e-4),
                      dust=rng.randint(5, 40))
    image = Image.fromarray(pixels, "L")
    if bilevel:
        threshold = rng.randint(150, 185)
        image = image.point(lambda v: 255 if v > threshold else 0).convert("1", dither=Image.Dither.NONE)
    return image


def _pdf_time(moment: datetime | None):
    """A PDF's creation time, fixed (the same seed, the same bytes): when the paper was scanned."""
    return (moment or datetime(2026, 12, 1, 9)).utctimetuple()


def fed_turned(rng: random.Random, count: int) -> list[int]:
    """How each of ``count`` sheets lay in the scanner's feeder (degrees, counter-clockwise): most
    upside down, some on their side (a sheet turned to fit a landscape feeder), the rest as they
    should be, and at least one turned."""
    turns = [rng.choice((180, 180, 90, 270, 0)) for _ in range(count)]
    if not any(turns):
        turns[rng.randrange(count)] = 180
    return turns


def scan_pdf(source: Path, out: Path, rng: random.Random, *, dpi: int = 300, bilevel: bool | None = None,
             made_at: datetime | None = None, turned: bool = False) -> None:
    """``source``'s pages scanned at ``dpi`` into an image-only PDF: grey JPEG pages (quality 35-75), or
    with ``bilevel`` 1-bit CCITT Group 4 pages (a copier's black-and-white mode); ``None``: either, by ``rng``.
    With ``turned``, sheets fed upside down or on their side (``fed_turned``) are scanned as they lay."""
    if bilevel is None:
        bilevel = rng.random() < 0.4
    originals = page_images(source, dpi)
    if turned:
        originals = [page.rotate(turn, expand=True) if turn else page
                     for page, turn in zip(originals, fed_turned(rng, len(originals)), strict=True)]
    pages = [degrade_scan(page, rng, dpi=dpi, bilevel=bilevel) for page in originals]
    when = _pdf_time(made_at)
    jpeg = {} if bilevel else {"quality": rng.randint(35, 75)}
    pages[0].save(out, "PDF", save_all=True, append_images=pages[1:], resolution=dpi, **jpeg,
                  producer=rng.choice(SCANNERS), creator="Scan to Email", title="", creationDate=when, modDate=when)


# -- a fax ---------------------------------------------------------------------------------------------


def _fax_header(image: Image.Image, text: str) -> None:
    """The sending machine's line across the top of the page (date, sender, page), in its own small type."""
    font_path = next((f for f in FAX_HEADER_FONTS if Path(f).is_file()), None)
    font = ImageFont.truetype(font_path, 22) if font_path else ImageFont.load_default()
    ImageDraw.Draw(image).text((40, 12), text, fill=0, font=font)


def degrade_fax(page: Image.Image, rng: random.Random) -> Image.Image:
    """One grey page at 204×196 dpi as a fax prints it: skewed up to ±1°, thresholded to 1 bit,
    thin strokes broken (dropouts), a few lines lost or smeared, black specks."""
    noise = _noise(rng)
    image = _turned(page, rng.uniform(-1.0, 1.0), 255, (rng.randint(-12, 12), rng.randint(-10, 10)))
    image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.4, 0.8)))
    pixels = np.asarray(image).astype(np.float32) + _gaussian(noise, rng.uniform(12, 24), image.size[::-1])
    black = pixels < rng.randint(120, 150)
    black &= noise.random(black.shape, dtype=np.float32) > rng.uniform(0.01, 0.05)  # dropouts in the strokes
    black |= noise.random(black.shape, dtype=np.float32) < rng.uniform(1e-5, 8e-5)  # specks
    height = black.shape[0]
    for _ in range(rng.randint(0, 4)):  # a line lost on the way, or one smeared black
        row = int(noise.integers(0, height - 2))
        black[row : row + rng.randint(1, 2)] = rng.random() < 0.25
    return Image.fromarray(np.where(black, 0, 255).astype(np.uint8), "L").convert("1", dither=Image.Dither.NONE)


def fax_tiff(source: Path, out: Path, rng: random.Random, *, header: str = "", group: int | None = None) -> None:
    """``source``'s pages faxed in fine mode: a multi-page 1-bit TIFF at 204×196 dpi, 1728 dots across,
    ``group`` 4 (or 3) compression (``None``: Group 4 mostly, Group 3 now and then), ``header`` on each page."""
    if group is None:
        group = 3 if rng.random() < 0.25 else 4
    pages = page_images(source, FAX_DPI)
    faxed = []
    for number, page in enumerate(pages, 1):
        page = degrade_fax(page.resize((FAX_WIDTH, page.height), Image.Resampling.LANCZOS), rng)
        if header:  # printed by the sending machine as it sends: straight and crisp over the skewed page
            _fax_header(page, f"{header}   P.{number}/{len(pages)}")
        faxed.append(page)
    faxed[0].save(out, "TIFF", save_all=True, append_images=faxed[1:], compression=f"group{group}", dpi=FAX_DPI)


# -- a phone's photo ---------------------------------------------------------------------------------


def _perspective(corners: Sequence[tuple[float, float]], size: tuple[int, int]) -> list[float]:
    """Pillow's PERSPECTIVE coefficients taking the photo's ``corners`` (tl, tr, br, bl) to the page's."""
    width, height = size
    page = [(0, 0), (width, 0), (width, height), (0, height)]
    rows, targets = [], []
    for (x, y), (u, v) in zip(corners, page, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        targets += [u, v]
    return np.linalg.solve(np.array(rows, dtype=np.float64), np.array(targets, dtype=np.float64)).tolist()


def _smooth(small: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """A map made small (it varies slowly: cheaper) brought to the photo's ``size``, smoothly."""
    return np.asarray(Image.fromarray(small.astype(np.float32), "F").resize(size, Image.Resampling.BICUBIC), np.float32)


def _desk(size: tuple[int, int], rng: random.Random, noise: np.random.Generator) -> np.ndarray:
    """A darker surface under the page: a colour of its own, lighter to one side, with a soft grain."""
    width, height = size
    colour = np.array(rng.choice(((96, 66, 44), (72, 72, 78), (44, 54, 72), (120, 104, 86), (58, 46, 40))), np.float32)
    small = (width // 6 + 1, height // 6 + 1)
    ramp = np.linspace(rng.uniform(0.7, 0.95), rng.uniform(1.0, 1.2), small[0], dtype=np.float32)[None, :]
    grain = noise.normal(1.0, 0.05, small[::-1]).astype(np.float32)
    return colour[None, None, :] * _smooth(ramp * grain, size)[:, :, None]


def _light(size: tuple[int, int], rng: random.Random) -> np.ndarray:
    """Uneven light over the picture: brighter toward a window, and a soft shadow (a hand, the phone) over one part."""
    width, height = size
    small = (64, round(64 * height / width))
    ys, xs = np.mgrid[0 : small[1], 0 : small[0]].astype(np.float32)
    xs, ys = xs / small[0], ys / small[1]
    angle = rng.uniform(0, 2 * math.pi)
    along = (xs - 0.5) * math.cos(angle) + (ys - 0.5) * math.sin(angle)
    light = 1.0 - rng.uniform(0.12, 0.3) * (along + 0.7)
    cx, cy = rng.uniform(-0.1, 1.1), rng.choice((rng.uniform(-0.2, 0.25), rng.uniform(0.75, 1.2)))
    spread = rng.uniform(0.2, 0.4)
    shadow = np.exp(-(((xs - cx) ** 2 + ((ys - cy) * height / width) ** 2) / (2 * spread**2)))
    return _smooth(light * (1.0 - rng.uniform(0.2, 0.45) * shadow), size)[:, :, None]


def photograph(page: Image.Image, rng: random.Random, *, long_side: int | None = None) -> Image.Image:
    """One colour page as a phone photographs it, upright: on a desk, in perspective, unevenly lit, a little soft.

    ``page`` is rendered at roughly the size it takes in the photo (see ``photo_pages``)."""
    noise = _noise(rng)
    long_side = long_side or rng.randint(1600, 3000)
    size = (round(long_side * 0.75), long_side)  # a portrait photo, 3:4
    width, height = size
    red = rng.uniform(0.95, 1.0)
    warm = (red, red * rng.uniform(0.96, 0.99), red * rng.uniform(0.86, 0.95))  # indoor light on white paper
    sheet = Image.fromarray((np.asarray(page, np.float32) * np.array(warm, np.float32)).astype(np.uint8), "RGB")
    # where the page's corners land: centred with a margin, each corner moved a few per cent, a little turned
    scale = min(width * 0.9 / sheet.width, height * 0.9 / sheet.height)
    w, h = sheet.width * scale, sheet.height * scale
    cx, cy = width / 2 + rng.uniform(-0.03, 0.03) * width, height / 2 + rng.uniform(-0.03, 0.03) * height
    turn = math.radians(rng.uniform(-3, 3))
    corners = []
    for dx, dy in ((-w / 2, -h / 2), (w / 2, -h / 2), (w / 2, h / 2), (-w / 2, h / 2)):
        x = cx + dx * math.cos(turn) - dy * math.sin(turn) + rng.uniform(-0.035, 0.035) * width
        y = cy + dx * math.sin(turn) + dy * math.cos(turn) + rng.uniform(-0.03, 0.03) * height
        corners.append((x, y))
    coefficients = _perspective(corners, sheet.size)
    shown = sheet.transform(size, Image.Transform.PERSPECTIVE, coefficients, Image.Resampling.BICUBIC)
    mask = Image.new("L", sheet.size, 255).transform(size, Image.Transform.PERSPECTIVE, coefficients, Image.Resampling.BILINEAR)
    alpha = np.asarray(mask, np.float32)[:, :, None] / 255  # bilinear: the page's edge already soft
    pixels = np.asarray(shown, np.float32) * alpha + _desk(size, rng, noise) * (1 - alpha)
    grain = _gaussian(noise, rng.uniform(1.5, 4.0), pixels.shape[:2])[:, :, None]  # the sensor's, alike in each colour
    pixels = pixels * _light(size, rng) + grain
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")
    return image.filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 1.1) * long_side / 2400))


def photo_pages(source: Path, rng: random.Random) -> list[Image.Image]:
    """Each page of ``source`` photographed (``photograph``), upright, each photo 1600-3000 px long."""
    long_side = rng.randint(1600, 3000)  # one phone, one setting, for the whole form
    return [photograph(page, rng, long_side=long_side) for page in page_images(source, long_side * 0.9 / 11, colour=True)]


def _exif(rng: random.Random, orientation: int, taken_at: datetime | None) -> Image.Exif:
    exif = Image.Exif()
    make, model = rng.choice(PHONES)
    exif[0x010F], exif[0x0110] = make, model
    exif[ORIENTATION_TAG] = orientation
    if taken_at is not None:
        exif[0x0132] = taken_at.strftime("%Y:%m:%d %H:%M:%S")
    return exif


def save_photo(photo: Image.Image, out: Path, rng: random.Random, *, orientation: int = 1,
               taken_at: datetime | None = None) -> None:
    """A photo as the phone stores it: JPEG (quality 80-92) or PNG by ``out``'s suffix; for ``orientation``
    3, 6 or 8 the pixels stored turned and the EXIF Orientation tag saying how to turn them back."""
    if orientation != 1:
        photo = photo.transpose(STORED_TURN[orientation])
    exif = _exif(rng, orientation, taken_at).tobytes()
    if out.suffix.lower() == ".png":
        photo.save(out, "PNG", exif=exif)
    else:
        photo.save(out, "JPEG", quality=rng.randint(80, 92), exif=exif)


def photo_files(source: Path, folder: Path, rng: random.Random, *, stem: str | None = None,
                orientation: int | None = None, suffix: str | None = None, taken_at: datetime | None = None) -> list[Path]:
    """One photo file per page of ``source`` in ``folder`` (``<stem>-p1.jpg``...): JPEG mostly, PNG at
    times (``suffix``); some stored turned with an EXIF ``orientation`` (``None``: 1, 6, 8 or 3 by ``rng``)."""
    stem = stem or source.stem
    suffix = suffix or (".png" if rng.random() < 0.2 else ".jpg")
    written = []
    for number, photo in enumerate(photo_pages(source, rng), 1):
        turn = rng.choice((1, 1, 1, 6, 6, 8, 3)) if suffix == ".jpg" else 1  # a PNG is a screenshot's or an app's, upright
        path = folder / f"{stem}-p{number}{suffix}"
        save_photo(photo, path, rng, orientation=orientation or turn, taken_at=taken_at)
        written.append(path)
    return written


def photo_pdf(source: Path, out: Path, rng: random.Random, *, made_at: datetime | None = None) -> None:
    """The photos of ``source``'s pages in one PDF, a JPEG a page (quality 75-90), as a phone shares them."""
    photos = photo_pages(source, rng)
    resolution = photos[0].height / 11  # the photo's long side as a Letter page's
    when = _pdf_time(made_at)
    buffer = io.BytesIO()
    photos[0].save(buffer, "PDF", save_all=True, append_images=photos[1:], resolution=resolution,
                   quality=rng.randint(75, 90), producer="iOS Version 17.5 (Build 21F79) Quartz PDFContext",
                   title="", creationDate=when, modDate=when)
    out.write_bytes(buffer.getvalue())


def too_poor_pdf(source: Path, out: Path, rng: random.Random, *, dpi: int = 72) -> None:
    """``source``'s pages as a scan too poor to read: 72 dpi, out of focus, faint grey print on grey paper,
    heavy noise, a JPEG squeezed hard (a copy of a copy, faxed, scanned at the lowest setting)."""
    noise = _noise(rng)
    pages = []
    for page in page_images(source, dpi):
        image = _paper(page, rng.randint(190, 215), rng.randint(120, 150))
        image = _turned(image, rng.uniform(-2.5, 2.5), 200).filter(ImageFilter.GaussianBlur(rng.uniform(1.3, 1.8)))
        pixels = np.asarray(image).astype(np.float32) + _gaussian(noise, rng.uniform(22, 30), image.size[::-1])
        pages.append(Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "L"))
    when = _pdf_time(None)
    pages[0].save(out, "PDF", save_all=True, append_images=pages[1:], resolution=dpi, quality=rng.randint(8, 14),
                  producer=rng.choice(SCANNERS), title="", creationDate=when, modDate=when)
