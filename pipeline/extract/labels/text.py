"""The words of printed text as the label reader compares them, and what text is not a value:
section headings and form titles (a value never runs into them), the form's own printed
instructions, placeholders and rules. The confidences the reader gives its readings are here too.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from functools import cache, lru_cache

from pipeline.extract.layout import Line, Token
from schemas.spec import FormSpec, all_form_specs

BESIDE_CONFIDENCE = 0.95  # clean label, value after it or in the cell beside it
UNDER_CONFIDENCE = 0.9  # clean label, value on the line or in the cell under it
LOOSE_CONFIDENCE = 0.7  # label cut short or reworded: below the review threshold
OCR_LABEL_SPELLING = 0.9  # a label read by OCR this like the form's, letter by letter, is the label misread
OCR_OPTION_SPELLING = 0.65  # an option beside its box this like the form's ("VDD" for "I/DD": two letters of three) is it misread
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
# (the hint as printed, or as text recognition misreads it: "MM/DD/YY YY", "MM/DDIYYYY", "MM/DD/VYYY")
_DATE_HINT = re.compile(r"\(?(?<![\w/])[MN]{2} ?[/Il1|-]? ?[DO0]{2} ?[/Il1|-]? ?(?:[YV] ?){1,4}[YV](?![\w/])\)?", re.IGNORECASE)
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


# Words by which a text speaks to the person filling the form in ("Leave blank if this does not
# apply", "Please write it as on your records"): an answer (a name, an address, a date, a number,
# "Gluten free only, please") holds one or two, an agency's own instruction three or more.
_ADDRESSING_WORDS = frozenset({
    "please", "must", "should", "you", "your", "leave", "blank", "empty", "applicable", "applies", "apply",
    "otherwise", "required", "optional", "complete", "enter", "write", "provide", "fill", "filled", "unless",
})


def is_printed_instruction(text: str, spec: FormSpec) -> bool:
    """Whether a text read where a value goes is an instruction printed there, not an answer:
    the form's own (it starts like one, is a sentence to the reader, and uses the specification's
    words), or an agency's own wording that speaks to the reader (``_ADDRESSING_WORDS``: three or more
    of them, a quarter of its words at least)."""
    words = _words(text)
    if len(words) < 4:
        return False
    addressing = [w for w in words if w in _ADDRESSING_WORDS]
    if len(set(addressing)) >= 3 and 4 * len(addressing) >= len(words):
        return True
    if words[0] not in _INSTRUCTION_STARTS or not _SENTENCE_WORDS & set(words[1:]):
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


MAX_HINT_WORDS = 4  # "MM / DD / YYYY" misread is a word or a few ("ML OEE EY TY"); more is something written
# A date written in figures, with what text recognition read before and after it on a picture.
_FIGURES_DATE = re.compile(r"^(?P<before>(?:[^\w\s]{1,2}\s*|[^\W\d_]\s+)?)(?P<date>\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2}))(?P<after>(?:\s.*)?)$", re.DOTALL)


def date_alone(text: str) -> str | None:
    """A date in figures without what recognition read around it on a picture of the page, or None
    when there is nothing to take away. After the date: words without figures, the printed date
    hint beside the box misread ("11/20/2026 MADD", "12/01/2026 LIM DD YYYY") or its side's dots;
    before it: a character or two without figures, the box's side ("(03/01/2027", "i 12/01/2026").
    Figures around it are kept, and a line written under it: they may be part of what was written."""
    found = _FIGURES_DATE.match(text.strip())
    if found is None or any(ch.isdigit() for ch in found["before"] + found["after"]):
        return None
    if "\n" in found["after"] or len(found["after"].split()) > MAX_HINT_WORDS:
        return None
    if not found["before"].strip() and not found["after"].strip():
        return None
    return found["date"]


# An email address with what recognition read on a picture before it: a letter or a mark or two
# alone (the box's side: "I riley@example.org"), and spaces around its "@" (ink gaps, not written).
_SIDE_BEFORE_EMAIL = re.compile(r"^(?:[^\W\d_]|[^\w\s@]{1,2})\s+(?P<address>[^\s@]+\s*@\s*[^\s@]+)$")


def email_alone(text: str) -> str | None:
    """An email address without the box's side recognition read before it on a picture of the
    page, or None when there is none: nobody writes a space inside an address, so a letter alone
    before one is not part of it."""
    found = _SIDE_BEFORE_EMAIL.match(text.strip())
    if found is None:
        return None
    return "".join(found["address"].split())


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


def spelling_likeness(phrase: list[str], label: tuple[str, ...]) -> float:
    """How alike a phrase and a label are letter by letter, 0..1 (words as compared, spaces aside):
    a label text recognition misread a letter or two of is very like it; a reworded one is not."""
    return SequenceMatcher(None, "".join(phrase), "".join(label), autojunk=False).ratio()


def colon_within(tokens: list[Token], start: int, count: int) -> int | None:
    """The first of ``count`` tokens from ``start`` that ends with a colon (where a label ends)."""
    return next((k for k in range(start, min(len(tokens), start + count)) if tokens[k].text.endswith(":")), None)


def _tick(token: Token) -> bool:
    """A box, or an X typed where a box goes."""
    return token.mark is not None or token.text.casefold() == "x"
