"""A page's picture made fit to read: the paper cut out of a photo and set square, the light made
even, the text lines made level, and the ink told from the paper.

Each step is one OpenCV operation or a few, on a picture scaled down where only the shape of the
page matters (the paper's edges, the light, the slant of the lines): a page is cleaned in a small
fraction of the time Tesseract takes to read it.
"""

from __future__ import annotations

import cv2
import numpy as np

from pipeline.extract.ocr.pages import PageImage

LETTER_INCHES = (8.5, 11.0)
PHOTO_DPI = 250.0  # a photo's page, once cut out and set square, is drawn at this resolution
WORK_SIDE = 1000  # pixels of the long side of the small picture the page's shape is measured on
SKEW_SIDE = 700  # ... and its slant (a line of text is still a few pixels tall)
MAX_SKEW_DEGREES = 5.0
SKEW_STEP_DEGREES = 0.1
LEVEL_ENOUGH_DEGREES = 0.15  # a slant under this moves a line's ends by a pixel or two: not worth turning the page


def _small(pixels: np.ndarray, side: int = WORK_SIDE) -> tuple[np.ndarray, float]:
    scale = min(1.0, side / max(pixels.shape))
    if scale == 1.0:
        return pixels, 1.0
    return cv2.resize(pixels, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA), scale


def even_light(pixels: np.ndarray, small: tuple[np.ndarray, float] | None = None) -> np.ndarray:
    """The page with its light made even: each pixel over the paper's brightness around it (a
    shadow or a lamp's falloff over a photo, a scanner's grey background) becomes white paper.
    (``small``: the page's ``_small`` picture, when it was made already.)"""
    small, scale = small or _small(pixels)
    # The paper's brightness: the page with its ink closed over (ink is thinner than the kernel).
    side = max(15, int(round(min(small.shape) / 25)) | 1)
    background = cv2.morphologyEx(small, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (side, side)))
    background = cv2.GaussianBlur(background, (side, side), 0)
    if scale != 1.0:
        background = cv2.resize(background, (pixels.shape[1], pixels.shape[0]), interpolation=cv2.INTER_LINEAR)
    evened = cv2.divide(pixels, np.maximum(background, 1), scale=255)
    return evened


def _order_corners(corners: np.ndarray) -> np.ndarray:
    """Four corners as top-left, top-right, bottom-right, bottom-left."""
    corners = corners.reshape(4, 2).astype(np.float32)
    sums, differences = corners.sum(axis=1), np.diff(corners, axis=1).ravel()
    return np.array([corners[np.argmin(sums)], corners[np.argmin(differences)],
                     corners[np.argmax(sums)], corners[np.argmax(differences)]], dtype=np.float32)


def page_corners(pixels: np.ndarray, small: tuple[np.ndarray, float] | None = None) -> np.ndarray | None:
    """The corners of the sheet of paper in a photo (on a darker table or background), or None
    when no sheet stands out (the picture is the page itself)."""
    small, scale = small or _small(pixels)
    blurred = cv2.GaussianBlur(small, (5, 5), 0)
    _, paper = cv2.threshold(blurred, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    paper = cv2.morphologyEx(paper, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (9, 9)))
    contours, _ = cv2.findContours(paper, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return None
    largest = max(contours, key=cv2.contourArea)
    area = cv2.contourArea(largest)
    if not 0.25 * small.size <= area <= 0.97 * small.size:
        return None  # nothing stands out, or the paper fills the picture: no background to cut away
    corners = cv2.approxPolyDP(largest, 0.02 * cv2.arcLength(largest, True), True)
    if len(corners) != 4 or not cv2.isContourConvex(corners):
        return None
    return _order_corners(corners) / scale


def cut_out_page(page: PageImage, small: tuple[np.ndarray, float] | None = None) -> PageImage:
    """A photo's sheet of paper cut out of its background and set square, drawn as a Letter page at
    ``PHOTO_DPI``; the picture unchanged when no sheet stands out of it."""
    corners = page_corners(page.pixels, small)
    if corners is None:
        return page
    top_left, top_right, bottom_right, bottom_left = corners
    wide = max(np.linalg.norm(top_right - top_left), np.linalg.norm(bottom_right - bottom_left))
    tall = max(np.linalg.norm(bottom_left - top_left), np.linalg.norm(bottom_right - top_right))
    portrait = tall >= wide
    inches = LETTER_INCHES if portrait else LETTER_INCHES[::-1]
    width, height = round(inches[0] * PHOTO_DPI), round(inches[1] * PHOTO_DPI)
    target = np.array([[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]], dtype=np.float32)
    warp = cv2.getPerspectiveTransform(corners, target)
    pixels = cv2.warpPerspective(page.pixels, warp, (width, height), flags=cv2.INTER_CUBIC, borderValue=255)
    # (the sheet's own resolution in the photo, however finely it is drawn now)
    taken_at = min(wide / inches[0], tall / inches[1])
    return PageImage(pixels, PHOTO_DPI, page.number, photo=True, source_dpi=taken_at, bilevel=page.bilevel)


def ink(pixels: np.ndarray) -> np.ndarray:
    """The ink of an evenly lit page: 255 where ink is, 0 on paper (Otsu's threshold)."""
    _, mask = cv2.threshold(pixels, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    return mask


def skew_degrees(ink_mask: np.ndarray) -> float:
    """How far the page's lines of text slant, in degrees (positive: down to the right), within
    ±5°: the angle at which the ink's rows are the most sharply set apart (a projection profile)."""
    small, _ = _small(ink_mask, SKEW_SIDE)
    height, width = small.shape
    centre = (width / 2, height / 2)

    def sharpness(angle: float) -> float:
        turned = cv2.warpAffine(small, cv2.getRotationMatrix2D(centre, angle, 1.0), (width, height),
                                flags=cv2.INTER_NEAREST, borderValue=0)
        rows = turned.sum(axis=1, dtype=np.float64)
        return float(np.square(np.diff(rows)).sum())

    # coarse steps over the whole range, then fine ones around the best (some 30 turns, not 100)
    coarse = max(np.arange(-MAX_SKEW_DEGREES, MAX_SKEW_DEGREES + 1e-9, 0.5), key=lambda a: sharpness(float(a)))
    fine = np.arange(coarse - 0.5, coarse + 0.5 + 1e-9, SKEW_STEP_DEGREES)
    return float(max(fine, key=lambda a: sharpness(float(a))))  # turning the page back by this much (anticlockwise) levels it


def level(pixels: np.ndarray, degrees: float) -> np.ndarray:
    """The page turned back by ``degrees`` (its slant, ``skew_degrees``) so that its lines are
    level; the corners filled with paper."""
    if abs(degrees) < LEVEL_ENOUGH_DEGREES:
        return pixels
    height, width = pixels.shape
    turn = cv2.getRotationMatrix2D((width / 2, height / 2), degrees, 1.0)  # OpenCV: positive is anticlockwise
    return cv2.warpAffine(pixels, turn, (width, height), flags=cv2.INTER_LINEAR, borderValue=255)


def cleaned(page: PageImage) -> PageImage:
    """The page cut out (a photo, or a PDF of photos: a phone's "share as PDF"), evenly lit and levelled."""
    small = _small(page.pixels)
    cut = cut_out_page(page, small)
    # (the page's small picture, made once for both when nothing was cut out: a scan's)
    pixels = even_light(cut.pixels, small if cut is page else None)
    pixels = level(pixels, skew_degrees(ink(pixels)))
    return PageImage(pixels, cut.dpi, cut.number, photo=cut.photo, source_dpi=cut.source_dpi, bilevel=cut.bilevel)
