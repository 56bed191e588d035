"""Text an agency's own version of a form prints at a field, known by recurring there across its
submissions: never an answer.

An agency's version may print its own hint under a field ("(as on the county ID card)"). Flattened,
printed or retyped, the hint sits exactly where a value goes: read alone where the field was left
empty, or after the value where it was filled ("Ingham (as on the county ID card)"). The hint's
own words may say nothing to the reader (``extract.labels.text.is_printed_instruction`` knows the
ones that do); what gives it away is that the same text comes back at the same field in that
agency's submissions about different people, while their answers there differ.

The memory is worked out when documents are judged, from what the store already holds (each
document's reading, its agency and who it is about: ``pipeline.load.state.printed_text_memory``)
and from the documents judged before in the same batch; nothing more is kept. A document forgotten
is forgotten here too, and no person's values are copied anywhere.

A text is taken for printed at a field of an agency's form when all of these hold:

* it was read there, alone or at the end of the value, in ``MIN_DOCUMENTS`` earlier documents of
  the agency about as many different subjects;
* the field holds other answers in the agency's documents (a text that is every form's answer, the
  agency's own name or its one supervisor, is an answer);
* it is shaped like printed text and not like a value people share: wholly in brackets, or a
  sentence mostly in small letters, and no digit in it (a county, "Yes", a common city, an
  address or a phone number is never taken for printed, however often it recurs);
* it was read from the page (a label's neighbourhood, a legacy field, OCR), not typed into the
  form's own field or by a reviewer.

A field that holds such text alone is blank when the field is optional; when it is required, the
document goes to a person with a finding naming the field (``validate.reading``): a required field
is not emptied on a guess. Such text after a value ends the value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from copy import deepcopy
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from pipeline.model import ExtractedDocument, FieldValue, ReadMethod
from schemas.reference import ReferenceData
from schemas.spec import FieldType, FormSpec, load_form_spec

MIN_DOCUMENTS = 3  # earlier documents, about as many different subjects, holding the text at the field
# Unsure enough for a person to look (below ``model.LOW_CONFIDENCE``), as a value of an unexpected shape.
PRINTED_TEXT_CONFIDENCE = 0.5
# Read off the page, where an agency's printed text can stand; typed into a field by a person, it cannot.
PAGE_METHODS = frozenset({ReadMethod.LABEL, ReadMethod.LEGACY_FORM_FIELD, ReadMethod.OCR})
AGENCY_FIELD = "cmhsp_name"  # both forms name their CMHSP here: whose version of the form it is
# Free text, where a hint reads as an answer; a value of another type (a date, an email, a choice)
# that is a hint does not parse, and goes to a person already.
TEXT_TYPES = frozenset({FieldType.TEXT, FieldType.LONGTEXT, FieldType.SIGNATURE})

REQUIRED_NOTE = "the text there is printed at this place on this agency's other forms, not an answer"
OPTIONAL_NOTE = "the text printed at this place on this agency's forms was left out"

_WORD = re.compile(r"[^\W_]+")
_BRACKETED = re.compile(r"^\s*[(\[][^()\[\]]*[)\]]\s*$")
_BRACKETED_END = re.compile(r"[(\[][^()\[\]]*[)\]]\s*$")
_DIGIT = re.compile(r"\d")


def folded(text: str) -> str:
    """A text as compared: its words in small letters, one space between them (punctuation aside)."""
    return " ".join(_WORD.findall(text.casefold()))


def looks_printed(text: str, *, after_value: bool = False) -> bool:
    """Shaped like a printed hint, not like a value several people share: no digit, and either in
    brackets, a phrase of two words or more mostly in small letters ("(if any)"), or a sentence of
    four words or more, most of them in small letters ("as on the county ID card"). In brackets
    ``after_value``, three words at least: a word or two there is what people add to a value
    ("2027-01-LAN (classroom)"). A name ("Friends of the Family"), an abbreviation ("(LMSW)"), a
    county, a city or an email address is none of these."""
    if not _WORD.search(text) or _DIGIT.search(text):
        return False
    bracketed = _BRACKETED.match(text) is not None
    words = text.strip().strip("()[]").split()
    small = sum(next((c.islower() for c in word if c.isalpha()), False) for word in words)
    least = (3 if after_value else 2) if bracketed else 4
    return len(words) >= least and 2 * small > len(words)


@dataclass(frozen=True)
class Reading:
    """One earlier document of an agency's form, as the memory needs it: the text read from the
    page at each field, and who the document is about."""

    document: str  # its id in the store, or its place in the batch
    subject: str | None
    texts: Mapping[str, str]  # field key -> text as read from the page (non-empty)

    @classmethod
    def of(cls, document: str, subject: str | None, fields: Mapping[str, FieldValue]) -> Reading:
        """The texts read from the page among a document's values."""
        return cls(document, subject, page_texts(fields))

    @classmethod
    def stored(cls, document_id: int, subject: str | None, extraction: Mapping[str, Any] | None,
               keys: frozenset[str] | None = None) -> Reading:
        """The same, of a document as the store keeps its reading (``documents.extraction``); of
        the fields ``keys`` only, when given (``text_fields``: the others are never touched)."""
        texts = {}
        for key, read in (extraction or {}).items():
            if not isinstance(read, dict) or (keys is not None and key not in keys):
                continue
            value = read.get("value")
            if read.get("method") in PAGE_METHODS and isinstance(value, str) and value.strip():
                texts[key] = value
        return cls(f"stored:{document_id}", subject, texts)


@lru_cache(maxsize=8)
def text_fields(form_id: str) -> frozenset[str]:
    """The keys of a form's fields printed text is looked for at (``TEXT_TYPES``)."""
    return frozenset(key for spec_field in load_form_spec(form_id).fields if spec_field.type in TEXT_TYPES
                     for key in spec_field.widget_keys)


def page_texts(fields: Mapping[str, FieldValue]) -> dict[str, str]:
    """Field key -> the text read there from the page, for fields holding some."""
    return {key: read.value for key, read in fields.items()
            if read.method in PAGE_METHODS and isinstance(read.value, str) and read.value.strip()}


@lru_cache(maxsize=1 << 14)
def _candidates(text: str) -> frozenset[str]:
    """The printed texts a value may be, when shaped so: the whole of it; or, after a value, its
    last line (Word keeps a hint under a value as a line of its own) or the words in brackets it
    ends with (a PDF's line under a value joins it: "Ingham (as on the county ID card)")."""
    lines = [line for line in text.split("\n") if line.strip()]
    if len(lines) > 1:
        part = lines[-1]
    elif (tail := _BRACKETED_END.search(text)) is not None and tail.start() > 0:
        return frozenset({folded(tail.group())}) if looks_printed(tail.group(), after_value=True) else frozenset()
    else:
        part = text
    return frozenset({folded(part)}) if looks_printed(part) else frozenset()


def learn(readings: Iterable[Reading]) -> dict[str, frozenset[str]]:
    """Field key -> the texts (as compared) printed there, from an agency's earlier documents of one form."""
    memory = PrintedTextMemory()
    for reading in readings:
        memory.add("", "", reading)
    return memory.printed("", "")


@dataclass
class _FieldTally:
    """What one field of an agency's form held in its documents: for each text that may be printed
    there, the documents and the subjects holding it; and two of its values (as compared) at most,
    enough to tell whether any but one text was answered there."""

    holding: dict[str, tuple[set[str], set[str]]] = field(default_factory=dict)
    values: set[str] = field(default_factory=set)

    def add(self, document: str, subject: str | None, text: str) -> None:
        if len(self.values) < 2:
            self.values.add(folded(text))
        for candidate in _candidates(text):
            documents, subjects = self.holding.setdefault(candidate, (set(), set()))
            documents.add(document)
            if subject is not None:
                subjects.add(subject)

    def printed(self) -> frozenset[str]:
        """The texts printed at the field: held by enough documents about enough subjects, while
        other answers were given there (a text that is every form's answer is an answer)."""
        return frozenset(candidate for candidate, (documents, subjects) in self.holding.items()
                         if len(documents) >= MIN_DOCUMENTS and len(subjects) >= MIN_DOCUMENTS
                         and self.values - {candidate})


def _without_end(text: str, printed: str) -> str:
    """``text`` without the printed text at its end (its brackets and the spacing before it too)."""
    words = printed.split()
    pattern = re.compile(r"[\W_]*" + r"[\W_]+".join(map(re.escape, words)) + r"[\W_]*$", re.IGNORECASE)
    match = pattern.search(text)
    if match is None or match.start() == 0:
        return text
    before = text[: match.start()]
    if before and before[-1].isalnum() and text[match.start()].isalnum():
        return text  # inside a word: not this text
    return before.rstrip()


def without_printed_text(document: ExtractedDocument, spec: FormSpec, printed: Mapping[str, frozenset[str]]) -> ExtractedDocument:
    """The document with the text ``printed`` at its fields taken for what it is: a field holding
    it alone blank when optional, unsure when required (a person looks); after a value, left out."""
    if not printed:
        return document
    changed: dict[str, FieldValue] = {}
    for key, read in document.fields.items():
        texts = printed.get(key)
        spec_field = spec.field_for_widget(key)
        if (not texts or spec_field is None or spec_field.type not in TEXT_TYPES or read.method not in PAGE_METHODS
                or not isinstance(read.value, str)):
            continue
        value, candidates = folded(read.value), _candidates(read.value) & texts
        if value in candidates:  # the printed text alone, where the value goes
            if spec_field.required:
                changed[key] = _noted(read, REQUIRED_NOTE, confidence=min(read.confidence, PRINTED_TEXT_CONFIDENCE))
            else:
                changed[key] = _noted(read, OPTIONAL_NOTE, value="")
        elif candidates and (kept := _without_end(read.value, next(iter(candidates)))) != read.value:
            changed[key] = _noted(read, OPTIONAL_NOTE, value=kept)  # under a value: it ends the value
    if not changed:
        return document
    return document.model_copy(update={"fields": {**document.fields, **changed}})


def _noted(read: FieldValue, note: str, **update: object) -> FieldValue:
    return read.model_copy(update={**update, "note": f"{read.note}; {note}" if read.note else note})


@dataclass
class PrintedTextMemory:
    """What the fields of each agency's form held in its earlier documents, by (agency, form id),
    counted as documents are added (those stored, then the batch's as they are judged)."""

    tallies: dict[tuple[str, str], dict[str, _FieldTally]] = field(default_factory=dict)

    def printed(self, agency: str | None, form_id: str | None) -> dict[str, frozenset[str]]:
        """Field key -> the texts printed there on this agency's form; empty when unknown."""
        if agency is None or form_id is None:
            return {}
        fields = self.tallies.get((agency, str(form_id)), {})
        return {key: printed for key, tally in fields.items() if (printed := tally.printed())}

    def copy(self) -> PrintedTextMemory:
        """A memory of its own, for one judgement to add its batch to."""
        return PrintedTextMemory(deepcopy(self.tallies))

    def applied(self, document: ExtractedDocument, reference: ReferenceData) -> tuple[ExtractedDocument, str | None]:
        """The document with what is printed on its agency's form taken out (``without_printed_text``),
        and its agency (the CMHSP it names, None when it names none)."""
        agency = agency_named(document, reference)
        if document.problem is not None or document.form_id is None:
            return document, agency
        printed = self.printed(agency, document.form_id)
        return without_printed_text(document, load_form_spec(document.form_id), printed), agency

    def add(self, agency: str | None, form_id: str | None, reading: Reading) -> None:
        """One more document of the agency's form, learnt from for the next."""
        if agency is None or form_id is None:
            return
        fields = self.tallies.setdefault((agency, str(form_id)), {})
        for key, text in reading.texts.items():
            fields.setdefault(key, _FieldTally()).add(reading.document, reading.subject, text)


def agency_named(document: ExtractedDocument, reference: ReferenceData) -> str | None:
    """The CMHSP a document names (its official name, as ``documents.agency`` keeps it), or None."""
    read = document.fields.get(AGENCY_FIELD)
    if read is None or not isinstance(read.value, str) or not read.value.strip():
        return None
    return reference.canonical_cmhsp(read.value)
