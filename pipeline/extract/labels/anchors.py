"""Finding where each printed label is (its anchor): as printed, wrapped over lines, after a box
(labels cut short or reworded are found in ``loose``), once per form and layout.

The labels of a form, with the index that finds them token by token, are worked out once per
form and cached on the frozen specification (``_label_sets``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from pipeline.extract.labels.text import (
    MAX_LABEL_LINES,
    NO_WORDS,
    YES_WORDS,
    _tick,
    _words,
    words_of,
)
from pipeline.extract.layout import Layout, Line, Token
from schemas.spec import FieldSpec, FieldType, FormSpec


@dataclass(frozen=True)
class _Label:
    field: FieldSpec
    words: tuple[str, ...]


@dataclass
class _Word:
    """One comparison word of the text, and the token it comes from."""

    word: str
    line: int
    seg: int
    tok: int
    last: bool  # the last comparison word of its token


@dataclass
class Anchor:
    """Where a field's label was found."""

    field: FieldSpec
    line: int  # the label's first line
    seg: int
    tok: int  # its first token in that segment
    last_line: int
    last_seg: int
    end_tok: int  # one past the label's last token (and its colon) in its last segment
    x0: float
    x1: float  # the right edge of the label's column
    top: float
    bottom: float
    colon: bool
    marks_before: list[bool] = field(default_factory=list)
    loose: bool = False
    phrase: str = ""  # the label as printed (for a loose match's note)
    segments: set[tuple[int, int]] = field(default_factory=set)
    # How sure text recognition was of the label's words and the boxes before it (1 for text a file holds)
    confidence: float = 1.0


@dataclass(frozen=True)
class _LabelSet:
    """Labels to look for, longest first, with what finding them at each token needs: the most words
    of any; the labels by their first word, in their order (None when a label has no words: every
    label is then tried); the most words of the labels beginning with each word."""

    labels: tuple[_Label, ...]
    longest: int
    by_first: dict[str, list[_Label]] | None = field(hash=False, compare=False)
    longest_by_first: dict[str, int] = field(hash=False, compare=False)

    @classmethod
    def of(cls, labels: Iterable[_Label]) -> _LabelSet:
        ordered = tuple(sorted(labels, key=lambda l: -len(l.words)))
        by_first: dict[str, list[_Label]] | None = {}
        for label in ordered:
            if not label.words:
                by_first = None
                break
            by_first.setdefault(label.words[0], []).append(label)
        longest_by_first = {w: max(len(l.words) for l in ls) for w, ls in (by_first or {}).items()}
        return cls(ordered, max((len(l.words) for l in ordered), default=0), by_first, longest_by_first)

    def longest_at(self, words: list[_Word]) -> tuple[_Label, list[_Word]] | None:
        """The longest label the ``words`` begin with that ends at the end of a token, with its words."""
        texts = [w.word for w in words]
        # Only a label whose first word is the text's first word can match it.
        candidates = self.labels if self.by_first is None or not texts else self.by_first.get(texts[0], ())
        for label in candidates:
            n = len(label.words)
            if n <= len(words) and tuple(texts[:n]) == label.words and words[n - 1].last:
                return label, words[:n]
        return None


@lru_cache(maxsize=32)
def _label_sets(spec: FormSpec) -> tuple[_LabelSet, _LabelSet]:
    """The labels of ``spec``'s fields, and of its check boxes alone: worked out once per form (keyed
    by the frozen specification itself), not once per document."""
    labels = [_Label(f, tuple(words_of(f.label))) for f in spec.fields]
    return _LabelSet.of(labels), _LabelSet.of(l for l in labels if l.field.type is FieldType.CHECKBOX)


def _leading_marks(tokens: list[Token]) -> tuple[int, list[bool]]:
    """The boxes a segment begins with (``☒ ☐ Label``): where its words start, and each box's state."""
    marks = []
    while len(marks) < len(tokens) and tokens[len(marks)].mark is not None:
        marks.append(bool(tokens[len(marks)].mark))
    return len(marks), marks


class AnchorFinder:
    """The reader's first step: where the labels are as printed (``_find_exact``)."""

    layout: Layout
    lines: list[Line]
    spec: FormSpec
    label_set: _LabelSet
    checkbox_label_set: _LabelSet
    labels: tuple[_Label, ...]
    stop: list[bool]
    tol: float
    anchors: list[Anchor]
    starts: dict[tuple[int, int], list[int]]
    label_segments: set[tuple[int, int]]
    continuations: set[tuple[int, int]]
    _regions: dict

    def _words_from(self, li: int, si: int, ti: int, limit: int | None = None) -> list[_Word]:
        """The comparison words of a segment from its token ``ti`` on, at most ``limit`` of them (a new
        list each time). A label is tried at every token of a long segment: making only the words a
        label can span keeps that from going over the rest of the segment each time."""
        words: list[_Word] = []
        tokens = self.lines[li].segments[si].tokens
        for tj in range(ti, len(tokens)):
            token_words = _words(tokens[tj].text)
            for k, word in enumerate(token_words):
                if limit is not None and len(words) >= limit:
                    return words
                words.append(_Word(word, li, si, tj, k == len(token_words) - 1))
        return words

    def _continuation(self, li: int, x: float, margin: float | None = None) -> tuple[int, int] | None:
        """The next line's segment that carries on a label starting at ``x`` (a wrapped label).

        A label printed after its box wraps either under its first word (a hanging indent) or back
        to the ``margin`` where its line began (``X PSP candidates ... and/or`` / ``I/DD, ...``).
        """
        for follow in range(li + 1, min(li + 1 + MAX_LABEL_LINES, len(self.lines))):
            if self._parts_label_lines(li, follow):
                return None
            nxt = self.lines[follow]
            sj = self._segment_carrying_on(nxt, x, margin)
            if sj is not None:
                return follow, sj
            # a line with something else in the label's column ends the label
            if any(seg.x0 <= x + self.tol and seg.x1 > x for seg in nxt.segments):
                return None
        return None

    def _parts_label_lines(self, li: int, follow: int) -> bool:
        """Whether line ``follow`` cannot carry on a label of line ``li``: a heading, another table
        row, a page apart (a page break that does not split one table row), or too far below."""
        line, nxt = self.lines[li], self.lines[follow]
        if self.stop[follow]:
            return True
        if not self.layout.wrapped and nxt.row != line.row:
            return True
        if nxt.page != line.page:
            # a table row split by a page break: its label goes on at the top of the next page
            return not (nxt.page == line.page + 1 and self._first_on_page(follow) and self._last_on_page(li))
        return self.layout.wrapped and nxt.top - line.bottom > 2.5 * line.height

    def _segment_carrying_on(self, line: Line, x: float, margin: float | None) -> int | None:
        """The segment of ``line`` whose first word stands under ``x``, or which begins at the ``margin``."""
        for sj, seg in enumerate(line.segments):
            first = next((t for t in seg.tokens if t.mark is None), None)
            if first is None:
                continue
            if abs(first.x0 - x) <= self.tol or (margin is not None and abs(seg.x0 - margin) <= self.tol):
                return sj
        return None

    def _first_on_page(self, li: int) -> bool:
        return li == 0 or self.lines[li - 1].page != self.lines[li].page

    def _last_on_page(self, li: int) -> bool:
        return li + 1 >= len(self.lines) or self.lines[li + 1].page != self.lines[li].page

    def _match(self, li: int, si: int, ti: int, label_set: _LabelSet, *, wrap: bool = True) -> tuple[_Label, list[_Word]] | None:
        """The longest label that starts at token ``ti`` and ends at a word boundary (wrapping if needed)."""
        reach = self._reach(li, si, ti, label_set)
        if reach is None:
            return None
        limit = reach if label_set.by_first is not None else None
        words = self._words_from(li, si, ti, limit)
        if wrap:
            self._add_wrapped_words(words, li, si, ti, reach, limit)
        return label_set.longest_at(words)

    def _reach(self, li: int, si: int, ti: int, label_set: _LabelSet) -> int | None:
        """How many words from token ``ti`` can matter; None when no label begins with its first word.

        No label is longer than ``longest`` (unless a label has no words at all: then every label
        is tried, and the text's last word counts too). This is asked at every token, and most begin
        no label: their first word tells at once. Otherwise only the labels beginning with it can
        match, and no word past the longest of them matters (the wrapped lines below add words after
        it, not before)."""
        if label_set.by_first is None:
            return label_set.longest
        first_words = self._words_from(li, si, ti, limit=1)
        if not first_words:
            return label_set.longest
        first = first_words[0].word
        if first not in label_set.by_first:
            return None
        return label_set.longest_by_first[first]

    def _add_wrapped_words(self, words: list[_Word], li: int, si: int, ti: int, reach: int, limit: int | None) -> None:
        """Add to ``words`` (a label starting at token ``ti``) those of the lines it wraps onto, while
        fewer than ``reach``."""
        x = self.lines[li].segments[si].tokens[ti].x0
        margin = self._wrap_margin(li, si, ti)
        cur_line = li
        while len(words) < reach:
            found = self._continuation(cur_line, x, margin)
            if found is None:
                return
            cur_line, sj = found
            words.extend(self._words_from(cur_line, sj, 0, limit))

    def _wrap_margin(self, li: int, si: int, ti: int) -> float | None:
        """Where a label starting at token ``ti`` may wrap back to, besides under its first word: the
        start of its segment when something comes before it there (a PDF's lines only)."""
        if not self.layout.wrapped:
            return None
        segment = self.lines[li].segments[si]
        if ti > 0:
            return segment.x0
        before = self.lines[li].segments[:si]
        if before and all(_tick(t) for seg in before for t in seg.tokens):
            return before[0].x0  # the box (an X typed apart) stands alone: the label wraps back under it
        return None

    def _anchor_from(
        self,
        label: _Label,
        first: tuple[int, int, int],
        last: tuple[int, int, int],
        segments: set[tuple[int, int]],
        marks: list[bool],
        *,
        loose: bool = False,
        phrase: str = "",
        require_delimiter: bool = True,
    ) -> Anchor | None:
        """An anchor for a label running from token ``first`` to token ``last`` (line, segment, token)."""
        last_line, last_seg, last_tok = last
        seg = self.lines[last_line].segments[last_seg]
        end = last_tok + 1
        colon = seg.tokens[last_tok].text.endswith(":")
        if not colon and end < len(seg.tokens) and seg.tokens[end].text in (":", "-", "\u2013"):
            colon = True
            end += 1
        if require_delimiter and not colon and end < len(seg.tokens):
            following = seg.tokens[end]
            if following.mark is None and following.text.casefold().strip(".") not in YES_WORDS | NO_WORDS:
                return None  # the label's words begin a sentence: prose, not a label
        x1 = max(
            max(t.x1 for t in self.lines[l].segments[s].tokens[:end]) if (l, s) == (last_line, last_seg)
            else self.lines[l].segments[s].x1
            for l, s in segments
        )
        line, seg_index, tok = first
        label_lines = self.lines[line : last_line + 1]
        confidence = self._label_confidence(segments, first, (last_line, last_seg, end))
        return Anchor(
            field=label.field,
            line=line,
            seg=seg_index,
            tok=tok,
            last_line=last_line,
            last_seg=last_seg,
            end_tok=end,
            x0=self.lines[line].segments[seg_index].tokens[tok].x0,
            x1=x1,
            top=min(l.top for l in label_lines),
            bottom=max(l.bottom for l in label_lines),
            colon=colon,
            marks_before=marks,
            loose=loose,
            phrase=phrase,
            segments=segments,
            confidence=confidence,
        )

    def _label_confidence(self, segments: set[tuple[int, int]], first: tuple[int, int, int],
                          end: tuple[int, int, int]) -> float:
        """How sure recognition was of a label's words (from ``first`` to before ``end``) and of the
        boxes before it: its least sure one's; 1 for text a file holds as text."""
        line, seg_index, tok = first
        last_line, last_seg, stop = end
        words = [t.confidence for l, s in segments for i, t in enumerate(self.lines[l].segments[s].tokens)
                 if ((l, s) != (line, seg_index) or i >= tok or _tick(t)) and ((l, s) != (last_line, last_seg) or i < stop)]
        if tok == 0 and seg_index > 0:  # boxes (or an X) standing apart before the label (``_marks_before_label``)
            words += [t.confidence for t in self.lines[line].segments[seg_index - 1].tokens if _tick(t)]
        return min(words, default=1.0)

    def _exact(self, hit: tuple[_Label, list[_Word]], marks: list[bool]) -> Anchor | None:
        label, matched = hit
        first, last = matched[0], matched[-1]
        return self._anchor_from(
            label, (first.line, first.seg, first.tok), (last.line, last.seg, last.tok),
            {(w.line, w.seg) for w in matched}, marks,
        )

    def _add(self, anchor: Anchor) -> None:
        self.anchors.append(anchor)
        self._regions.clear()  # a new label can end the value of another
        self.starts.setdefault((anchor.line, anchor.seg), []).append(anchor.tok)
        self.label_segments |= anchor.segments
        self.continuations |= anchor.segments - {(anchor.line, anchor.seg)}

    def _find_exact(self) -> None:
        """Labels as printed, segment by segment; a label wrapped over lines takes its later segments
        with it (they are not searched again)."""
        consumed: set[tuple[int, int]] = set()
        for li, line in enumerate(self.lines):
            if self.stop[li]:
                continue
            for si in range(len(line.segments)):
                if (li, si) not in consumed:
                    consumed |= self._find_exact_in(li, si)

    def _find_exact_in(self, li: int, si: int) -> set[tuple[int, int]]:
        """The label a segment begins with (after its boxes), then the further labels in it; the
        segments the first one spans."""
        tokens = self.lines[li].segments[si].tokens
        ti, marks = self._marks_before_label(li, si)
        if ti >= len(tokens):
            return set()
        anchor = self._exact_at_start(li, si, ti, marks)
        if anchor is None:
            self._find_inline(li, si, ti + 1)
            return set()
        self._add(anchor)
        ends_here = (anchor.last_line, anchor.last_seg) == (li, si)
        self._find_inline(li, si, anchor.end_tok if ends_here else len(tokens))
        return anchor.segments

    def _marks_before_label(self, li: int, si: int) -> tuple[int, list[bool]]:
        """Where a segment's words start, and the boxes before them: its own, or else those of the
        segment before it when that holds boxes alone (an X typed apart counts as checked)."""
        line = self.lines[li]
        ti, marks = _leading_marks(line.segments[si].tokens)
        if not marks and si > 0 and all(_tick(t) for t in line.segments[si - 1].tokens):
            marks = [bool(t.mark) if t.mark is not None else True for t in line.segments[si - 1].tokens]
        return ti, marks

    def _exact_at_start(self, li: int, si: int, ti: int, marks: list[bool]) -> Anchor | None:
        """The label starting at token ``ti``; or a check box's label after an X typed before it."""
        tokens = self.lines[li].segments[si].tokens
        hit = self._match(li, si, ti, self.label_set)
        anchor = self._exact(hit, marks) if hit is not None else None
        if anchor is None and tokens[ti].text.casefold() == "x" and ti + 1 < len(tokens):
            hit = self._match(li, si, ti + 1, self.checkbox_label_set)  # "X I will attend..."
            if hit is not None:
                anchor = self._exact(hit, [*marks, True])
        return anchor

    def _find_inline(self, li: int, si: int, start: int) -> None:
        """Further "Label: value" pairs on the same line, from token ``start`` on ("City: Lansing   ZIP
        code: 48910"): a label there ends with its colon, and does not wrap."""
        tokens = self.lines[li].segments[si].tokens
        tj = start
        while tj < len(tokens):
            hit = self._match(li, si, tj, self.label_set, wrap=False)
            inline = self._exact(hit, []) if hit is not None else None
            if inline is not None and inline.colon:
                self._add(inline)
                tj = inline.end_tok
            else:
                tj += 1

    def _values_under_both(self, left: Anchor, b: Anchor, by_start: dict[tuple[int, int, int], Anchor]) -> bool:
        """Whether a value (no label) stands under ``left``, before ``b``'s column: a row of labels."""
        under = self._under_line(left)
        if under is None or self.stop[under]:
            return False
        cells = [
            (under, sj) for sj, seg in enumerate(self.lines[under].segments)
            if seg.x0 < b.x0 - self.tol and seg.x1 > left.x0 - self.tol
        ]
        return any((line, seg, 0) not in by_start for line, seg in cells)

    def _value_under_alone(self, left: Anchor, b: Anchor, by_start: dict[tuple[int, int, int], Anchor]) -> bool:
        """Whether, in a table of labels over values, the row under holds a value under ``b`` and
        nothing under ``left``: ``left``'s value was left empty, and ``b`` is a label with its own
        value ("Contact phone | Executive Director" over "(empty) | Jamie Exemplar"). The row under
        is the table's next row in Word, and on a page the next line below a rule (a value wrapped
        onto a second line has no rule between)."""
        line = self.lines[b.line]
        under = b.line + 1
        if under >= len(self.lines) or self.stop[under]:
            return False
        below = self.lines[under]
        if line.row is not None:
            if below.row is None or below.row == line.row or below.row.split("r")[0] != line.row.split("r")[0]:
                return False  # not the next row of the same table
        elif not below.ruled_before or below.page != line.page:
            return False
        beside_left = [seg for seg in below.segments if seg.x0 < b.x0 - self.tol and seg.x1 > left.x0 + self.tol]
        under_b = [sj for sj, seg in enumerate(below.segments) if abs(seg.x0 - b.x0) <= self.tol]
        return not beside_left and any((under, sj, 0) not in by_start for sj in under_b)

    def _demote_values_that_look_like_labels(self) -> None:
        """A cell beside a label that reads like another label is that label's value, unless values sit under both."""
        keep: list[Anchor] = []
        by_start = {(a.line, a.seg, a.tok): a for a in self.anchors}
        for b in self.anchors:
            left = [
                a for a in self.anchors
                if a.line == b.line and a.last_line == b.line and a.seg == b.seg - 1 and a.end_tok >= len(self.lines[a.line].segments[a.seg].tokens)
            ]
            if b.tok == 0 and not b.colon and left and not (
                self._values_under_both(left[0], b, by_start) or self._value_under_alone(left[0], b, by_start)
            ):
                continue
            keep.append(b)
        if len(keep) != len(self.anchors):
            self.anchors, self.starts, self.label_segments, self.continuations = [], {}, set(), set()
            self._regions.clear()
            for a in keep:
                self._add(a)
