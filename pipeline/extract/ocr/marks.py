"""What a scanned page shows besides its words: ruled lines, check boxes and whether each is ticked,
and ink that no word accounts for (a signature).

A check box's state is decided from its pixels, never from what OCR makes of its glyph: the ink
inside the box's outline (a tick, a cross, a filled square) against an empty box's. A box neither
clearly empty nor clearly marked (a faint stroke, a speck) is read as unsure, so that a person
looks. Ruled lines and boxes are then wiped off the picture Tesseract reads: a field's border
beside a value is otherwise read as a letter ("[Lapeer", "l" before an email address).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

POINTS_PER_INCH = 72.0
RULE_MIN_INCHES = 0.4  # a horizontal rule: a field's underline or border, a section's line
VERTICAL_RULE_MIN_INCHES = 0.2  # a field box's side (taller than a letter, a check box's side)
RULE_GAP_INCHES = 0.04  # gaps in a faxed or copied rule, bridged
RULE_PIECE_INCHES = 0.15
DOTTED_RULE_SHARE = 0.1  # a faxed rule's dots cover a tenth of its length at least (measured: 0.15-0.2)...
DOTTED_CLEAR_SHARE = 0.03  # ...with next to no ink just above or below it, along its whole length
FIELD_HEIGHT_INCHES = (0.15, 0.6)  # a field's box, from its top rule to its bottom one (narratives are taller: their sides are rules)  # a piece of a rule, in line with it: longer than a letter's bar
SIDE_INK_SHARE = 0.15  # a faxed field side's dots ink this share of its rows at least, in each quarter of its height
RULE_CLEARANCE_INCHES = 0.02  # paper this far above and below a rule (a stroke or two thick), or beside a vertical one
BOX_SIDE_POINTS = (6.0, 18.0)  # a check box's side
TICK_SIDE_POINTS = (3.5, 16.0)  # a tick or a cross in a box, across and down
TICK_INK = 0.1  # of the tick's bounds: a stroke, not a hairline or a scatter of dust
ARROW_SIDE_POINTS = (3.0, 14.0)  # a drop-down list's arrow
ARROW_SOLIDITY = 0.75  # a ▼ fills its hull but for its blurred edges (a small one drawn at 150 dpi: 0.84); a "v" or "y" is notched (about half)
ARROW_LOOKALIKES = frozenset({"v", "V", "y", "Y", "¥", "w", "W", "vv", "Vv", "~", "»", "¬", "▼", "▾"})  # what Tesseract reads a ▼ as
SPECK_MAX_INCHES = 0.012  # ink smaller than this across is dust or noise, not a mark
MAX_OUTLINE_SHARE = 0.15  # a box's outline is thinner than this share of its side; a bold letter's stem is not
CHECKED_INK = 0.12  # the share of a box's inside covered by ink from which it is ticked
EMPTY_INK = 0.03  # ... and under which it is empty; between the two it is unsure
MARK_SPREAD = 0.6  # a tick runs across half the box's inside at least, both ways; a dot does not
UNSURE_BOX_CONFIDENCE = 0.5
SURE_BOX_CONFIDENCE = 0.97
FAINT_INK_LEVEL = 200  # of 255 on an evenly lit page: darker than any paper, lighter than ink
SIGNATURE_MIN_INCHES = (0.45, 0.12)  # ink wider and taller than this, which no word accounts for, is drawn


@dataclass(frozen=True)
class Box:
    """A check box found in the pixels: where (pixels), whether it is ticked, and how sure that is."""

    x0: int
    top: int
    x1: int
    bottom: int
    checked: bool
    confidence: float


@dataclass
class PageMarks:
    """A page's rules (pixels: horizontal as (y, x0, x1), vertical as (x, top, bottom)) and boxes,
    and the mask of their ink (what is wiped before the words are read)."""

    horizontal: list[tuple[int, int, int]]
    vertical: list[tuple[int, int, int]]
    boxes: list[Box]
    wiped: np.ndarray


def components(mask: np.ndarray) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """``cv2.connectedComponentsWithStats`` of a mask's ink (8-connected), numbered in 16 bits when
    they fit: OpenCV takes a third of the time then (3 ms a page at 150 dpi against 9)."""
    try:
        return cv2.connectedComponentsWithStats(mask, connectivity=8, ltype=cv2.CV_16U)
    except cv2.error:  # more than 65,534 pieces of ink: a page of noise
        return cv2.connectedComponentsWithStats(mask, connectivity=8, ltype=cv2.CV_32S)


def without_specks(ink_mask: np.ndarray, dpi: float) -> np.ndarray:
    """The ink without its specks: dust, a scanner's noise, a fax's salt."""
    limit = max(2, int(SPECK_MAX_INCHES * dpi))
    count, labels, stats, _ = components(ink_mask)
    small = (stats[:, cv2.CC_STAT_WIDTH] <= limit) & (stats[:, cv2.CC_STAT_HEIGHT] <= limit)
    small[0] = False  # the paper itself
    if not small.any():
        return ink_mask
    cleaned = ink_mask.copy()
    cleaned[small[labels]] = 0
    return cleaned


def _runs(mask: np.ndarray, horizontal: bool) -> list[tuple[int, int, int]]:
    """Each connected run of a rule mask as (position across, start, end)."""
    count, _, stats, _ = components(mask)
    runs = []
    for index in range(1, count):
        x, y, w, h = (int(v) for v in stats[index, :4])
        runs.append((y + h // 2, x, x + w) if horizontal else (x + w // 2, y, y + h))
    return runs


def _isolated(runs: np.ndarray, ink_mask: np.ndarray, dpi: float, horizontal: bool) -> np.ndarray:
    """The runs with paper on both sides of them (above and below a horizontal one): a rule stands
    alone; the top or the foot of a line of letters, which the gap bridging ran together, has the
    letters' ink on one side."""
    reach = max(2, int(RULE_CLEARANCE_INCHES * dpi))
    before, after = np.zeros_like(ink_mask), np.zeros_like(ink_mask)
    if horizontal:
        before[reach:], after[:-reach] = ink_mask[:-reach], ink_mask[reach:]
    else:
        before[:, reach:], after[:, :-reach] = ink_mask[:, :-reach], ink_mask[:, reach:]
    return cv2.bitwise_and(runs, cv2.bitwise_not(cv2.bitwise_or(before, after)))


def _rules_along(ink_mask: np.ndarray, dpi: float, horizontal: bool) -> np.ndarray:
    """The rules running one way. A rule is a long thin stroke with paper on both sides; a faxed
    or photocopied one is broken into dashes. Its gaps are bridged to find it whole; bridging also
    runs a line of letters together, but no long stretch of that has paper on both sides."""
    length = max(8, int((RULE_MIN_INCHES if horizontal else VERTICAL_RULE_MIN_INCHES) * dpi))
    # (down a page only a pixel or two are bridged: a wider bridge stacks a line's "p" on the next line's "l")
    gap = max(2, int(RULE_GAP_INCHES * dpi)) if horizontal else 2

    def shape(size: int) -> np.ndarray:
        return cv2.getStructuringElement(cv2.MORPH_RECT, (size, 1) if horizontal else (1, size))

    bridged = cv2.morphologyEx(ink_mask, cv2.MORPH_CLOSE, shape(gap))
    runs = cv2.morphologyEx(bridged, cv2.MORPH_OPEN, shape(length))
    if not horizontal:
        # no letters stack into a run this tall, and a box's side has its value's first letter close beside it
        return runs
    # (what is left long once the stretches with ink beside them are cut out: a rule, not a line of letters)
    return cv2.morphologyEx(_isolated(runs, bridged, dpi, horizontal), cv2.MORPH_OPEN, shape(length))


def _dotted_rules(ink_mask: np.ndarray, dpi: float) -> np.ndarray:
    """Horizontal rules a fax or a copier left as sparse dots, too far apart to bridge: along a
    rule's length a tenth of the band it runs in holds ink at least, and the bands just above and below
    it are paper along the whole length (a line of letters has ink above and below its middle)."""
    length = max(8, int(RULE_MIN_INCHES * dpi))
    reach = max(2, int(RULE_CLEARANCE_INCHES * dpi))
    ink = cv2.threshold(ink_mask, 0, 1, cv2.THRESH_BINARY)[1]
    # (shares summed straight from the bytes into floats, and compared as they come: a third of
    # the time of blurring a copy in floats; a scanned rule wanders a pixel up or down along its length)
    band = cv2.boxFilter(cv2.dilate(ink, cv2.getStructuringElement(cv2.MORPH_RECT, (1, 3))), cv2.CV_32F, (length, 1))
    clear = cv2.boxFilter(ink, cv2.CV_32F, (length, reach)) <= DOTTED_CLEAR_SHARE
    above, below = np.zeros_like(clear), np.zeros_like(clear)
    shift = 2 * reach
    above[shift:], below[:-shift] = clear[:-shift], clear[shift:]
    found = ((band >= DOTTED_RULE_SHARE) & above & below).astype(np.uint8) * 255
    found = cv2.morphologyEx(found, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (length // 2, 1)))
    # each rule from its first dot to its last: the window's share starts and ends it up to half a
    # window off, and where a field box's rules end its sides are (``_field_sides``)
    rules = np.zeros_like(ink_mask)
    count, _, stats, _ = components(found)
    for index in range(1, count):
        x, y, w, h = (int(v) for v in stats[index, :4])
        x0, x1 = max(0, x - length // 2), min(ink_mask.shape[1], x + w + length // 2)
        columns = np.flatnonzero(ink_mask[max(0, y - 1) : y + h + 1, x0:x1].any(axis=0))
        if columns.size:
            rules[y : y + h, x0 + columns[0] : x0 + columns[-1] + 1] = 255
    return rules


def _rule_masks(ink_mask: np.ndarray, dpi: float) -> tuple[np.ndarray, np.ndarray]:
    horizontal = cv2.bitwise_or(_rules_along(ink_mask, dpi, True), _dotted_rules(ink_mask, dpi))
    return horizontal, _rules_along(ink_mask, dpi, False)


def _rule_pieces(ink_mask: np.ndarray, rules: np.ndarray, dpi: float, horizontal: bool) -> np.ndarray:
    """The whole of each rule: a scanned rule is not quite straight, and steps a pixel every so
    often, so the long opening finds it in pieces; the shorter straight runs of ink in line with
    it are its other pieces (a letter's stroke is not in line with a rule)."""
    short = max(4, int(RULE_PIECE_INCHES * dpi))  # longer than a letter's bar (an E's, a T's)
    kernel = (short, 1) if horizontal else (1, short)
    pieces = cv2.morphologyEx(ink_mask, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, kernel))
    pieces = _isolated(pieces, ink_mask, dpi, horizontal)
    # (a vertical rule's pieces are bridged only over short gaps: a label's first letter often
    # stands right above the side of the box under it)
    reach = (max(3, int(0.3 * dpi)), 3) if horizontal else (3, max(3, int(0.05 * dpi)))
    near = cv2.dilate(rules, cv2.getStructuringElement(cv2.MORPH_RECT, reach))
    return cv2.bitwise_or(rules, cv2.bitwise_and(pieces, near))


def _edges_inked(ink_mask: np.ndarray, x: int, y: int, w: int, h: int) -> bool:
    """Whether all four sides of the rectangle are drawn (a box), not a round letter's outline."""
    band = max(1, min(w, h) // 6)
    region = ink_mask[y : y + h, x : x + w] > 0
    sides = (region[:band, :], region[-band:, :], region[:, :band], region[:, -band:])
    # each side: the share of its length with ink across the band; a round letter (O, D) has
    # gaps at its corners that a box has not
    if not all(side.any(axis=0 if i < 2 else 1).mean() >= 0.9 for i, side in enumerate(sides)):
        return False
    corner = max(1, band // 2 + 1)
    return all(region[r, c].any() for r in (slice(0, corner), slice(-corner, None)) for c in (slice(0, corner), slice(-corner, None)))


def _thin_sides(faint_mask: np.ndarray, x: int, y: int, w: int, h: int) -> bool:
    """Whether the sides are thin strokes, as a box's outline is, not a bold letter's stems (the
    bowl of a bold P is as square as a box)."""
    region = faint_mask[y : y + h, x : x + w] > 0
    middle_rows, middle_columns = region[h // 4 : h - h // 4, :], region[:, w // 4 : w - w // 4]

    def run(lines: np.ndarray) -> float:
        # the ink from the edge inwards, line by line: the stroke's thickness there
        return float(np.median(np.argmin(np.pad(lines, ((0, 0), (0, 1))), axis=1)))

    sides = (run(middle_rows), run(middle_rows[:, ::-1]), run(middle_columns.T), run(middle_columns.T[:, ::-1]))
    return max(sides) <= MAX_OUTLINE_SHARE * min(w, h)


def _box_state(ink_mask: np.ndarray, x: int, y: int, w: int, h: int) -> tuple[bool, float]:
    inset_x, inset_y = max(2, w // 5), max(2, h // 5)
    inside = ink_mask[y + inset_y : y + h - inset_y, x + inset_x : x + w - inset_x] > 0
    share = float(inside.mean()) if inside.size else 0.0
    if share <= EMPTY_INK:
        return False, SURE_BOX_CONFIDENCE
    # a tick, a cross or a box filled in runs across the box; a blot or a dot the pen left does not
    rows, columns = np.flatnonzero(inside.any(axis=1)), np.flatnonzero(inside.any(axis=0))
    spread = min((rows[-1] - rows[0] + 1) / inside.shape[0], (columns[-1] - columns[0] + 1) / inside.shape[1])
    if share >= CHECKED_INK and spread >= MARK_SPREAD:
        return True, SURE_BOX_CONFIDENCE
    return share >= (CHECKED_INK + EMPTY_INK) / 2, UNSURE_BOX_CONFIDENCE


def read_as_box(ink_mask: np.ndarray, box: tuple[int, int, int, int]) -> bool:
    """Whether a box-shaped place recognition read as a smudge of a word ("V7!", "(|") holds a
    tick, by the ink inside it: half the share of a sure tick at least (its state is unsure either
    way: the box's outline was not found)."""
    x0, top, x1, bottom = box
    checked, _ = _box_state(ink_mask, x0, top, x1 - x0, bottom - top)
    return checked


def find_boxes(ink_mask: np.ndarray, faint_mask: np.ndarray, dpi: float) -> list[Box]:
    """The check boxes of a page: squares of a box's size whose four sides are drawn (in faint ink
    too: a box's thin outline scans grey), ticked or not by the ink inside them."""
    low, high = (side * dpi / POINTS_PER_INCH for side in BOX_SIDE_POINTS)
    # A box's outline is four straight strokes: kept alone, without the tick or cross inside it or
    # running over it, and without a letter's curves.
    stroke = max(3, int(low * 0.6))
    # (a faxed box's outline has gaps of a pixel or two: closed first)
    closed = cv2.morphologyEx(faint_mask, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3)))
    outlines = cv2.bitwise_or(
        cv2.morphologyEx(closed, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (stroke, 1))),
        cv2.morphologyEx(closed, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, stroke))),
    )
    # Outer outlines only (RETR_CCOMP's top level): the hole inside a bold O is as square as a box,
    # its outer outline is not.
    contours, hierarchy = cv2.findContours(outlines, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    boxes: list[Box] = []
    for index, contour in enumerate(contours):
        if hierarchy[0][index][3] != -1:
            continue
        x, y, w, h = cv2.boundingRect(contour)
        if not (low <= w <= high and low <= h <= high and abs(w - h) <= 0.2 * max(w, h)):
            continue
        if not _thin_sides(closed, x, y, w, h):  # (the ink itself: the opening keeps a bold stem whole but thins a curve)
            continue
        # a cross running over the box's corners thickens them: its sides are then a pixel or two inside
        inset = next((i for i in range(4) if _edges_inked(outlines, x + i, y + i, w - 2 * i, h - 2 * i)), None)
        if inset is None:
            continue
        x, y, w, h = x + inset, y + inset, w - 2 * inset, h - 2 * inset
        checked, confidence = _box_state(ink_mask, x, y, w, h)
        boxes.append(Box(x, y, x + w, y + h, checked, confidence))
    # a square filled in inside a box is its mark, not a box of its own
    return [b for b in boxes if not any(o is not b and o.x0 <= b.x0 and b.x1 <= o.x1 and o.top <= b.top and b.bottom <= o.bottom
                                        for o in boxes)]


def faint_ink(pixels: np.ndarray) -> np.ndarray:
    """Ink, faint ink included: a thin rule scanned comes out grey, lighter than the threshold
    that tells a letter's ink from paper, but never as light as the paper itself."""
    _, mask = cv2.threshold(pixels, FAINT_INK_LEVEL - 1, 255, cv2.THRESH_BINARY_INV)
    return mask


def _points_up_or_down(shape: np.ndarray) -> bool:
    """Whether a solid shape is a triangle with a flat side along its top or bottom (▼ ▲): its
    first rows of ink nearly as wide as the shape and its last a point, or the other way round (two
    rows at least each: a scan's blur leaves the flat side's first row ragged and widens the point)."""
    widths = shape.sum(axis=1) / max(shape.shape[1], 1)
    edge = max(2, len(widths) // 5)
    top, bottom = widths[:edge], widths[-edge:]
    return (top.max() >= 0.7 and bottom.min() <= 0.35) or (bottom.max() >= 0.7 and top.min() <= 0.35)


def is_arrow(ink_mask: np.ndarray, box: tuple[float, float, float, float]) -> bool:
    """Whether what recognition read as a letter like "v" in ``box`` (pixels of ``ink_mask``) is a
    drawn ▼: its largest blot of ink solid, no hole in it, flat along its top or bottom."""
    x0, top, x1, bottom = (int(round(v)) for v in box)
    crop = ink_mask[max(0, top - 1) : bottom + 2, max(0, x0 - 1) : x1 + 2]
    if crop.size == 0:
        return False
    contours, hierarchy = cv2.findContours(crop, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    outer = [i for i in range(len(contours)) if hierarchy[0][i][3] == -1]
    if not outer:
        return False
    index = max(outer, key=lambda i: cv2.contourArea(contours[i]))
    x, y, w, h = cv2.boundingRect(contours[index])
    area = cv2.contourArea(contours[index])
    return (hierarchy[0][index][2] == -1 and w * h > 0 and 0.3 <= area / (w * h) <= 0.7
            and _points_up_or_down(crop[y : y + h, x : x + w] > 0))


def arrows(ink_mask: np.ndarray, dpi: float) -> list[tuple[int, int, int, int]]:
    """The solid triangles of a page (a drop-down list's ▼ printed with the form): no letter is a
    filled triangle, and recognition would read one as a "v"."""
    low, high = (side * dpi / POINTS_PER_INCH for side in ARROW_SIDE_POINTS)
    # every outer outline, those inside a field's box too (RETR_CCOMP's top level)
    contours, hierarchy = cv2.findContours(ink_mask, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    found = []
    for index, contour in enumerate(contours):
        if hierarchy[0][index][3] != -1:
            continue
        x, y, w, h = cv2.boundingRect(contour)
        if not (low <= w <= high and low <= h <= high and max(w, h) <= 2 * min(w, h)):
            continue
        area = cv2.contourArea(contour)
        hull = cv2.contourArea(cv2.convexHull(contour))
        corners = cv2.approxPolyDP(contour, 0.12 * cv2.arcLength(contour, True), True)
        solid = hierarchy[0][index][2] == -1  # no hole in it (a "d", an "a")
        if solid and hull > 0 and area / hull >= ARROW_SOLIDITY and 0.35 <= area / (w * h) <= 0.65 and len(corners) == 3 \
                and _points_up_or_down(ink_mask[y : y + h, x : x + w] > 0):
            found.append((x, y, x + w, y + h))
    return found


def page_marks(ink_mask: np.ndarray, faint_mask: np.ndarray, dpi: float) -> PageMarks:
    """The rules (from the faint ink too) and boxes of a page's ink, and the mask of what to wipe
    before reading its words."""
    horizontal, vertical = _rule_masks(faint_mask, dpi)
    boxes = find_boxes(ink_mask, faint_mask, dpi)
    # each rule with its blur and steps around it (a pixel across) and the gaps between its pieces (along it)
    along = max(3, int(0.05 * dpi))
    wiped = cv2.bitwise_or(
        cv2.dilate(_rule_pieces(faint_mask, horizontal, dpi, True), cv2.getStructuringElement(cv2.MORPH_RECT, (along, 3))),
        cv2.dilate(_rule_pieces(faint_mask, vertical, dpi, False), cv2.getStructuringElement(cv2.MORPH_RECT, (3, along))),
    )
    horizontal_runs = _runs(horizontal, True)
    for (x0, x1, top, bottom), (low, high) in _field_sides(horizontal_runs, dpi):
        # (where a faxed side is dots too sparse to be found as a rule; the rules found stop a
        # little short of their ends, so the side lies a few pixels outwards)
        band = (slice(max(0, top), bottom + 1), slice(max(0, x0), x1))
        wiped[band] |= faint_mask[band]  # (numpy: a band past the page's edge is empty, which OpenCV refuses)
        # ...or a few pixels inwards, where a rule's dots ran on past its corner: the side's own
        # column of dots, found by its ink, is wiped whole, paper and all (a single dot is too
        # light to be ink once the page is made coarser, but Tesseract reads the page as received,
        # and a dot left beside a value's first "1" reads as "4" or "(", beside its last letter as "i")
        if (column := _side_column(faint_mask, low, high, top, bottom)) is not None:
            wiped[max(0, top) : bottom + 1, max(0, column - 2) : column + 3] = 255
    for x0, top, x1, bottom in arrows(ink_mask, dpi):
        wiped[max(0, top - 1) : bottom + 1, max(0, x0 - 1) : x1 + 1] = 255
    for box in boxes:
        pad = max(2, (box.x1 - box.x0) // 6)  # the outline's own thickness, and a scanner's blur around it
        wiped[max(0, box.top - pad) : box.bottom + pad, max(0, box.x0 - pad) : box.x1 + pad] = 255
    return PageMarks(horizontal_runs, _runs(vertical, False), boxes, wiped)


def _side_column(faint_mask: np.ndarray, low: int, high: int, top: int, bottom: int) -> int | None:
    """The column between ``low`` and ``high`` where a field box's side runs from its ``top`` rule
    to its ``bottom`` one: the one most evenly inked in each quarter of the box's height (a letter
    of the value is in the box's middle, a bracket's ends and middle in different columns), when
    a side's dots are there at all (``SIDE_INK_SHARE``)."""
    low, high = max(0, low), min(faint_mask.shape[1], high)
    inside = np.linspace(top + 2, bottom - 1, 5).astype(int)
    if high <= low or inside[1] <= inside[0]:
        return None
    shares = [(faint_mask[start:end, low:high] > 0).mean(axis=0) for start, end in zip(inside[:-1], inside[1:], strict=True)]
    evenly = np.min(shares, axis=0)
    best = int(np.argmax(evenly))
    return low + best if evenly[best] >= SIDE_INK_SHARE else None


def _field_sides(horizontal: list[tuple[int, int, int]],
                 dpi: float) -> list[tuple[tuple[int, int, int, int], tuple[int, int]]]:
    """Where the sides of the fields' boxes run, as (x0, x1, top, bottom), each with the columns
    its dots may lie in (``_side_column``): a box's top and bottom rules start and end level with
    each other, a field's height apart, and its sides join their ends."""
    low, high = FIELD_HEIGHT_INCHES[0] * dpi, FIELD_HEIGHT_INCHES[1] * dpi
    reach = max(3, int(0.03 * dpi))
    # (a faxed rule's first and last dots fall where they fall: its ends are as sure as its gaps,
    # up to twice a bridged gap, are short)
    level = max(3, int(2 * RULE_GAP_INCHES * dpi))
    ordered = sorted(horizontal)
    sides = []
    for index, (y_top, start_top, end_top) in enumerate(ordered):
        for y_bottom, start_bottom, end_bottom in ordered[index + 1 :]:
            if y_bottom - y_top > high:
                break
            if y_bottom - y_top >= low and abs(start_top - start_bottom) <= level and abs(end_top - end_bottom) <= level:
                left, right = min(start_top, start_bottom), max(end_top, end_bottom)
                # (outwards as far as a rule's end may fall short of the side, inwards its stroke's width)
                inwards = max(1, reach // 2)
                sides += [((left - reach, left + inwards, y_top, y_bottom), (left - reach, left + reach + 1)),
                          ((right - inwards + 1, right + reach + 1, y_top, y_bottom), (right - 3 * reach, right + reach + 1))]
                break
    return sides


def _joining(dpi: float) -> tuple[int, int]:
    """How far apart (across, down; pixels) strokes of one drawing may be: a signature's letters."""
    return max(3, int(0.12 * dpi)), max(3, int(0.05 * dpi))


def _uncovered_drawings(ink_mask: np.ndarray, covered: np.ndarray, dpi: float) -> tuple[np.ndarray, list[tuple[int, int, int, int]]]:
    """The ink nothing accounts for, and each of its drawings as (x, y, w, h): strokes a little
    apart (one signature's) as one."""
    left = cv2.bitwise_and(ink_mask, cv2.bitwise_not(covered))
    joined = cv2.dilate(left, cv2.getStructuringElement(cv2.MORPH_RECT, _joining(dpi)))
    count, _, stats, _ = components(joined)
    return left, [tuple(int(v) for v in stats[index, :4]) for index in range(1, count)]


def unboxed_ticks(ink_mask: np.ndarray, covered: np.ndarray, dpi: float) -> list[tuple[int, int, int, int]]:
    """Ticks whose box is not on the page (a fax or a copier dropped its light outline): a drawing
    of a tick's size that no word, rule or box accounts for, as (x0, top, x1, bottom). Whether a
    box was there, and ticked, is for a person to confirm: they are read as unsure ticks."""
    left, drawings = _uncovered_drawings(ink_mask, covered, dpi)
    low, high = (side * dpi / POINTS_PER_INCH for side in TICK_SIDE_POINTS)
    pad = tuple(side // 2 for side in _joining(dpi))  # the joining's own growth
    found = []
    for x, y, w, h in drawings:
        w, h, x, y = w - 2 * pad[0], h - 2 * pad[1], x + pad[0], y + pad[1]
        if low <= w <= high and low <= h <= high and int(left[y : y + h, x : x + w].astype(bool).sum()) >= TICK_INK * w * h:
            found.append((x, y, x + w, y + h))
    return found


def drawn_ink(ink_mask: np.ndarray, covered: np.ndarray, dpi: float) -> list[tuple[int, int, int, int]]:
    """Ink that no word read and no rule or box accounts for, large enough to be drawn on purpose
    (a handwritten signature, initials): each as (x0, top, x1, bottom) in pixels."""
    left, drawings = _uncovered_drawings(ink_mask, covered, dpi)
    wide, tall = (side * dpi for side in SIGNATURE_MIN_INCHES)
    found = []
    for x, y, w, h in drawings:
        if w >= wide and h >= tall and int(left[y : y + h, x : x + w].astype(bool).sum()) >= 0.02 * w * h:
            found.append((x, y, x + w, y + h))
    return found
