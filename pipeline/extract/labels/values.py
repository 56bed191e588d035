"""Reading a value out of its region: text, a check box, a row of boxes, options written out; how
sure each reading is; and one value of several readings of the same field.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from pipeline.extract.labels.anchors import Anchor
from pipeline.extract.labels.regions import RegionFinder
from pipeline.extract.labels.text import (
    _AND,
    BESIDE_CONFIDENCE,
    CONFLICT_CONFIDENCE,
    LOOSE_CONFIDENCE,
    LOOSE_MARGIN,
    NO_WORDS,
    OCR_OPTION_SPELLING,
    UNDER_CONFIDENCE,
    UNSURE_CONFIDENCE,
    YES_WORDS,
    _option,
    _tick,
    clean_value,
    date_alone,
    email_alone,
    is_printed_instruction,
    spelling_likeness,
    words_of,
)
from pipeline.extract.layout import PICTURE, Token
from pipeline.model import LOW_CONFIDENCE, FieldArea, FieldValue, ReadMethod
from schemas import RECORD_MODELS
from schemas.spec import FieldType
from schemas.types import holds_state_code
from schemas.values import state_code_as_read

# A required text field with nothing read on a picture of the page: below the review threshold.
BLANK_ON_A_PICTURE_CONFIDENCE = 0.6


class ValueReader(RegionFinder):
    """The reader's last step: each anchor's value (``_values_for``)."""

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
        method = ReadMethod.LEGACY_FORM_FIELD if legacy else ReadMethod.LABEL
        if self.layout.recognised:
            method = ReadMethod.OCR
            confidence, note = _recognised(anchor, value, confidence, tokens, note)
        return FieldValue(
            key=key,
            value=value,
            method=method,
            location=self._where(li),
            confidence=confidence,
            note=note,
            area=area_of(tokens, self.layout.page_sizes),
        )

    def _checkbox(self, anchor: Anchor) -> FieldValue:
        rows, li, _ = self._region(anchor)
        tokens = [t for row in rows for t in row]
        confidence = self._confidence(anchor, True)
        key = anchor.field.key
        if anchor.marks_before:
            return self._value(key, anchor.marks_before[-1], anchor, anchor.line, confidence, [])
        if not tokens:
            if self.layout.recognised:  # on a picture, a box not found is not a box seen empty
                return self._value(key, False, anchor, anchor.line, UNSURE_CONFIDENCE, [],
                                   note="no box was found beside it on the picture of the page")
            return self._value(key, False, anchor, anchor.line, confidence, [])  # nothing printed: not checked
        first = tokens[0]
        if first.mark is not None:
            return self._value(key, bool(first.mark), anchor, li, confidence, tokens[:1])
        word = first.text.casefold().strip(".")
        if word in YES_WORDS or word in NO_WORDS:
            return self._value(key, word in YES_WORDS, anchor, li, confidence, tokens[:1])
        return self._value(key, None, anchor, li, UNSURE_CONFIDENCE, tokens,
                           note="the text beside the box is neither a tick nor yes/no")

    @cached_property
    def _ticks_a_check_box(self) -> bool:
        """Whether the document ticks one of the form's check boxes: a checked box, or an X typed
        where its box goes, before a check box's statement (an "x" in a value or a sentence is not)."""
        return any(True in a.marks_before for a in self.anchors if a.field.type is FieldType.CHECKBOX)

    def _choices(self, tokens: list[Token], choices: tuple[str, ...]) -> dict[str, bool | None] | None:
        """Which options of a printed row of boxes are checked; None when no box is printed."""
        spans = _option_spans(tokens, choices, self.layout.recognised)
        before = any(s > 0 and _tick(tokens[s - 1]) for s, _ in spans.values())
        if not any(t.mark is not None for t in tokens) and not before:
            return None
        return {choice: _box_state(tokens, spans.get(choice), before, self.layout.recognised) for choice in choices}

    def _before_instructions(self, rows: list[list[Token]], narrative: bool) -> list[list[Token]]:
        """A value's lines without the instruction printed under it ("Please write it as on your
        records"): from the first such line on, or for a narrative only the ones that end it. The
        first line is the value's own, whatever it says (an instruction alone is judged as a value),
        and a line with a box is never an instruction."""
        def instruction(row: list[Token]) -> bool:
            # a line with a box is part of a row of boxes ("☒ Part-time, if you work fewer..."), read whole
            return all(t.mark is None for t in row) and is_printed_instruction(" ".join(t.text for t in row), self.spec)

        if narrative:
            end = len(rows)
            while end > 1 and instruction(rows[end - 1]):
                end -= 1
            return rows[:end]
        cut = next((i for i in range(1, len(rows)) if instruction(rows[i])), len(rows))
        return rows[:cut]

    def _values_for(self, anchor: Anchor) -> list[FieldValue]:
        """The value(s) an anchor's region holds: a box, the boxes of a multichoice (one value per
        option), a choice, or text."""
        spec_field = anchor.field
        if spec_field.type is FieldType.CHECKBOX:
            return [self._checkbox(anchor)]
        rows, li, beside = self._region(anchor)
        rows = self._before_instructions(rows, spec_field.type is FieldType.LONGTEXT)
        read = _Region(anchor, rows, li, self._confidence(anchor, beside))
        if spec_field.type is FieldType.MULTICHOICE:
            return self._multichoice(read)
        if spec_field.type is FieldType.CHOICE and (chosen := self._choice(read)) is not None:
            return [chosen]
        return [self._text_value(read)]

    def _multichoice(self, read: _Region) -> list[FieldValue]:
        """One value per option: its box, or whether it is written out ("SED, Autism")."""
        spec_field, tokens, confidence = read.anchor.field, read.tokens, read.confidence
        states = self._choices(tokens, spec_field.choices)
        if states is None:
            # no boxes: the options written out ("SED, Autism") are the ones chosen
            text = clean_value(self._text(read.rows))
            states = {c: bool(_option(c).search(text)) for c in spec_field.choices}
            leftover = text
            for c in spec_field.choices:
                leftover = _option(c).sub(" ", leftover)
            if len(states) > 1 and all(states.values()):
                # every option printed and none ticked: a row of boxes left blank, or all of them
                # chosen ("SED, I/DD, Autism")? A person reads it, whatever the document's style,
                # unless the row is exactly the official Word form's print, its boxes deleted, in a
                # document that ticks its check boxes with a mark: then it is print, none chosen.
                printed = all(t.printed for t in tokens) and self._ticks_a_check_box
                states = dict.fromkeys(states, False if printed else None)
            if words_of(_AND.sub(" ", leftover)):
                confidence = UNSURE_CONFIDENCE
        out = []
        for key, choice in zip(spec_field.widget_keys, spec_field.choices, strict=True):
            state = states.get(choice)
            if state is None:
                note = "every option is printed and none is ticked" if all(v is None for v in states.values()) else (
                    f"the box of '{choice}' could not be read"
                )
                out.append(self._value(key, None, read.anchor, read.line, UNSURE_CONFIDENCE, tokens, note=note))
            else:
                out.append(self._value(key, state, read.anchor, read.line, confidence, tokens))
        return out

    def _choice(self, read: _Region) -> FieldValue | None:
        """A choice read from its row of boxes, or unsure when every option is printed and none
        ticked; None when it is written as text (``_text_value`` reads it)."""
        spec_field, tokens = read.anchor.field, read.tokens
        states = self._choices(tokens, spec_field.choices)
        if states is not None:
            chosen = [c for c, s in states.items() if s]
            if len(chosen) == 1:
                return self._value(spec_field.key, chosen[0], read.anchor, read.line, read.confidence, tokens)
            if not chosen and all(s is not None for s in states.values()):
                return self._value(spec_field.key, "", read.anchor, read.line, read.confidence, tokens)
            note = "more than one box is checked" if chosen else "the boxes printed do not match the options"
            return self._value(spec_field.key, None, read.anchor, read.line, UNSURE_CONFIDENCE, tokens, note=note)
        text = clean_value(self._text(read.rows))
        if len(spec_field.choices) > 1 and all(_option(c).search(text) for c in spec_field.choices):
            return self._value(spec_field.key, None, read.anchor, read.line, UNSURE_CONFIDENCE, tokens,
                               note="every option is printed and none is ticked")
        return None

    def _text_value(self, read: _Region) -> FieldValue:
        """The region's text; an instruction printed there is blank under an optional field and
        goes to a person under a required one (a required field is not left empty on a guess)."""
        spec_field = read.anchor.field
        text = clean_value(self._text(read.rows))
        if is_printed_instruction(text, self.spec):
            if spec_field.required:
                return self._value(spec_field.key, text, read.anchor, read.line, UNSURE_CONFIDENCE, read.tokens,
                                   note="what is written there reads like the form's printed instructions")
            text = ""
        note = None
        if self.layout.recognised and spec_field.type is FieldType.DATE and (date := date_alone(text)) is not None:
            # (as sure as every word read there still: what was taken away was read unsurely too)
            text, note = date, "what text recognition read beside the date (the printed hint, the box's side) was left out"
        if self.layout.recognised and spec_field.type is FieldType.EMAIL and (address := email_alone(text)) is not None:
            # (as sure as every word read there still, the side's too)
            text, note = address, "what text recognition read before the address (the box's side) was left out"
        if (self.layout.recognised and holds_state_code(RECORD_MODELS[self.spec.form_id], spec_field.key)
                and (code := state_code_as_read(text)) is not None):
            text, note = code, "a state's code read in small letters was taken in capitals"
        return self._value(spec_field.key, text, read.anchor, read.line, read.confidence, read.tokens, note=note)


def _recognised(anchor: Anchor, value: str | bool | None, confidence: float, tokens: list[Token],
                note: str | None) -> tuple[float, str | None]:
    """A value read by OCR: as sure as its least sure word, box or label word. A text field left
    blank on a picture is not taken as blank on a machine's word when the form needs it: faint
    writing may be there that recognition did not make out, so a person looks."""
    words = [t.confidence for t in tokens]
    if anchor.field.type is FieldType.SIGNATURE and words:
        # signed or not is all a signature says: ink on its line is sure, whatever recognition made
        # of a hand's letters (the words are kept as read, for the reviewer)
        words = [max(words)]
    elif anchor.field.type is FieldType.LONGTEXT and words:
        words = [sum(words) / len(words)]  # a narrative is judged as written or not: one word misread is not its whole
    recognised = min([anchor.confidence, *words])
    said = None
    if isinstance(value, str) and PICTURE in value and anchor.field.type is not FieldType.SIGNATURE:
        # ink no word accounts for is a signature on a signature line; in another field it may be
        # writing recognition could not make out, a smudge or a line a curled page bent
        recognised = min(recognised, UNSURE_CONFIDENCE)
        said = "a drawing, or writing text recognition could not make out, is there on the picture"
    if recognised < confidence:
        confidence = recognised
        said = said or f"text recognition read it with {recognised:.0%} confidence"
    if (value is None or value == "") and anchor.field.required and confidence >= LOW_CONFIDENCE:
        confidence = BLANK_ON_A_PICTURE_CONFIDENCE
        said = "nothing was read there on the picture of the page"
    if said:
        note = f"{note}; {said}" if note else said
    return confidence, note


def _option_spans(tokens: list[Token], choices: tuple[str, ...], recognised: bool = False) -> dict[str, tuple[int, int]]:
    """Where each option is written among the tokens (its first and last token), the longest
    options first: a word is one option's only (an option inside a longer one's words is not read there).
    On a picture (``recognised``) an option not found as printed is found misread by a letter or
    two ("/DD" for "I/DD", its thin "I" lost), when it is like that option and no other."""
    words: list[tuple[str, int]] = [(w, i) for i, t in enumerate(tokens) for w in words_of(t.text)]
    texts = [w for w, _ in words]
    taken: set[int] = set()
    spans: dict[str, tuple[int, int]] = {}
    ordered = sorted(choices, key=lambda c: -len(words_of(c)))
    for choice in ordered:
        target = words_of(choice)
        n = len(target)
        for i in range(len(texts) - n + 1):
            if texts[i : i + n] == target and not taken & set(range(i, i + n)):
                spans[choice] = (words[i][1], words[i + n - 1][1])
                taken |= set(range(i, i + n))
                break
    for choice in (c for c in ordered if recognised and c not in spans):
        if (found := _misread_option(texts, taken, choice, choices)) is not None:
            i, n = found
            spans[choice] = (words[i][1], words[i + n - 1][1])
            taken |= set(range(i, i + n))
    return spans


def _misread_option(texts: list[str], taken: set[int], choice: str, choices: tuple[str, ...]) -> tuple[int, int] | None:
    """Where (first word, word count) words not yet taken spell ``choice`` as recognition misreads
    it: like it, a word fewer or as many, and clearly more than like any other option."""
    target = words_of(choice)
    best: tuple[float, int, int] | None = None
    for n in {max(1, len(target) - 1), len(target)}:
        for i in range(len(texts) - n + 1):
            if taken & set(range(i, i + n)):
                continue
            window = texts[i : i + n]
            likeness = spelling_likeness(window, target)
            others = max((spelling_likeness(window, words_of(c)) for c in choices if c != choice), default=0.0)
            if likeness >= OCR_OPTION_SPELLING and likeness - others >= LOOSE_MARGIN and (best is None or likeness > best[0]):
                best = (likeness, i, n)
    return None if best is None else (best[1], best[2])


def _box_state(tokens: list[Token], span: tuple[int, int] | None, before: bool, recognised: bool = False) -> bool | None:
    """Whether the option written over ``span`` is checked, by the box (or X) just ``before`` it or
    just after it; None when the option is not written there, or, on a picture (``recognised``),
    when no box was found beside it (a box not found is not a box seen empty)."""
    if span is None:
        return None
    start, end = span
    if before:
        neighbour = tokens[start - 1] if start > 0 else None
    else:
        neighbour = tokens[end + 1] if end + 1 < len(tokens) else None
    if neighbour is None or (recognised and neighbour.mark is None and neighbour.text.casefold() != "x"):
        return None if recognised else False  # nothing printed beside it: not checked
    if neighbour.mark is not None:
        return bool(neighbour.mark)
    return neighbour.text.casefold() == "x"


def area_of(tokens: list[Token], page_sizes: dict[int, tuple[float, float]]) -> FieldArea | None:
    """Where a value's words stand: the box around those of them on its first word's page, as a
    share of that page; None where the words' places are not known (Word) or nothing was read."""
    if not tokens or not page_sizes:
        return None
    page = tokens[0].page
    size = page_sizes.get(page)
    placed = [t for t in tokens if t.page == page and t.top is not None and t.bottom is not None]
    if size is None or not placed:
        return None
    box = (min(t.x0 for t in placed), min(t.top for t in placed if t.top is not None),
           max(t.x1 for t in placed), max(t.bottom for t in placed if t.bottom is not None))
    return FieldArea.of_box(page, box, size)


@dataclass
class _Region:
    """An anchor's value region as read: its rows of tokens, the line it starts on, how sure."""

    anchor: Anchor
    rows: list[list[Token]]
    line: int
    confidence: float

    @property
    def tokens(self) -> list[Token]:
        return [t for row in self.rows for t in row]


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
