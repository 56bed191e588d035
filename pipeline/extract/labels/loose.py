"""Finding the labels not printed as the form has them (cut short or reworded: ``ZIP`` for ``ZIP
code``), among the segments that are neither labels nor values once those printed are found.
"""

from __future__ import annotations

from pipeline.extract.labels.anchors import Anchor, AnchorFinder, _Label
from pipeline.extract.labels.text import (
    LOOSE_MARGIN,
    LOOSE_MATCH,
    OCR_LABEL_SPELLING,
    colon_within,
    similarity,
    spelling_likeness,
    words_of,
)
from schemas.spec import FieldType


class LooseAnchorFinder(AnchorFinder):
    """The labels the reader's first step did not find as printed (``_find_loose``)."""

    def _find_loose(self, taken: set[int]) -> None:
        """Labels not found as printed, among the segments that are neither labels nor values
        (``taken``: the ids of the tokens read as values)."""
        found = {a.field.key for a in self.anchors}
        missing = [l for l in self.labels if l.field.key not in found]
        if not missing:
            return
        value_segments = {
            (li, si)
            for li, line in enumerate(self.lines)
            for si, seg in enumerate(line.segments)
            if any(id(t) in taken for t in seg.tokens)
        }
        for li, line in enumerate(self.lines):
            if self.stop[li]:
                continue
            for si in range(len(line.segments)):
                if (li, si) in self.label_segments:
                    continue
                # what was read as a value may be a label text recognition misread, under a field
                # left blank ("Mental F ealth" read as the blank field's above): only a close misreading
                # of a label not found takes it back
                as_value = (li, si) in value_segments
                if as_value and not self.layout.recognised:
                    continue
                loose = self._loose_at(li, si, missing, misread_only=as_value)
                if loose is not None:
                    label, anchor = loose
                    self._add(anchor)
                    missing = [l for l in missing if l is not label]

    def _loose_at(self, li: int, si: int, missing: list[_Label], misread_only: bool = False) -> tuple[_Label, Anchor] | None:
        """The one missing label a segment's phrase is most like, clearly, with its anchor: the phrase
        is the segment's words (after its boxes) up to a colon, or all of them when it has boxes or
        a cell beside it. ``misread_only``: only a label as printed but misread by recognition."""
        tokens = self.lines[li].segments[si].tokens
        ti, marks = self._marks_before_label(li, si)
        if ti >= len(tokens):
            return None
        colon_at = colon_within(tokens, ti, 12)
        end = self._loose_phrase_end(li, si, colon_at, marks)
        if end is None:
            return None
        phrase_tokens = tokens[ti:end]
        phrase = words_of(" ".join(t.text for t in phrase_tokens))
        if not phrase:
            return None
        candidates = [l for l in missing if (l.field.type is FieldType.CHECKBOX) == bool(marks) or colon_at is not None]
        label = _most_like(phrase, candidates)
        if label is None:
            return None
        # On a picture of the page, a label printed as the form has it may come back with a letter or
        # two misread ("ail" for "all"): spelt that closely, it is the label as printed, and only as
        # sure as its spelling is close.
        misread = self.layout.recognised and (spelling := spelling_likeness(phrase, label.words)) >= OCR_LABEL_SPELLING
        if misread_only and not misread:
            return None
        anchor = self._anchor_from(
            label, (li, si, ti), (li, si, end - 1), {(li, si)}, marks,
            loose=not misread, phrase=" ".join(t.text for t in phrase_tokens).rstrip(":"), require_delimiter=False,
        )
        if anchor is not None and misread:
            anchor.confidence = min(anchor.confidence, spelling)
        return (label, anchor) if anchor is not None else None

    def _loose_phrase_end(self, li: int, si: int, colon_at: int | None, marks: list[bool]) -> int | None:
        """Where a loosely matched label would end: after its colon; else at the end of its segment
        when boxes come before it or a cell beside it (first on its line, but for boxes); else None,
        it is no label."""
        line = self.lines[li]
        if colon_at is not None:
            return colon_at + 1
        leftmost = all(all(t.mark is not None for t in s.tokens) for s in line.segments[:si])
        beside = leftmost and si + 1 < len(line.segments)
        return len(line.segments[si].tokens) if marks or beside else None


def _most_like(phrase: list[str], candidates: list[_Label]) -> _Label | None:
    """The label a phrase is like enough (``LOOSE_MATCH``), and more like than any other by
    ``LOOSE_MARGIN``; None when none is, or two are as like it: not a label we can name."""
    scored = sorted(((similarity(phrase, l.words), l) for l in candidates), key=lambda s: -s[0])
    if not scored or scored[0][0] < LOOSE_MATCH:
        return None
    if len(scored) > 1 and scored[0][0] - scored[1][0] < LOOSE_MARGIN:
        return None
    return scored[0][1]
