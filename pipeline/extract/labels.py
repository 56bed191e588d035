"""Reading a form's fields by their printed labels, from a ``Layout`` (flat PDF, Word read as text).

For each field of the form the reader looks for its printed label (from the specification) and
reads the value that belongs to it:

* after the label on the same line (``ZIP code: 48910``) or in the cell beside it;
* otherwise on the line, or in the cell, under it (a row of labels above a row of values);
* labels wrap over lines, and so do values (narratives, long names in narrow cells);
* a checkbox is the box printed before or after its label (``☒ ☑ ✔ [X] X`` against ``☐ [ ]`` or
  nothing); a choice printed as a row of boxes (``☒ Full-time ☐ Part-time``) is the option whose
  box is checked.

How sure the reader is goes with every value: a label found as printed (case, spacing and
punctuation aside) is a clean match; a label cut short or reworded (``ZIP`` for ``ZIP code``) is a
loose match, read with low confidence so that a person confirms it. A field whose label is found
twice with different values is not guessed: both readings are kept (``FieldValue.conflicts``).
A label found with nothing beside or under it is a field left empty.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import cache, cached_property, lru_cache

from pipeline.extract.layout import Layout, Line, Segment, Token
from pipeline.model import FieldValue, ReadMethod
from schemas.spec import FieldSpec, FieldType, FormSpec, all_form_specs

BESIDE_CONFIDENCE = 0.95  # clean label, value after it or in the cell beside it
UNDER_CONFIDENCE = 0.9  # clean label, value on the line or in the cell under it
LOOSE_CONFIDENCE = 0.7  # label cut short or reworded: below the review threshold
UNSURE_CONFIDENCE = 0.5  # label found, value of an unexpected shape (text beside a box...)
CONFLICT_CONFIDENCE = 0.3  # found twice, differently

LOOSE_MATCH = 0.75  # the least similarity for a loosely matched label...
LOOSE_MARGIN = 0.08  # ...which must beat the next best label by this much
MAX_LABEL_LINES = 4  # a label wraps over at most this many lines

# Words a person writes beside a box instead of ticking it.
YES_WORDS = frozenset({"x", "yes", "y", "true", "checked", "agreed", "agree"})
NO_WORDS = frozenset({"no", "n", "false", "unchecked", "not", "none"})

# Text the form itself puts where a value goes: Word's placeholders, the printed date hint, rules.
_PLACEHOLDER = re.compile(
    r"click or tap (?:here )?to enter (?:text|a date)\.?|click here to enter (?:text|a date)\.?|choose an item\.?",
    re.IGNORECASE,
)
_DATE_HINT = re.compile(r"\(?\b(?:MM/DD/YYYY|mm/dd/yyyy)\b\)?")
_RULE = re.compile(r"_{3,}|\.{5,}")
_SECTION = re.compile(r"^\s*(?:section|part)\s+(?:\d+|[ivx]+|[a-h])\b", re.IGNORECASE)
_WORD = re.compile(r"[^\W_]+")
_EMAIL = re.compile(r"\be-mail\b")
_POSSESSIVE = re.compile(r"'s\b")
_SPACES = re.compile(r"\s+")
_HYPHEN_END = re.compile(r"[A-Za-z]-$")  # a line broken after a hyphen
_AND = re.compile(r"\band\b", re.IGNORECASE)


@lru_cache(maxsize=256)
def _option(choice: str) -> re.Pattern[str]:
    """A choice's text written out as a whole (``SED``, not the one in ``SED/Autism``), any case."""
    return re.compile(rf"(?<![\w/]){re.escape(choice)}(?![\w/])", re.IGNORECASE)


def words_of(text: str) -> list[str]:
    """Label-comparison words: case, punctuation and spacing aside (``E-mail`` = ``email``)."""
    return list(_words(text))


@lru_cache(maxsize=1 << 16)
def _words(text: str) -> tuple[str, ...]:
    # The same few thousand words and labels come back in every document: folded once each.
    folded = text.casefold().replace("\u2019", "'").replace("\u2018", "'")
    folded = _EMAIL.sub("email", folded)
    folded = _POSSESSIVE.sub("s", folded)
    folded = folded.replace("&", " and ")
    return tuple(_WORD.findall(folded))


@cache
def _stop_phrases() -> tuple[frozenset[tuple[str, ...]], tuple[str, ...]]:
    """Section titles (a line that is one) and form titles (a line that holds one) end any value.

    A title is kept as its words joined by spaces and padded with one: a line holds it when the
    line's words, joined and padded the same way, contain it (comparison words have no spaces, so
    the match is of whole words). A title with no words is the empty text, which every line holds.
    """
    sections = frozenset(_words(s.title) for spec in all_form_specs() for s in spec.sections)
    titles = tuple(_padded(_words(spec.title)) if _words(spec.title) else "" for spec in all_form_specs())
    return sections, titles


def _padded(words: tuple[str, ...]) -> str:
    """Words joined by spaces, with a space before and after: ``" date of birth "``."""
    return f" {' '.join(words)} "


def is_stop_line(line: Line) -> bool:
    """A heading or a title line: no value continues into it."""
    text = line.text
    if _SECTION.match(text):
        return True
    words = _words(text)
    sections, titles = _stop_phrases()
    if words in sections:
        return True
    padded = _padded(words)
    return any(title in padded for title in titles)


# A form prints instructions where a value goes ("Required when ...", "Complete only if ..."):
# printed, flattened or retyped, they sit exactly where a value would. One is known by how it
# starts (an instruction or a condition) and by its words, which are the form's own: those of
# its labels, notes, choices and titles in the specification, whatever the agency's version says.
_INSTRUCTION_STARTS = frozenset({
    "required", "complete", "enter", "write", "list", "leave", "optional", "if", "eg", "example",
    "see", "use", "check", "select", "choose", "describe", "attach", "provide", "include", "type", "fill",
})
# Words of a sentence addressed to the reader, which an agency's or a person's name does not hold
# ("Complete Care Partners" is a name; "Complete only if the employer is..." an instruction).
_SENTENCE_WORDS = frozenset({
    "when", "if", "only", "this", "that", "above", "below", "be", "is", "are", "to", "here", "you", "your",
    "must", "should", "will", "each", "every", "blank", "it", "as", "please", "may", "can", "not", "do",
})
_FILLER_WORDS = frozenset({
    "a", "an", "the", "of", "to", "and", "or", "is", "are", "be", "by", "for", "in", "on", "when", "if",
    "only", "this", "that", "above", "below", "with", "as", "it", "not", "any", "all", "e", "g", "eg",
})


@cache
def _form_vocabulary(spec: FormSpec) -> frozenset[str]:
    texts = [spec.title, *(s.title for s in spec.sections)]
    for f in spec.fields:
        texts += [f.label, f.note or "", *f.choices]
    return frozenset(w.removesuffix("s") for text in texts for w in _words(text))


def is_printed_instruction(text: str, spec: FormSpec) -> bool:
    """Whether a text read where a value goes is the form's own instruction, not an answer."""
    words = _words(text)
    if len(words) < 4 or words[0] not in _INSTRUCTION_STARTS or not _SENTENCE_WORDS & set(words[1:]):
        return False  # a name ("Example Family Partners, Inc."), not a sentence to the reader
    content = [w for w in words if w not in _FILLER_WORDS]
    vocabulary = _form_vocabulary(spec)
    known = sum(w in _INSTRUCTION_STARTS or w.removesuffix("s") in vocabulary for w in content)
    return 2 * known >= len(content)


def clean_value(text: str) -> str:
    """The value as written, without the form's own placeholders, date hints and fill-in rules."""
    text = _PLACEHOLDER.sub(" ", text)
    text = _DATE_HINT.sub(" ", text)
    text = _RULE.sub(" ", text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    text = "\n".join(line for line in lines if line).strip()
    return text.lstrip(":").strip()


def similarity(phrase: list[str], label: tuple[str, ...]) -> float:
    """How alike a printed phrase and a label are, 0..1: spelling, words left out, a label cut short."""
    a, b = " ".join(phrase), " ".join(label)
    score = SequenceMatcher(None, a, b, autojunk=False).ratio()
    if 0 < len(phrase) < len(label) and tuple(phrase) == label[: len(phrase)]:
        score = max(score, 0.8 + 0.2 * len(phrase) / len(label))  # cut short: "ZIP" for "ZIP code"
    common = set(phrase) & set(label)
    if common:
        score = max(score, len(common) / len(set(phrase) | set(label)))
    return score


def _tick(token: Token) -> bool:
    """A box, or an X typed where a box goes."""
    return token.mark is not None or token.text.casefold() == "x"


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


@dataclass
class LabelReading:
    """What the label reader found in one layout for one form."""

    values: dict[str, FieldValue]
    anchors: list[Anchor]

    @property
    def found_fields(self) -> set[str]:
        return {a.field.key for a in self.anchors}


def read_labels(layout: Layout, spec: FormSpec) -> LabelReading:
    """Every field of ``spec`` whose label is found in ``layout``, with its value (read once per layout:
    recognising the form and extracting it ask for the same reading)."""
    key = str(spec.form_id)
    if key not in layout.readings:
        layout.readings[key] = _Reader(layout, spec).read()
    return layout.readings[key]


def label_coverage(layout: Layout, spec: FormSpec) -> float:
    """The share of the form's fields whose labels are printed in the layout."""
    return len(read_labels(layout, spec).found_fields) / len(spec.fields)


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


@lru_cache(maxsize=32)
def _label_sets(spec: FormSpec) -> tuple[_LabelSet, _LabelSet]:
    """The labels of ``spec``'s fields, and of its check boxes alone: worked out once per form (keyed
    by the frozen specification itself), not once per document."""
    labels = [_Label(f, tuple(words_of(f.label))) for f in spec.fields]
    return _LabelSet.of(labels), _LabelSet.of(l for l in labels if l.field.type is FieldType.CHECKBOX)


class _Reader:
    def __init__(self, layout: Layout, spec: FormSpec) -> None:
        self.layout = layout
        self.lines = layout.lines
        self.spec = spec
        self.label_set, self.checkbox_label_set = _label_sets(spec)
        self.labels = self.label_set.labels
        self.stop = [is_stop_line(line) for line in self.lines]
        # a tolerance for "the same x": points in a PDF, twips in Word
        self.tol = 4.0 if layout.wrapped else 40.0
        self.anchors: list[Anchor] = []
        self.starts: dict[tuple[int, int], list[int]] = {}  # (line, seg) -> first tokens of anchors in it
        self.label_segments: set[tuple[int, int]] = set()
        self.continuations: set[tuple[int, int]] = set()  # the second and later lines of wrapped labels
        self.right_edge: dict[int, float] = {}
        self.glued: set[int] = set()  # tokens broken at the end of a line, to be joined to the next
        # each anchor's value region, while no label is added (``_region``), by where its label starts
        self._regions: dict[tuple[int, int, int, str], tuple[list[list[Token]], int, bool]] = {}
        for line in self.lines:
            for seg in line.segments:
                self.right_edge[line.page] = max(self.right_edge.get(line.page, 0.0), seg.x1)

    # -- finding labels -------------------------------------------------------------------------

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
        line = self.lines[li]
        for follow in range(li + 1, min(li + 1 + MAX_LABEL_LINES, len(self.lines))):
            nxt = self.lines[follow]
            if self.stop[follow]:
                return None
            if not self.layout.wrapped and nxt.row != line.row:
                return None
            if nxt.page != line.page:
                # a table row split by a page break: its label goes on at the top of the next page
                if not (nxt.page == line.page + 1 and self._first_on_page(follow) and self._last_on_page(li)):
                    return None
            elif self.layout.wrapped and nxt.top - line.bottom > 2.5 * line.height:
                return None
            for sj, seg in enumerate(nxt.segments):
                first = next((t for t in seg.tokens if t.mark is None), None)
                if first is not None and (
                    abs(first.x0 - x) <= self.tol or (margin is not None and abs(seg.x0 - margin) <= self.tol)
                ):
                    return follow, sj
            # a line with something else in the label's column ends the label
            if any(seg.x0 <= x + self.tol and seg.x1 > x for seg in nxt.segments):
                return None
        return None

    def _first_on_page(self, li: int) -> bool:
        return li == 0 or self.lines[li - 1].page != self.lines[li].page

    def _last_on_page(self, li: int) -> bool:
        return li + 1 >= len(self.lines) or self.lines[li + 1].page != self.lines[li].page

    def _match(self, li: int, si: int, ti: int, label_set: _LabelSet, *, wrap: bool = True) -> tuple[_Label, list[_Word]] | None:
        """The longest label that starts at token ``ti`` and ends at a word boundary (wrapping if needed)."""
        labels, longest, by_first, longest_by_first = (
            label_set.labels, label_set.longest, label_set.by_first, label_set.longest_by_first
        )
        # How many words can matter: no label is longer than ``longest`` (unless a label has no words
        # at all: then every label is tried, and the text's last word counts too).
        reach = longest
        if by_first is not None and (first_words := self._words_from(li, si, ti, limit=1)):
            first = first_words[0].word
            # This is asked at every token, and most begin no label: their first word tells at
            # once. Otherwise only the labels beginning with it can match, and no word past the
            # longest of them matters (the wrapped lines below add words after it, not before).
            if first not in by_first:
                return None
            reach = longest_by_first[first]
        limit = reach if by_first is not None else None
        words = self._words_from(li, si, ti, limit)
        segment = self.lines[li].segments[si]
        x = segment.tokens[ti].x0
        margin = segment.x0 if ti > 0 and self.layout.wrapped else None
        before = self.lines[li].segments[:si]
        if ti == 0 and before and self.layout.wrapped and all(_tick(t) for seg in before for t in seg.tokens):
            margin = before[0].x0  # the box (an X typed apart) stands alone: the label wraps back under it
        cur_line = li
        while wrap and len(words) < reach:
            found = self._continuation(cur_line, x, margin)
            if found is None:
                break
            cur_line, sj = found
            words.extend(self._words_from(cur_line, sj, 0, limit))
        texts = [w.word for w in words]
        # Only a label whose first word is the text's first word can match it.
        candidates = labels if by_first is None or not texts else by_first.get(texts[0], ())
        for label in candidates:
            n = len(label.words)
            if n <= len(words) and tuple(texts[:n]) == label.words and words[n - 1].last:
                return label, words[:n]
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
        )

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
        consumed: set[tuple[int, int]] = set()
        for li, line in enumerate(self.lines):
            if self.stop[li]:
                continue
            for si, seg in enumerate(line.segments):
                if (li, si) in consumed:
                    continue
                tokens = seg.tokens
                ti, marks = 0, []
                while ti < len(tokens) and tokens[ti].mark is not None:
                    marks.append(bool(tokens[ti].mark))
                    ti += 1
                if not marks and si > 0 and all(_tick(t) for t in line.segments[si - 1].tokens):
                    marks = [bool(t.mark) if t.mark is not None else True for t in line.segments[si - 1].tokens]
                if ti >= len(tokens):
                    continue
                anchor = None
                hit = self._match(li, si, ti, self.label_set)
                if hit is not None:
                    anchor = self._exact(hit, marks)
                if anchor is None and tokens[ti].text.casefold() == "x" and ti + 1 < len(tokens):
                    hit = self._match(li, si, ti + 1, self.checkbox_label_set)  # "X I will attend..."
                    if hit is not None:
                        anchor = self._exact(hit, [*marks, True])
                if anchor is not None:
                    self._add(anchor)
                    consumed |= anchor.segments
                    after = anchor.end_tok if (anchor.last_line, anchor.last_seg) == (li, si) else len(tokens)
                else:
                    after = ti + 1
                # further "Label: value" pairs on the same line ("City: Lansing   ZIP code: 48910")
                tj = after
                while tj < len(tokens):
                    hit = self._match(li, si, tj, self.label_set, wrap=False)
                    inline = None
                    if hit is not None:
                        inline = self._exact(hit, [])
                        if inline is not None and not inline.colon:
                            inline = None
                    if inline is not None:
                        self._add(inline)
                        tj = inline.end_tok
                    else:
                        tj += 1

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

    def _demote_values_that_look_like_labels(self) -> None:
        """A cell beside a label that reads like another label is that label's value, unless values sit under both."""
        keep: list[Anchor] = []
        by_start = {(a.line, a.seg, a.tok): a for a in self.anchors}
        for b in self.anchors:
            left = [
                a for a in self.anchors
                if a.line == b.line and a.last_line == b.line and a.seg == b.seg - 1 and a.end_tok >= len(self.lines[a.line].segments[a.seg].tokens)
            ]
            if b.tok == 0 and not b.colon and left:
                under = self._under_line(left[0])
                label_row = False
                if under is not None and not self.stop[under]:
                    cells = [
                        (under, sj) for sj, seg in enumerate(self.lines[under].segments)
                        if seg.x0 < b.x0 - self.tol and seg.x1 > left[0].x0 - self.tol
                    ]
                    label_row = any((l, s, 0) not in by_start for l, s in cells)
                if not label_row:
                    continue
            keep.append(b)
        if len(keep) != len(self.anchors):
            self.anchors, self.starts, self.label_segments, self.continuations = [], {}, set(), set()
            self._regions.clear()
            for a in keep:
                self._add(a)

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
            for si, seg in enumerate(line.segments):
                if (li, si) in value_segments or (li, si) in self.label_segments:
                    continue
                tokens = seg.tokens
                ti, marks = 0, []
                while ti < len(tokens) and tokens[ti].mark is not None:
                    marks.append(bool(tokens[ti].mark))
                    ti += 1
                if ti >= len(tokens):
                    continue
                colon_at = next((k for k in range(ti, min(len(tokens), ti + 12)) if tokens[k].text.endswith(":")), None)
                leftmost = all(all(t.mark is not None for t in s.tokens) for s in line.segments[:si])
                beside = leftmost and si + 1 < len(line.segments)
                if colon_at is not None:
                    end = colon_at + 1
                elif marks or beside:
                    end = len(tokens)
                else:
                    continue
                phrase_tokens = tokens[ti:end]
                phrase = words_of(" ".join(t.text for t in phrase_tokens))
                if not phrase:
                    continue
                candidates = [l for l in missing if (l.field.type is FieldType.CHECKBOX) == bool(marks) or colon_at is not None]
                scored = sorted(((similarity(phrase, l.words), l) for l in candidates), key=lambda s: -s[0])
                if not scored or scored[0][0] < LOOSE_MATCH:
                    continue
                if len(scored) > 1 and scored[0][0] - scored[1][0] < LOOSE_MARGIN:
                    continue  # as like one label as another: not a label we can name
                label = scored[0][1]
                anchor = self._anchor_from(
                    label, (li, si, ti), (li, si, end - 1), {(li, si)}, marks,
                    loose=True, phrase=" ".join(t.text for t in phrase_tokens).rstrip(":"), require_delimiter=False,
                )
                if anchor is not None:
                    self._add(anchor)
                    missing = [l for l in missing if l is not label]

    # -- reading values -------------------------------------------------------------------------

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

    def _beside(self, anchor: Anchor) -> tuple[list[list[Token]], float | None, int]:
        rows: list[list[Token]] = []
        value_x0: float | None = None
        last_index = anchor.last_line
        first_page = self.lines[anchor.line].page
        for li in range(anchor.line, len(self.lines)):
            line = self.lines[li]
            if li > anchor.last_line:
                centre = (line.top + line.bottom) / 2
                # PDF: a line whose middle is level with the label (a value between wrapped label lines)
                if not (self.layout.wrapped and line.page == first_page and centre < anchor.bottom):
                    break
            row: list[Token] = []
            for si, seg in enumerate(line.segments):
                if (li, si) in anchor.segments or seg.x0 < anchor.x1 - 0.5:
                    continue
                if (li, si) in self.continuations or 0 in self.starts.get((li, si), []):
                    break  # another label
                tokens, cut = self._tokens_until_anchor(li, si, 0)
                row.extend(tokens)
                if cut:
                    break
            if row:
                rows.append(row)
                value_x0 = row[0].x0 if value_x0 is None else min(value_x0, row[0].x0)
                last_index = max(last_index, li)
        if not rows or value_x0 is None:
            return rows, value_x0, last_index
        # the value goes on under the label's band while the label column stays empty
        previous = self.lines[last_index]
        for li in range(last_index + 1, len(self.lines)):
            line = self.lines[li]
            if self.stop[li] or line.ruled_before or self._line_has_anchor(li):
                break
            if self.layout.wrapped and (line.gap_before or line.page != previous.page):
                break
            if not self.layout.wrapped and (line.row is None or line.row != self.lines[anchor.line].row):
                break
            if any(seg.x0 < value_x0 - self.tol for seg in line.segments):
                break
            rows.append([t for seg in line.segments for t in seg.tokens])
            previous = line
        return rows, value_x0, last_index

    def _under(self, anchor: Anchor) -> tuple[list[list[Token]], int | None]:
        li = self._under_line(anchor)
        if li is None or self.stop[li] or self._looks_like_label(self.lines[li]):
            return [], None
        line = self.lines[li]
        label_line = self.lines[anchor.last_line]
        if self.layout.wrapped and line.page == label_line.page and line.top - label_line.bottom > 3.5 * label_line.height:
            return [], None  # too far below to belong to the label
        right = self._next_anchor_x(anchor)

        def column(line_index: int) -> list[Token] | None:
            tokens: list[Token] = []
            segments = self.lines[line_index].segments
            for si, seg in enumerate(segments):
                if not self._overlaps(seg, anchor.x0, right):
                    continue
                if self._starts_label(line_index, si):
                    return None  # another label: this one's value is empty
                part, cut = self._tokens_until_anchor(line_index, si, 0)
                tokens.extend(part)
                if cut:
                    break
            return tokens

        first = column(li)
        if not first:
            return [], li
        rows = [first]
        many = anchor.field.type in (FieldType.LONGTEXT, FieldType.MULTICHOICE)
        previous = line
        for lj in range(li + 1, len(self.lines)):
            nxt = self.lines[lj]
            if self.stop[lj] or nxt.ruled_before:
                break
            if self.layout.wrapped:
                if not many and not self._wraps_into(previous, rows[-1], nxt):
                    break
            elif not many or (nxt.row != line.row):
                break
            if many and self._looks_like_label(nxt):
                break
            part = column(lj)
            if part is None:
                break
            if not part:
                if any(seg.x0 < anchor.x0 - self.tol for seg in nxt.segments):
                    break
                continue
            rows.append(part)
            previous = nxt
        return rows, li

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
        colon_at = next((k for k in range(min(len(tokens), 8)) if tokens[k].text.endswith(":")), None)
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
        rows, _, _ = self._beside(anchor)
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

    def _where(self, li: int) -> str:
        line = self.lines[li]
        return f"page {line.page}" if self.layout.wrapped else line.where

    def _confidence(self, anchor: Anchor, beside: bool) -> float:
        if anchor.loose:
            return LOOSE_CONFIDENCE
        return BESIDE_CONFIDENCE if beside else UNDER_CONFIDENCE

    def _value(self, key: str, value: str | bool | None, anchor: Anchor, li: int, confidence: float,
               tokens: list[Token], note: str | None = None) -> FieldValue:
        legacy = bool(tokens) and all(t.legacy for t in tokens)
        if anchor.loose:
            loose_note = f"the printed label '{anchor.phrase}' was taken for '{anchor.field.label}'"
            note = f"{loose_note}; {note}" if note else loose_note
        return FieldValue(
            key=key,
            value=value,
            method=ReadMethod.LEGACY_FORM_FIELD if legacy else ReadMethod.LABEL,
            location=self._where(li),
            confidence=confidence,
            note=note,
        )

    def _checkbox(self, anchor: Anchor) -> FieldValue:
        rows, li, _ = self._region(anchor)
        tokens = [t for row in rows for t in row]
        confidence = self._confidence(anchor, True)
        key = anchor.field.key
        if anchor.marks_before:
            return self._value(key, anchor.marks_before[-1], anchor, anchor.line, confidence, [])
        if not tokens:
            return self._value(key, False, anchor, anchor.line, confidence, [])  # nothing printed: not checked
        first = tokens[0]
        if first.mark is not None:
            return self._value(key, bool(first.mark), anchor, li, confidence, tokens[:1])
        word = first.text.casefold().strip(".")
        if word in YES_WORDS or word in NO_WORDS:
            return self._value(key, word in YES_WORDS, anchor, li, confidence, tokens[:1])
        return self._value(key, None, anchor, li, UNSURE_CONFIDENCE, tokens,
                           note="the text beside the box is neither a tick nor yes/no")

    def _choices(self, tokens: list[Token], choices: tuple[str, ...]) -> dict[str, bool | None] | None:
        """Which options of a printed row of boxes are checked; None when no box is printed."""
        words: list[tuple[str, int]] = [(w, i) for i, t in enumerate(tokens) for w in words_of(t.text)]
        texts = [w for w, _ in words]
        taken: set[int] = set()
        spans: dict[str, tuple[int, int]] = {}
        for choice in sorted(choices, key=lambda c: -len(words_of(c))):
            target = words_of(choice)
            n = len(target)
            for i in range(len(texts) - n + 1):
                if texts[i : i + n] == target and not taken & set(range(i, i + n)):
                    spans[choice] = (words[i][1], words[i + n - 1][1])
                    taken |= set(range(i, i + n))
                    break
        def ticked(token: Token) -> bool:
            return token.mark is not None or token.text.casefold() == "x"

        before = any(s > 0 and ticked(tokens[s - 1]) for s, _ in spans.values())
        if not any(t.mark is not None for t in tokens) and not before:
            return None
        states: dict[str, bool | None] = {}
        for choice in choices:
            if choice not in spans:
                states[choice] = None
                continue
            start, end = spans[choice]
            neighbour = tokens[start - 1] if before and start > 0 else (tokens[end + 1] if not before and end + 1 < len(tokens) else None)
            if neighbour is not None and neighbour.mark is not None:
                states[choice] = bool(neighbour.mark)
            elif neighbour is not None and neighbour.text.casefold() == "x":
                states[choice] = True
            else:
                states[choice] = False  # nothing printed before it: not checked
        return states

    @cached_property
    def _ticks_with_x_alone(self) -> bool:
        """Whether the document marks its ticked boxes with a typed X and prints nothing for the
        others: an X stands alone somewhere, and no box (☐, ☒, [ ]) is printed anywhere."""
        tokens = [t for line in self.lines for seg in line.segments for t in seg.tokens]
        return any(t.text.casefold() == "x" for t in tokens) and not any(t.mark is not None for t in tokens)

    def _values_for(self, anchor: Anchor) -> list[FieldValue]:
        spec_field = anchor.field
        if spec_field.type is FieldType.CHECKBOX:
            return [self._checkbox(anchor)]
        rows, li, beside = self._region(anchor)
        tokens = [t for row in rows for t in row]
        confidence = self._confidence(anchor, beside)
        if spec_field.type is FieldType.MULTICHOICE:
            states = self._choices(tokens, spec_field.choices)
            text = clean_value(self._text(rows))
            if states is None:
                # no boxes: the options written out ("SED, Autism") are the ones chosen
                listed = {c: bool(_option(c).search(text)) for c in spec_field.choices}
                leftover = text
                for c in spec_field.choices:
                    leftover = _option(c).sub(" ", leftover)
                unsure = bool(words_of(_AND.sub(" ", leftover)))
                states = {c: v for c, v in listed.items()}
                if len(listed) > 1 and all(listed.values()):
                    # every option printed and none ticked: a row of boxes left blank, or all of them
                    # chosen? Blank, when the document ticks with an X and prints nothing for the others.
                    states = dict.fromkeys(listed, False if self._ticks_with_x_alone else None)
                if unsure:
                    confidence = UNSURE_CONFIDENCE
            out = []
            for key, choice in zip(spec_field.widget_keys, spec_field.choices, strict=True):
                state = states.get(choice)
                if state is None:
                    note = "every option is printed and none is ticked" if all(v is None for v in states.values()) else (
                        f"the box of '{choice}' could not be read"
                    )
                    out.append(self._value(key, None, anchor, li, UNSURE_CONFIDENCE, tokens, note=note))
                else:
                    out.append(self._value(key, state, anchor, li, confidence, tokens))
            return out
        if spec_field.type is FieldType.CHOICE:
            states = self._choices(tokens, spec_field.choices)
            if states is not None:
                chosen = [c for c, s in states.items() if s]
                if len(chosen) == 1:
                    return [self._value(spec_field.key, chosen[0], anchor, li, confidence, tokens)]
                if not chosen and all(s is not None for s in states.values()):
                    return [self._value(spec_field.key, "", anchor, li, confidence, tokens)]
                note = "more than one box is checked" if chosen else "the boxes printed do not match the options"
                return [self._value(spec_field.key, None, anchor, li, UNSURE_CONFIDENCE, tokens, note=note)]
            text = clean_value(self._text(rows))
            if len(spec_field.choices) > 1 and all(
                _option(c).search(text) for c in spec_field.choices
            ):
                if self._ticks_with_x_alone:
                    # The document ticks with an X and leaves the others bare: bare options were not ticked.
                    return [self._value(spec_field.key, "", anchor, li, confidence, tokens)]
                return [self._value(spec_field.key, None, anchor, li, UNSURE_CONFIDENCE, tokens,
                                    note="every option is printed and none is ticked")]
        text = clean_value(self._text(rows))
        if is_printed_instruction(text, self.spec):
            # Blank when it may be: a required field is not left empty on a guess, a person reads it.
            if spec_field.required:
                return [self._value(spec_field.key, text, anchor, li, UNSURE_CONFIDENCE, tokens,
                                    note="what is written there reads like the form's printed instructions")]
            text = ""
        return [self._value(spec_field.key, text, anchor, li, confidence, tokens)]

    # -- the whole reading ----------------------------------------------------------------------

    def read(self) -> LabelReading:
        self._find_exact()
        self._demote_values_that_look_like_labels()
        self.anchors.sort(key=lambda a: (a.line, a.seg, a.tok))
        taken: set[int] = set()
        for anchor in self.anchors:
            rows, _, _ = self._region(anchor)
            taken |= {id(t) for row in rows for t in row}
        self._find_loose(taken)
        self.anchors.sort(key=lambda a: (a.line, a.seg, a.tok))

        readings: dict[str, list[FieldValue]] = {}
        for anchor in self.anchors:
            for value in self._values_for(anchor):
                readings.setdefault(value.key, []).append(value)
        return LabelReading(values={key: merge_readings(found) for key, found in readings.items()}, anchors=self.anchors)


def same_value(a: str | bool | None, b: str | bool | None) -> bool:
    """Two readings say the same thing: spacing, case and line breaks aside; empty is empty."""
    if isinstance(a, bool) or isinstance(b, bool):
        return bool(a) == bool(b) if {type(a), type(b)} <= {bool, type(None)} else False
    left = " ".join((a or "").split()).casefold()
    right = " ".join((b or "").split()).casefold()
    return left == right


def merge_readings(found: list[FieldValue]) -> FieldValue:
    """One field read once or more: the best reading when they agree, flagged when they do not."""
    best = max(found, key=lambda v: v.confidence)
    others = [v for v in found if v is not best and not same_value(v.value, best.value)]
    if not others:
        return best
    return best.model_copy(
        update={
            "confidence": min(best.confidence, CONFLICT_CONFIDENCE),
            "conflicts": tuple(others),
            "note": "its label is printed more than once, with different values",
        }
    )
