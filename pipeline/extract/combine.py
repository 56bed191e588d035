"""One reading per field, from the file's own form fields and from its printed labels.

A Word form may keep some content controls and have others typed over; a legacy form may name
some fields like the form's keys. For each of the form's widget keys:

* read only one way: that reading;
* a control left empty with a value typed beside it (or in its place): the typed value;
* a control's value and different text beside the label: not guessed, the field is flagged
  (the control's reading, with the other as ``conflicts``, at the confidence of a conflict).
"""

from __future__ import annotations

from pipeline.extract.base import RawDocument
from pipeline.extract.labels import CONFLICT_CONFIDENCE, read_labels, same_value
from pipeline.model import FieldValue
from schemas.spec import FormSpec


def _differs(a: FieldValue, b: FieldValue) -> bool:
    if isinstance(a.value, bool) and isinstance(b.value, bool):
        return a.value != b.value
    return not b.is_empty and not same_value(a.value, b.value)


def combine(spec: FormSpec, raw: RawDocument) -> dict[str, FieldValue]:
    """One reading for each of the form's widget keys that either way found, chosen as the module
    says: a field read both ways and disagreeing is flagged, not guessed."""
    labelled = read_labels(raw.layout, spec).values if raw.layout is not None else {}
    fields: dict[str, FieldValue] = {}
    for key in spec.widget_keys:
        own, text = raw.widgets.get(key), labelled.get(key)
        if own is None or text is None:
            chosen = own or text
            if chosen is not None:
                fields[key] = chosen
            continue
        if own.is_empty and not isinstance(own.value, bool) and not text.is_empty:
            fields[key] = text  # typed beside, or in place of, a control left empty
            continue
        disagreeing = [r for r in (text, *text.conflicts) if _differs(own, r)]
        if disagreeing:
            fields[key] = own.model_copy(
                update={
                    "confidence": CONFLICT_CONFIDENCE,
                    "conflicts": tuple(disagreeing),
                    "note": "the form field and the text beside its label say different things",
                }
            )
        else:
            fields[key] = own
    return fields
