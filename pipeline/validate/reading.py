"""Whether a document was read surely enough for a machine to decide on it.

The single-document rules judge the values as read; this module says when those values cannot be
trusted to decide:

* a value found twice with different contents (a content control and the text beside it, a label
  printed twice): the reader does not guess;
* a value read with low confidence (a label cut short or reworded, a box with text beside it);
* a required field whose label was not found, in a rendition read by its labels: the reader may
  have missed it, so it is not "empty".

Each is a finding with no rule id and severity review, naming the field's printed label: the
document goes to a person. The rules' own findings then decide nothing by themselves: "this is
empty" for a field that was only not found is dropped, and every other error or hold becomes
review, so a misread value never rejects (or holds) a form, and never lets one be accepted.
A flat rendition whose label was found with nothing beside it really is empty: that is judged as
usual.
"""

from __future__ import annotations

from collections.abc import Sequence

from pipeline.model import (
    LOW_CONFIDENCE,
    ExtractedDocument,
    FieldValue,
    Finding,
    InputKind,
)
from schemas.spec import FieldSpec, FormSpec, Severity

# Kinds whose reader sees every field the file has: a field it did not find is not on the form.
EXHAUSTIVE_KINDS = frozenset({InputKind.FILLABLE_PDF})

_SHOWN = 60  # characters of a value quoted in a finding


def _shown(read: FieldValue) -> str:
    if isinstance(read.value, bool):
        return "checked" if read.value else "not checked"
    if read.value is None:
        return "no value read"
    text = " ".join(str(read.value).split())
    if not text:
        return "empty"
    return f"'{text[:_SHOWN]}{'…' if len(text) > _SHOWN else ''}'"


def _where(read: FieldValue) -> str:
    return f"{read.method.value.replace('_', ' ')}, {read.location}"


def _finding(field: FieldSpec, message: str) -> Finding:
    return Finding(rule=None, field=field.key, label=field.label, severity=Severity.REVIEW, message=message)


def _not_found(document: ExtractedDocument, field: FieldSpec) -> bool:
    return document.kind not in EXHAUSTIVE_KINDS and any(k not in document.fields for k in field.widget_keys)


def reading_findings(document: ExtractedDocument, spec: FormSpec) -> list[Finding]:
    """Review findings for every field that was not read surely enough to decide on, and for a
    received time that is not the sender's own (the date rules were judged on the arrival)."""
    findings: list[Finding] = []
    if document.received.received_note:
        findings.append(Finding(rule=None, severity=Severity.REVIEW,
                                message=f"{document.received.received_note}; a person checks when it was sent"))
    for field in spec.fields:
        reads = [document.fields[k] for k in field.widget_keys if k in document.fields]
        needed = field.required or field.must_be_checked
        conflicted = [r for r in reads if r.conflicts]
        if conflicted:
            read = conflicted[0]
            readings = "; ".join(f"{_shown(r)} ({_where(r)})" for r in (read, *read.conflicts))
            findings.append(_finding(field, f"read more than once with different values: {readings}; a person decides which is right"))
            continue
        if needed and _not_found(document, field):
            findings.append(
                _finding(
                    field,
                    "was not found in the document (its printed label was not recognised); "
                    "a person reads it from the document",
                )
            )
            continue
        unsure = [r for r in reads if r.confidence < LOW_CONFIDENCE and (needed or not r.is_empty)]
        if unsure:
            read = unsure[0]
            how = read.note or _where(read)
            findings.append(
                _finding(field, f"was read with low confidence ({how}): {_shown(read)}; a person checks it against the document")
            )
    return findings


def with_reading_findings(
    document: ExtractedDocument, spec: FormSpec, findings: list[Finding], unread: Sequence[Finding] = ()
) -> list[Finding]:
    """The document's findings once the reading's own are counted (see the module's docstring);
    ``unread`` are values the rules could not read as their type, counted as the reading's own."""
    reading = [*reading_findings(document, spec), *unread]
    flagged = {f.field for f in reading}
    for finding in findings:
        # a rule that failed on a field the reader did not find (a contract agency's name, say)
        if finding.field and finding.field not in flagged and _not_found(document, spec.field(finding.field)):
            reading.append(
                _finding(spec.field(finding.field), "was not found in the document; a person reads it from the document")
            )
            flagged.add(finding.field)
    if not reading:
        return findings
    unsure_missing = {f.key for f in spec.fields if _not_found(document, f)}
    settled = list(reading)
    for finding in findings:
        if finding.rule == spec.required_fields_rule and finding.field in unsure_missing:
            continue  # "empty" only because it was not found
        if finding.severity in (Severity.ERROR, Severity.HOLD):
            finding = finding.model_copy(update={"severity": Severity.REVIEW})
        settled.append(finding)
    return settled
