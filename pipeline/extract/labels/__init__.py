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


The reading goes in three steps, each in a module of its own: ``anchors`` (where each printed
label is; ``loose``, where the labels cut short or reworded are), ``regions`` (where its value is)
and ``values`` (reading it); ``text`` holds the words of printed text as they are compared.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.extract.labels.anchors import Anchor, _label_sets
from pipeline.extract.labels.loose import LooseAnchorFinder
from pipeline.extract.labels.text import (
    BESIDE_CONFIDENCE,
    CONFLICT_CONFIDENCE,
    LOOSE_CONFIDENCE,
    UNDER_CONFIDENCE,
    UNSURE_CONFIDENCE,
    clean_value,
    is_printed_instruction,
    is_stop_line,
    similarity,
    words_of,
)
from pipeline.extract.labels.values import ValueReader, merge_readings, same_value
from pipeline.extract.layout import Layout, Token
from pipeline.model import FieldValue
from schemas.spec import FormSpec


@dataclass
class LabelReading:
    """What the label reader found in one layout for one form."""

    values: dict[str, FieldValue]
    anchors: list[Anchor]

    @property
    def found_fields(self) -> set[str]:
        """The keys of the fields whose labels were found (how much of a form is printed here)."""
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


class _Reader(ValueReader, LooseAnchorFinder):
    """One reading of one layout for one form: the three steps share what each found."""

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
        # A document's pages share their margins: a page whose lines all stop short of its margin
        # (none needed the whole width) has it where the widest line of its width's pages ends.
        widest: dict[float | None, float] = {}
        for page, edge in self.right_edge.items():
            width = layout.page_sizes.get(page, (None, None))[0]
            widest[width] = max(widest.get(width, 0.0), edge)
        self.right_edge = {page: widest[layout.page_sizes.get(page, (None, None))[0]] for page in self.right_edge}

    def read(self) -> LabelReading:
        """Labels as printed, then values that read like labels given back to their fields, then
        labels cut short or reworded among what is neither a label nor a value; then the values."""
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


__all__ = [
    "BESIDE_CONFIDENCE", "CONFLICT_CONFIDENCE", "LOOSE_CONFIDENCE", "UNDER_CONFIDENCE", "UNSURE_CONFIDENCE",
    "Anchor", "LabelReading", "clean_value", "is_printed_instruction", "is_stop_line", "label_coverage",
    "merge_readings", "read_labels", "same_value", "similarity", "words_of",
]
