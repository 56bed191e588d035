"""Single-document rules of the specification (ORP-R01..R09, REG-R01..R09), each finding citing
its rule id, the field's printed label, and what to do, in words a submitter understands.

Validation works on data only: the extracted document, the reference data and the time zone that
decides 'the day received'. It never opens files or databases.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from pydantic import BaseModel, TypeAdapter, ValidationError

from pipeline.model import (
    ExtractedDocument,
    Finding,
    Outcome,
    ReadMethod,
    ValidationResult,
)
from pipeline.validate.outcome import decide_outcome
from pipeline.validate.program import ProgramSnapshot, program_findings
from pipeline.validate.reading import with_reading_findings
from schemas import RECORD_MODELS
from schemas.reference import ReferenceData
from schemas.spec import (
    FieldSpec,
    FieldType,
    FormId,
    FormSpec,
    Severity,
    load_form_spec,
)
from schemas.values import (
    Unreadable,
    clean_text,
    parse_checkbox,
    without_unit,
    word_count,
)


@dataclass(frozen=True)
class ValidationContext:
    """What validation needs besides the document: passed in, never looked up."""

    reference: ReferenceData
    timezone: ZoneInfo


# Which rule a value that does not parse breaks, by form and field; other fields: the form's R01
# ("every required field is filled in", with a usable value).
FORMAT_RULES: dict[FormId, dict[str, str]] = {
    FormId.READINESS_PLAN: {
        "cmhsp_name": "ORP-R02",
        "counties_served": "ORP-R05",
        "agency_zip": "ORP-R06",
        "contact_email": "ORP-R06",
        "contact_phone": "ORP-R06",
        "supervisor_email": "ORP-R06",
        "supervisor_phone": "ORP-R06",
        "director_signature_date": "ORP-R07",
        "supervisor_signature_date": "ORP-R07",
        "planned_start_date": "ORP-R08",
    },
    FormId.REGISTRATION_PACKET: {
        "cmhsp_name": "REG-R02",
        "psp_email": "REG-R05",
        "psp_phone": "REG-R05",
        "psp_state": "REG-R05",
        "psp_zip": "REG-R05",
        "supervisor_email": "REG-R05",
        "supervisor_phone": "REG-R05",
        "psp_signature_date": "REG-R07",
        "supervisor_signature_date": "REG-R07",
        "director_signature_date": "REG-R07",
        "hire_date": "REG-R08",
        "hours_per_week": "REG-R08",
        "training_session": "REG-R09",
    },
}


class _Findings:
    """Collects findings for one document, taking severity from the rule in the spec."""

    def __init__(self, spec: FormSpec) -> None:
        self.spec = spec
        self.items: list[Finding] = []
        self.unread: list[Finding] = []  # values that could not be read as their type: a person reads them

    def add_unread(self, field: FieldSpec, message: str) -> None:
        """A value that is not recognisably of its type: it decides nothing alone, as a misread value
        does not (``with_reading_findings``); the raw text is in the message for the reviewer."""
        self.unread.append(Finding(
            rule=None, field=field.key, label=field.label, severity=Severity.REVIEW,
            message=f"could not be read as written ({message}); a person reads it from the document",
        ))

    def add(self, rule_id: str, field: FieldSpec | None, message: str) -> None:
        self.items.append(
            Finding(
                rule=rule_id,
                field=field.key if field else None,
                label=field.label if field else None,
                severity=self.spec.rule(rule_id).severity,
                message=message,
            )
        )


@cache
def _field_adapter(form_id: FormId, key: str) -> TypeAdapter[Any]:
    info = RECORD_MODELS[form_id].model_fields[key]
    annotation = Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation
    return TypeAdapter(annotation)


def _error_message(error: Any, field: FieldSpec, raw: Any) -> str:
    context = error.get("ctx") or {}
    if error["type"] == "value_error" and "error" in context:
        return str(context["error"])
    if error["type"] in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        return f"'{raw}' is outside the allowed range, {_number(field.min)} to {_number(field.max)}"
    return f"'{raw}' is not a valid value ({error['msg'].lower()})"


def _number(value: float | None) -> str:
    return f"{value:g}" if value is not None else "?"


def _raw_inputs(document: ExtractedDocument, spec: FormSpec) -> dict[str, Any]:
    """Each field's input as read: text (cleaned, None when empty), booleans, multichoice lists."""
    inputs: dict[str, Any] = {}
    for field in spec.fields:
        if field.type is FieldType.MULTICHOICE:
            inputs[field.key] = [
                choice
                for choice, widget in zip(field.choices, field.widget_keys, strict=True)
                if widget in document.fields and _is_checked(document.fields[widget].value)
            ]
        elif field.type is FieldType.CHECKBOX:
            read = document.fields.get(field.key)
            inputs[field.key] = _is_checked(read.value) if read else False
        else:
            read = document.fields.get(field.key)
            inputs[field.key] = clean_text(read.value) if read and not isinstance(read.value, bool) else None
    return inputs


def _is_checked(value: Any) -> bool:
    try:
        return parse_checkbox(value)
    except ValueError:
        return False


def _jsonable(value: Any) -> Any:
    if isinstance(value, list):
        return [_jsonable(item) for item in value]
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def _parse_fields(
    spec: FormSpec, inputs: dict[str, Any], context: ValidationContext, findings: _Findings,
    recognised: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """Each field's value parsed as its type; a finding for each that does not parse. A value read
    off a picture (``recognised``: by OCR) that does not parse decides nothing alone: recognition
    misreads a letter or a digit as surely as it reads the rest ("CMHA-CEl"), and a notice would
    then reject a form for what the agency did not write. Its rule's finding is kept, made a
    person's by the reading's own finding (``with_reading_findings``)."""
    r01 = spec.required_fields_rule
    parsed: dict[str, Any] = {}
    for field in spec.fields:
        raw = inputs[field.key]
        if field.type is FieldType.CHECKBOX:
            if field.must_be_checked and not raw:
                findings.add(r01, field, "this box is not checked; it must be checked for the form to be accepted")
            parsed[field.key] = raw
            continue
        if raw in (None, [], ""):
            if field.required:
                what = "no box is checked; check at least one" if field.type is FieldType.MULTICHOICE else "this is empty; fill it in"
                findings.add(r01, field, what)
            else:
                parsed[field.key] = None
            continue
        if field.type in (FieldType.INT, FieldType.DECIMAL) and isinstance(raw, str):
            raw = without_unit(raw, field.label)  # '12 hours' for "Hours per week"
        try:
            parsed[field.key] = _field_adapter(spec.form_id, field.key).validate_python(
                raw, context={"reference": context.reference}
            )
        except ValidationError as exc:
            error = exc.errors()[0]
            if isinstance((error.get("ctx") or {}).get("error"), Unreadable):
                findings.add_unread(field, _error_message(error, field, raw))
                continue
            rule_id = FORMAT_RULES[spec.form_id].get(field.key, r01)
            findings.add(rule_id, field, _error_message(error, field, raw))
            if field.key in recognised:
                # the rule's finding stays (the desk's queue finds it by its rule, and a person's
                # accept is refused past it); this one sends the form to a person instead
                likeliest = context.reference.likeliest_cmhsp(str(raw)) if field.type is FieldType.CMHSP else None
                like = f"; perhaps {likeliest}, the CMHSP it reads most like: check the document" if likeliest else ""
                findings.add_unread(field, f"'{raw}' as text recognition read it, which may have misread it{like}")
    return parsed


def _check_signature_dates(
    spec: FormSpec, parsed: dict[str, Any], received_day: date, rule_id: str, max_age_days: int, findings: _Findings
) -> None:
    for field in spec.fields:
        if field.type is not FieldType.DATE or not field.key.endswith("signature_date"):
            continue
        signed = parsed.get(field.key)
        if signed is None:
            continue
        if signed > received_day:
            findings.add(
                rule_id,
                field,
                f"{signed:%m/%d/%Y} is after the day we received the form ({received_day:%m/%d/%Y}); "
                "date the signature on the day it was signed",
            )
        elif signed < received_day - timedelta(days=max_age_days):
            findings.add(
                rule_id,
                field,
                f"{signed:%m/%d/%Y} is more than {max_age_days} days before the form was received "
                f"({received_day:%m/%d/%Y}); sign and date the form again",
            )


def _check_other_credential(spec: FormSpec, parsed: dict[str, Any], rule_id: str, findings: _Findings) -> None:
    if parsed.get("supervisor_credential") != "Other":
        return
    credential = spec.field("supervisor_credential")
    described = parsed.get("supervisor_credential_other")
    if "supervisor_credential_other" in {f.key for f in spec.fields} and not described:
        findings.add(
            rule_id,
            spec.field("supervisor_credential_other"),
            "the supervisor's credential is 'Other' but is not described; describe it so the coordinator can confirm it qualifies",
        )
    else:
        findings.add(
            rule_id, credential, "the supervisor's credential is 'Other'; the coordinator will confirm it qualifies"
        )


def _check_provider_agency(spec: FormSpec, parsed: dict[str, Any], model_key: str, rule_id: str, findings: _Findings) -> None:
    if parsed.get(model_key) == "Contract provider agency" and not parsed.get("provider_agency_name"):
        findings.add(
            rule_id,
            spec.field("provider_agency_name"),
            "PSPs will be employed by a contract provider agency, but the agency is not named; give its name",
        )


def _readiness_plan_rules(spec: FormSpec, parsed: dict[str, Any], received_day: date, findings: _Findings) -> None:
    _check_provider_agency(spec, parsed, "employment_model", "ORP-R03", findings)
    _check_other_credential(spec, parsed, "ORP-R04", findings)
    _check_signature_dates(spec, parsed, received_day, "ORP-R07", _param(spec, "ORP-R07", "max_age_days"), findings)

    signature_dates = [parsed.get("director_signature_date"), parsed.get("supervisor_signature_date")]
    start = parsed.get("planned_start_date")
    if start is not None and all(signature_dates):
        earliest = min(signature_dates)
        start_field = spec.field("planned_start_date")
        if start < earliest:
            findings.add(
                "ORP-R08",
                start_field,
                f"{start:%m/%d/%Y} is before the plan was signed ({earliest:%m/%d/%Y}); give the date PSP services will begin",
            )
        elif start > earliest + relativedelta(months=(months := _param(spec, "ORP-R08", "max_months_after_signature"))):
            findings.add(
                "ORP-R08",
                start_field,
                f"{start:%m/%d/%Y} is more than {months} months after the plan was signed ({earliest:%m/%d/%Y}); "
                "send the plan closer to the start of services",
            )

    least = _param(spec, "ORP-R09", "min_words")
    for key in ("integration_plan", "referral_process"):
        text = parsed.get(key)
        if text is not None and word_count(text) < least:
            findings.add(
                "ORP-R09",
                spec.field(key),
                f"the description has {word_count(text)} words; the coordinator will look at it ({least} words or more are expected)",
            )


def _param(spec: FormSpec, rule_id: str, name: str) -> Any:
    """A rule's number as the specification's text states it (``RuleSpec.number``)."""
    return spec.rule(rule_id).number(name)


def _registration_rules(
    spec: FormSpec, parsed: dict[str, Any], received_day: date, context: ValidationContext, findings: _Findings
) -> None:
    _check_provider_agency(spec, parsed, "employer_type", "REG-R03", findings)
    _check_other_credential(spec, parsed, "REG-R04", findings)

    state = parsed.get("psp_state")
    county = parsed.get("psp_county")
    if state == "MI" and county:
        canonical = context.reference.canonical_county(county)
        if canonical is None:
            findings.add(
                "REG-R05",
                spec.field("psp_county"),
                f"'{county}' is not a Michigan county; give the county of residence in Michigan",
            )
        else:
            parsed["psp_county"] = canonical
    if state is not None and state != "MI":
        findings.add(
            "REG-R06",
            spec.field("psp_state"),
            f"the PSP lives outside Michigan ({state}); the coordinator will look at it",
        )

    _check_signature_dates(spec, parsed, received_day, "REG-R07", _param(spec, "REG-R07", "max_age_days"), findings)

    hired, signed = parsed.get("hire_date"), parsed.get("psp_signature_date")
    days = _param(spec, "REG-R08", "max_days_hired_after_signature")
    if hired is not None and signed is not None and hired > signed + timedelta(days=days):
        findings.add(
            "REG-R08",
            spec.field("hire_date"),
            f"{hired:%m/%d/%Y} is more than {days} days after the PSP signed ({signed:%m/%d/%Y}); "
            f"send the packet within {days} days of the hire date",
        )
    position, hours = parsed.get("position_type"), parsed.get("hours_per_week")
    hours_by_position = {"Full-time": _param(spec, "REG-R08", "full_time_hours"),
                         "Part-time": _param(spec, "REG-R08", "part_time_hours")}
    if position in hours_by_position and hours is not None:
        low, high = hours_by_position[position]
        if not low <= hours <= high:
            findings.add(
                "REG-R08",
                spec.field("hours_per_week"),
                f"{hours} hours per week does not fit a {position} position ({low} to {high} hours); "
                "correct the hours or the position",
            )

    requested = parsed.get("training_session")
    if requested is not None:
        session = context.reference.session(requested)
        field = spec.field("training_session")
        if session is None and not SESSION_ID_SHAPE.search(requested.upper()):
            findings.add_unread(field, f"'{requested}' names no session id of the training schedule")
        elif session is None:
            known = ", ".join(sorted(context.reference.sessions))
            findings.add("REG-R09", field, f"'{requested}' is not a session of the training schedule; choose one of {known}")
        elif session.start_date <= received_day:
            findings.add(
                "REG-R09",
                field,
                f"session {session.session_id} started on {session.start_date:%m/%d/%Y}, before the packet was received; "
                "choose a later session",
            )
        else:
            parsed["training_session"] = session.session_id


# What a session id looks like (2027-03-LAN): a text without one was not read as an id at all.
SESSION_ID_SHAPE = re.compile(r"\b\d{4}-\d{1,2}-[A-Z]{2,}\b")


FORM_RULES: dict[FormId, Callable[..., None]] = {
    FormId.READINESS_PLAN: lambda spec, parsed, day, context, findings: _readiness_plan_rules(spec, parsed, day, findings),
    FormId.REGISTRATION_PACKET: _registration_rules,
}


def _unreadable_result(document: ExtractedDocument) -> ValidationResult:
    detail = document.problem_detail or "the document could not be read"
    finding = Finding(rule=None, severity=Severity.REVIEW, message=detail)
    return ValidationResult(document=document, outcome=Outcome.NEEDS_REVIEW, findings=(finding,))


def validate_document(
    document: ExtractedDocument, context: ValidationContext, program: ProgramSnapshot | None = None
) -> ValidationResult:
    """Judge one extracted document against its form's rules.

    With ``program``, the cross-document rules are judged too, against that snapshot of the
    program's state; without it, only the single-document rules.
    """
    if document.problem is not None or document.form_id is None:
        return _unreadable_result(document)

    spec = load_form_spec(document.form_id)
    findings = _Findings(spec)
    inputs = _raw_inputs(document, spec)
    recognised = frozenset(key for key, read in document.fields.items() if read.method is ReadMethod.OCR)
    parsed = _parse_fields(spec, inputs, context, findings, recognised)
    received_day = document.received.received_at.astimezone(context.timezone).date()
    FORM_RULES[spec.form_id](spec, parsed, received_day, context, findings)
    if program is not None:
        findings.items.extend(program_findings(spec, parsed, program, context.reference))
    # Values not read surely enough (conflicts, low confidence, labels not found) decide nothing alone.
    findings.items = with_reading_findings(document, spec, findings.items, unread=findings.unread)

    record: BaseModel | None = None
    if len(parsed) == len(spec.fields):
        try:
            record = RECORD_MODELS[spec.form_id].model_validate(parsed, context={"reference": context.reference})
        except ValidationError:
            # A value that parsed alone but not in the record (a must-be-checked box): its finding is already made.
            record = None

    # Values that did not parse are kept as read, so a reviewer sees what was written.
    values = {field.key: _jsonable(parsed.get(field.key, inputs[field.key])) for field in spec.fields}
    return ValidationResult(
        document=document,
        outcome=decide_outcome(findings.items),
        findings=tuple(findings.items),
        values=values,
        record=record,
    )
