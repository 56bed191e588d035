"""Finding where a label's value is (its region): after the label, in the cell beside it, or on
the lines under it, up to the next label, heading or rule; values wrap over lines as labels do.
"""

from __future__ import annotations

from pipeline.extract.labels.anchors import Anchor, AnchorFinder
from pipeline.extract.labels.text import (
    _HYPHEN_END,
    LOOSE_MATCH,
    _tick,
    colon_within,
    similarity,
    words_of,
)
from pipeline.extract.layout import Line, Segment, Token
from schemas.spec import FieldType


class RegionFinder(AnchorFinder):
    """The reader's second step: the tokens of each anchor's value (``_region``)."""

    right_edge: dict[int, float]
    glued: set[int]

    def _under_line(self, anchor: Anchor) -> int | None:
        """The first line under the label with something in the label's column."""
        right = self._next_anchor_x(anchor)
        for li in range(anchor.last_line + 1, len(self.lines)):
            line = self.lines[li]
            if line.top < anchor.bottom - 0.5 and line.page == self.lines[anchor.line].page and self.layout.wrapped:
                continue  # beside the label, not under it
            if any(self._overlaps(seg, anchor.x0, right) for seg in line.segments):
                return li
        return None

    def _overlaps(self, seg: Segment, left: float, right: float) -> bool:
        """Whether a segment stands in the column ``[left, right)`` (more than a tolerance of it)."""
        return min(seg.x1, right) - max(seg.x0, left - self.tol) > self.tol + 0.5

    def _next_anchor_x(self, anchor: Anchor) -> float:
        xs = [
            self.lines[a.line].segments[a.seg].tokens[a.tok].x0
            for a in self.anchors
            if a.line == anchor.line and (a.seg, a.tok) > (anchor.seg, anchor.tok)
        ]
        return min(xs, default=float("inf"))

    def _starts_label(self, li: int, si: int) -> bool:
        """Whether a segment begins a label, maybe after its box (``☒ Label``, ``X | Label``)."""
        starts = self.starts.get((li, si), [])
        tokens = self.lines[li].segments[si].tokens
        if any(all(_tick(t) for t in tokens[:start]) for start in starts):
            return True
        following = self.lines[li].segments[si + 1 :]
        return bool(following) and all(_tick(t) for t in tokens) and bool(self.starts.get((li, si + 1)))

    def _tokens_until_anchor(self, li: int, si: int, start: int) -> tuple[list[Token], bool]:
        """Tokens of a segment from ``start`` up to the next label in it; and whether one was met."""
        tokens = self.lines[li].segments[si].tokens
        stops = [t for t in self.starts.get((li, si), []) if t >= start]
        end = min(stops, default=len(tokens))
        return tokens[start:end], end < len(tokens)

    def _line_has_anchor(self, li: int) -> bool:
        return any(l == li for l, _ in self.starts)

    def _beside(self, anchor: Anchor) -> list[list[Token]]:
        """The value beside its label: the lines level with the label, right of it, then the lines
        under the label's band it goes on over."""
        rows, value_x0, last_index = self._level_with(anchor)
        if not rows or value_x0 is None:
            return rows
        return rows + self._beside_goes_on(anchor, last_index, value_x0)

    def _level_with(self, anchor: Anchor) -> tuple[list[list[Token]], float | None, int]:
        """What stands right of the label on its lines (and, in a PDF, on lines between them): its
        rows, where the leftmost begins, and the last line that holds one."""
        rows: list[list[Token]] = []
        value_x0: float | None = None
        last_index = anchor.last_line
        for li in range(anchor.line, len(self.lines)):
            if li > anchor.last_line and not self._level_with_label(anchor, li):
                break
            row = self._right_of_label(anchor, li)
            if row:
                rows.append(row)
                value_x0 = row[0].x0 if value_x0 is None else min(value_x0, row[0].x0)
                last_index = max(last_index, li)
        return rows, value_x0, last_index

    def _level_with_label(self, anchor: Anchor, li: int) -> bool:
        """PDF: a line whose middle is level with the label (a value between wrapped label lines)."""
        line = self.lines[li]
        centre = (line.top + line.bottom) / 2
        return self.layout.wrapped and line.page == self.lines[anchor.line].page and centre < anchor.bottom

    def _right_of_label(self, anchor: Anchor, li: int) -> list[Token]:
        """The tokens of a line right of the label, up to another label."""
        row: list[Token] = []
        for si, seg in enumerate(self.lines[li].segments):
            if (li, si) in anchor.segments or seg.x0 < anchor.x1 - 0.5:
                continue
            if (li, si) in self.continuations or 0 in self.starts.get((li, si), []):
                break  # another label
            tokens, cut = self._tokens_until_anchor(li, si, 0)
            row.extend(tokens)
            if cut:
                break
        return row

    def _beside_goes_on(self, anchor: Anchor, last_index: int, value_x0: float) -> list[list[Token]]:
        """The value goes on under the label's band while the label column stays empty."""
        rows: list[list[Token]] = []
        previous = self.lines[last_index]
        for li in range(last_index + 1, len(self.lines)):
            line = self.lines[li]
            if self._ends_value_beside(anchor, previous, li, value_x0):
                break
            rows.append([t for seg in line.segments for t in seg.tokens])
            previous = line
        return rows

    def _ends_value_beside(self, anchor: Anchor, previous: Line, li: int, value_x0: float) -> bool:
        """Whether line ``li`` is not the value beside the label going on: a heading, a rule, a label,
        a new paragraph or page (PDF) or another table row (Word), or text left of the value."""
        line = self.lines[li]
        if self.stop[li] or line.ruled_before or self._line_has_anchor(li):
            return True
        if self.layout.wrapped:
            if line.gap_before or line.page != previous.page:
                return True
        elif line.row is None or line.row != self.lines[anchor.line].row:
            return True
        return any(seg.x0 < value_x0 - self.tol for seg in line.segments)

    def _under(self, anchor: Anchor) -> tuple[list[list[Token]], int | None]:
        """The value under its label: the first line under it with something in the label's column,
        and the lines it goes on over; with the line it starts on (None when there is none)."""
        li = self._under_line(anchor)
        if li is None or self.stop[li] or self._looks_like_label(self.lines[li]):
            return [], None
        line = self.lines[li]
        label_line = self.lines[anchor.last_line]
        if self.layout.wrapped and line.page == label_line.page and line.top - label_line.bottom > 3.5 * label_line.height:
            return [], None  # too far below to belong to the label
        right = self._next_anchor_x(anchor)
        first = self._column(li, anchor.x0, right)
        if not first:
            return [], li
        return [first, *self._under_goes_on(anchor, li, right, first)], li

    def _column(self, li: int, left: float, right: float) -> list[Token] | None:
        """The tokens of a line in the column ``[left, right)``, up to another label; None when the
        column begins another label (the value above it is empty)."""
        tokens: list[Token] = []
        for si, seg in enumerate(self.lines[li].segments):
            if not self._overlaps(seg, left, right):
                continue
            if self._starts_label(li, si):
                return None
            part, cut = self._tokens_until_anchor(li, si, 0)
            tokens.extend(part)
            if cut:
                break
        return tokens

    def _under_goes_on(self, anchor: Anchor, li: int, right: float, first: list[Token]) -> list[list[Token]]:
        """The lines after line ``li`` (the value's ``first`` line under its label) the value goes on
        over: a narrative or a multichoice over the lines of its cell or paragraph, any other
        value over a PDF's soft wraps. A line with nothing in the column is passed over."""
        rows: list[list[Token]] = []
        previous, previous_tokens = self.lines[li], first
        for lj in range(li + 1, len(self.lines)):
            nxt = self.lines[lj]
            if self._ends_value_under(anchor, li, previous, previous_tokens, lj):
                break
            part = self._column(lj, anchor.x0, right)
            if part is None:
                break
            if not part:
                if any(seg.x0 < anchor.x0 - self.tol for seg in nxt.segments):
                    break
                continue
            rows.append(part)
            previous, previous_tokens = nxt, part
        return rows

    def _ends_value_under(self, anchor: Anchor, li: int, previous: Line, previous_tokens: list[Token], lj: int) -> bool:
        """Whether line ``lj`` cannot carry on the value under a label that starts on line ``li``: a
        heading or a rule; for one line's value, no soft wrap (PDF) or any line (Word); for a
        narrative or a multichoice, another table row (Word) or what looks like a label."""
        nxt = self.lines[lj]
        many = anchor.field.type in (FieldType.LONGTEXT, FieldType.MULTICHOICE)
        if self.stop[lj] or nxt.ruled_before:
            return True
        if self.layout.wrapped:
            if not many and not self._wraps_into(previous, previous_tokens, nxt):
                return True
        elif not many or nxt.row != self.lines[li].row:
            return True
        return many and self._looks_like_label(nxt)

    def _wraps_into(self, previous: Line, previous_tokens: list[Token], line: Line) -> bool:
        """Whether ``line`` carries on the text of ``previous`` (a PDF's soft wrap): the first word of
        ``line`` would not have fitted at the end of ``previous``, before the column's right edge."""
        if not self.layout.wrapped or not previous_tokens or not line.segments:
            return False
        if line.page != previous.page:
            index = self.lines.index(line)
            if not (line.page == previous.page + 1 and self._first_on_page(index) and self._last_on_page(index - 1)):
                return False
        end = previous_tokens[-1].x1
        first = line.segments[0].tokens[0]
        limits = [
            seg.x0 for other in (previous, line) for seg in other.segments if seg.x0 > end + 1 and seg is not line.segments[0]
        ]
        middle = (previous.top + previous.bottom) / 2
        limits += [x for x, top, bottom in self.layout.rules.get(previous.page, []) if x > end + 1 and top <= middle <= bottom]
        right = min(limits, default=self.right_edge.get(line.page, end))
        space = max(2.0, 0.25 * previous.height)
        wraps = end + space + (first.x1 - first.x0) > right - 6.0
        only = previous_tokens[0]
        if (
            wraps
            and len(previous_tokens) == 1
            and (only.x1 - only.x0) >= 0.6 * (right - only.x0)
            and abs(first.x0 - only.x0) <= self.tol
        ):
            self.glued.add(id(previous_tokens[0]))  # one word filling its column, broken: "example.or" + "g"
        return wraps

    def _looks_like_label(self, line: Line) -> bool:
        """A line that begins 'Something like a label:' ends a narrative read under its label."""
        if not line.segments:
            return False
        tokens = line.segments[0].tokens
        colon_at = colon_within(tokens, 0, 8)
        if colon_at is None:
            return False
        phrase = words_of(" ".join(t.text for t in tokens[: colon_at + 1]))
        return bool(phrase) and max(similarity(phrase, l.words) for l in self.labels) >= LOOSE_MATCH

    def _continue_inline(self, anchor: Anchor, first: list[Token]) -> list[list[Token]]:
        """A value written after its label goes on over the next lines: a narrative over its
        paragraphs, a row of boxes over its lines, any other value over a page's soft wraps."""
        rows: list[list[Token]] = []
        previous, previous_tokens = self.lines[anchor.last_line], first
        many = anchor.field.type is FieldType.LONGTEXT
        boxes = anchor.field.type in (FieldType.CHOICE, FieldType.MULTICHOICE)
        for li in range(anchor.last_line + 1, len(self.lines)):
            line = self.lines[li]
            if self.stop[li] or line.ruled_before or self._line_has_anchor(li) or self._looks_like_label(line):
                break
            if self.layout.wrapped and line.page != previous.page and line.gap_before:
                break
            if line.segments[0].x0 < anchor.x0 - self.tol:
                break
            tokens = [t for seg in line.segments for t in seg.tokens]
            has_boxes = any(t.mark is not None for t in tokens)
            if not (many or (boxes and has_boxes) or self._wraps_into(previous, previous_tokens, line)):
                break
            rows.append(tokens)
            previous, previous_tokens = line, tokens
        return rows

    def _region(self, anchor: Anchor) -> tuple[list[list[Token]], int, bool]:
        """The value's tokens, line by line; the line it starts on; whether it was after or beside the label.

        Asked twice of each label (which tokens are values, then the values): found once, unless a
        label is added in between (the lists are shared: not to be changed)."""
        where = (anchor.line, anchor.seg, anchor.tok, anchor.field.key)
        known = self._regions.get(where)
        if known is None:
            known = self._regions[where] = self._find_region(anchor)
        return known

    def _find_region(self, anchor: Anchor) -> tuple[list[list[Token]], int, bool]:
        rest, cut = self._tokens_until_anchor(anchor.last_line, anchor.last_seg, anchor.end_tok)
        if rest:
            line = self.lines[anchor.last_line]
            for sj in range(anchor.last_seg + 1, len(line.segments)):
                if cut or (anchor.last_line, sj) in self.continuations or self._starts_label(anchor.last_line, sj):
                    break
                more, cut = self._tokens_until_anchor(anchor.last_line, sj, 0)
                rest = rest + more  # the value goes on past a wide gap ("Position: Full-time   X Part-time")
            return [rest, *self._continue_inline(anchor, rest)], anchor.last_line, True
        rows = self._beside(anchor)
        if rows:
            return rows, anchor.line, True
        if anchor.field.type is FieldType.CHECKBOX:
            return [], anchor.line, True
        under, li = self._under(anchor)
        return under, li if li is not None else anchor.line, False

    # -- turning tokens into values ---------------------------------------------------------------

    def _text(self, rows: list[list[Token]]) -> str:
        if not self.layout.wrapped:
            return "\n".join(" ".join(t.text for t in row if t.mark is None) for row in rows)
        words: list[str] = []
        glue = False
        for row in rows:
            for i, token in enumerate(t for t in row if t.mark is None):
                if i == 0 and words and (glue or _HYPHEN_END.search(words[-1])):
                    words[-1] += token.text  # a line broken after a hyphen ("Clinton-" + "Eaton"), or inside a word
                else:
                    words.append(token.text)
                glue = id(token) in self.glued
        return " ".join(words)
