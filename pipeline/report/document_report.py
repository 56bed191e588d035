"""What the run report shows of one received file (``document_summary``): every field as read and
as normalised, where and how surely it was read, and the findings beside the values they are about."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from pipeline.load.store import StoredReceipt
from pipeline.model import Finding, FormId, Outcome, ValidationResult
from pipeline.report.models import (
    DocumentReport,
    Notice,
    ReportField,
    ReportFinding,
    ReportSection,
)
from schemas.spec import FieldSpec, FieldType, FormSpec, choice_slug, load_form_spec


def _display(value: Any) -> str:
    if value is None or value == "":
        return ""
    if value is True:
        return "☒ checked"
    if value is False:
        return "☐ not checked"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


# How a value was read, in the reviewer's words; a method not named here shows as its own name.
METHOD_LABELS = {
    "acroform": "PDF form field",
    "content_control": "Word content control",
    "legacy_form_field": "Word legacy form field",
    "label": "text by its printed label",
    "reviewer": "typed in by a reviewer",
}

def _method_label(method: str) -> str:
    return METHOD_LABELS.get(method, method.replace("_", " "))


def _as_read(field: FieldSpec, reads: dict[str, Any]) -> str:
    """The value as the extractor read it, before normalising: what the submitter wrote."""
    if field.type is FieldType.MULTICHOICE:
        keys = {f"{field.key}_{choice_slug(c)}": c for c in field.choices}
        if not any(k in reads for k in keys):
            return ""
        checked = [choice for key, choice in keys.items() if key in reads and not reads[key].is_empty]
        return ", ".join(checked) if checked else "none checked"
    read = reads.get(field.key)
    return _display(read.value) if read is not None else ""


def _why(outcome: Outcome, findings: tuple[ReportFinding, ...], duplicate_of: str | None) -> str:
    """The outcome and why, in one line."""
    if outcome is Outcome.DUPLICATE:
        return f"The same file was received before (sha256 {(duplicate_of or '')[:12]}…); nothing changed."
    if outcome is Outcome.ACCEPTED:
        return "Every rule holds; the record is in the store."
    deciding = {Outcome.REJECTED: "error", Outcome.HELD: "hold", Outcome.NEEDS_REVIEW: "review"}[outcome]
    relevant = [f for f in findings if f.severity == deciding] or list(findings)
    if not relevant:
        return ""
    rules = sorted({f.rule for f in relevant if f.rule})
    if outcome is Outcome.REJECTED:
        count = len(relevant)
        return (
            f"{count} problem{'s' if count != 1 else ''} the agency must correct"
            + (f" ({', '.join(rules)})" if rules else "")
            + "; a notice goes back to them."
        )
    first = relevant[0]
    label = f"{first.label}: " if first.label else ""
    rule = f"{first.rule}: " if first.rule else ""
    more = f" (+{len(relevant) - 1} more)" if len(relevant) > 1 else ""
    verb = "Waits" if outcome is Outcome.HELD else "A person decides"
    return f"{verb}. {rule}{label}{first.message}{more}"


def _field_row(field: FieldSpec, result: ValidationResult) -> dict[str, Any]:
    """One field's row but its findings: its value as normalised and as read, where and how surely."""
    fields = result.document.fields
    reads = {k: fields[k] for k in field.widget_keys if k in fields}
    places = sorted({(r.location, r.method.value) for r in reads.values()})
    value = result.values.get(field.key)
    return {
        "key": field.key,
        "label": field.label,
        "value": value,
        "shown": _display(value),
        "read": _as_read(field, reads),
        "source": ", ".join(f"{method} ({location})" for location, method in places) or "not found",
        "where": "; ".join(f"{location} · {_method_label(method)}" for location, method in places) or "not found on the form",
        "confidence": min((r.confidence for r in reads.values()), default=None),
        "areas": tuple(r.area for r in reads.values() if r.area is not None),
    }


def _shown_finding(finding: Finding, rows: dict[str, dict[str, Any]]) -> ReportFinding:
    """A finding with the value it is about as the reviewer sees it (none for a finding about no field)."""
    row = rows.get(finding.field or "")
    return ReportFinding(
        **finding.model_dump(),
        read=row["read"] if row else None,
        where=row["where"] if row else None,
        confidence=row["confidence"] if row else None,
    )


def _sections(spec: FormSpec, rows: dict[str, dict[str, Any]], findings: tuple[ReportFinding, ...]) -> tuple[ReportSection, ...]:
    """The form's sections with their rows, each row with the findings about its field."""
    by_field: dict[str, list[ReportFinding]] = {}
    for finding in findings:
        if finding.field:
            by_field.setdefault(finding.field, []).append(finding)
    return tuple(
        ReportSection(
            title=section.title,
            fields=tuple(ReportField(**rows[f.key], findings=tuple(by_field.get(f.key, ()))) for f in section.fields),
        )
        for section in spec.sections
    )


def document_summary(receipt: StoredReceipt, notice: Notice | None, zone: ZoneInfo) -> DocumentReport:
    """What the report shows of one received file, in form order.

    Each field carries its value as normalised (``value``, ``shown``), as read (``read``), where
    and how it was read (``where``, ``source``) and the lowest confidence of its reads; each
    finding about a field carries the same, so a reviewer sees what the rule saw.
    """
    result = receipt.result
    document = result.document
    received = document.received
    duplicate = receipt.outcome is Outcome.DUPLICATE
    form_id = FormId(document.form_id) if document.form_id else None
    spec = load_form_spec(form_id) if form_id else None
    form_shown = spec if not duplicate else None  # a duplicate shows nothing of what it holds: it changed nothing
    rows = {f.key: _field_row(f, result) for f in form_shown.fields} if form_shown is not None else {}
    findings = () if duplicate else tuple(_shown_finding(f, rows) for f in result.findings)
    confidences = [row["confidence"] for row in rows.values() if row["confidence"] is not None]
    return DocumentReport(
        id=receipt.received_file_id,
        file=received.original_name,
        sha256=received.sha256,
        received_at=received.received_at,
        received_local=received.received_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
        sender=received.sender,
        kind=document.kind,
        form_id=form_id,
        form_version=document.form_version,
        form_title=spec.title if spec is not None else "Unknown document",
        outcome=receipt.outcome,
        why=_why(receipt.outcome, findings, receipt.duplicate_of),
        duplicate_of=receipt.duplicate_of,
        findings=findings,
        lowest_confidence=min(confidences, default=None),
        sections=_sections(form_shown, rows, findings) if form_shown is not None else (),
        stored_path=receipt.stored_path,
        notice=notice,
    )
