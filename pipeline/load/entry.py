"""A reviewer types in every value of a document the machine could not read (a scan, a fax, a
file of unknown form), then it is judged like any other: the review desk's data-entry form and
``psp-pipeline review enter`` both call ``preview_entry`` and ``enter``.

The typed values replace every value as read (each a ``ReadMethod.REVIEWER`` reading, sure at
1.0), the document is judged by ``review.judged_with`` (the correction's own path: the same
rules, against the program as it stands, under the program lock) and stored by
``program.apply_decision`` as a decision ``entered``; the holds it may release are judged again
(``release_in``). A document whose form was not known is typed in as the form the reviewer names.

A typed value its field's type cannot read at all (a date that is no date, a number that is no
number, none of the choices) is the reviewer's slip, not the agency's: nothing is judged or
stored, and ``EntryRefused`` says which fields, by key, for the form to show beside each input.
A value that reads but breaks a rule (a signature date too old) is judged as the rules say.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from pipeline.errors import BadInputError
from pipeline.load.program import Decided, Destination, apply_decision, release_in
from pipeline.load.review import CORRECTABLE, Decision, _load, _require, judged_with
from pipeline.load.store import Document, ReceivedFileRow, program_lock, transaction
from pipeline.model import (
    DecisionAction,
    FieldValue,
    FormId,
    ReadMethod,
    ValidationResult,
)
from pipeline.validate import ValidationContext, subject_key
from schemas import FieldType, load_form_spec
from schemas.spec import FieldSpec, FormSpec
from schemas.values import (
    Unreadable,
    match_choice,
    parse_checkbox,
    parse_date,
    parse_decimal,
    parse_int,
    split_list,
)

# A typed value: text, a box (True when ticked), or the choices ticked of a multichoice field.
TypedValue = str | bool | list[str] | None

# The field types whose own reading can find a typed value unreadable (the parsers the rules use).
_READERS: dict[FieldType, Callable[[str, FieldSpec], Any]] = {
    FieldType.DATE: lambda text, field: parse_date(text),
    FieldType.INT: lambda text, field: parse_int(text),
    FieldType.DECIMAL: lambda text, field: parse_decimal(text),
    FieldType.CHOICE: lambda text, field: match_choice(text, field.choices),
}


class EntryRefused(BadInputError):
    """Typed values their fields cannot read: ``errors`` maps each field's key to what is wrong.
    Nothing was judged or stored."""

    def __init__(self, spec: FormSpec, errors: dict[str, str]) -> None:
        shown = "; ".join(f"{spec.field(key).label}: {message}" for key, message in errors.items())
        super().__init__(f"{len(errors)} typed value{'s are' if len(errors) > 1 else ' is'} not readable ({shown}).",
                         hint="Correct them and preview again; nothing was saved.")
        self.errors = errors


def form_to_enter(document_form_id: str | None, chosen: str | None, received_file_id: int) -> FormSpec:
    """The form the values are typed in as: the document's own when it was recognised, else the
    one the reviewer chose (``PSP-ORP`` or ``PSP-REG``). BadInputError otherwise."""
    forms = ", ".join(form.value for form in FormId)
    if document_form_id:
        if chosen and chosen != document_form_id:
            raise BadInputError(f"#{received_file_id} was read as {document_form_id}, not {chosen}.",
                                hint=f"Type its values in as {document_form_id}.")
        return load_form_spec(FormId(document_form_id))
    if chosen not in {form.value for form in FormId}:
        raise BadInputError(f"#{received_file_id} is of no known form; say which form it is.",
                            hint=f"Give one of {forms}.")
    return load_form_spec(FormId(chosen))


def _as_text(value: TypedValue) -> str:
    if isinstance(value, list):
        return ", ".join(value)
    return "" if value is None or isinstance(value, bool) else str(value).strip()


def _box(value: TypedValue) -> bool:
    if isinstance(value, bool) or value is None:
        return bool(value)
    return parse_checkbox(_as_text(value))


def _choices_ticked(field: FieldSpec, value: TypedValue) -> list[bool]:
    chosen = value if isinstance(value, list) else split_list(_as_text(value), slash=False)
    wanted = {str(c).strip().casefold() for c in chosen if str(c).strip()}
    unknown = wanted - {c.casefold() for c in field.choices}
    if unknown:
        raise Unreadable(f"{', '.join(sorted(unknown))} is not one of the choices: {', '.join(field.choices)}")
    return [choice.casefold() in wanted for choice in field.choices]


def _field_readings(field: FieldSpec, value: TypedValue, location: str) -> dict[str, FieldValue]:
    """The widget readings of one typed field; Unreadable or ValueError for a value it cannot hold."""
    if field.type is FieldType.MULTICHOICE:
        widgets: dict[str, str | bool] = dict(zip(field.widget_keys, _choices_ticked(field, value), strict=True))
    elif field.type is FieldType.CHECKBOX:
        widgets = {field.key: _box(value)}
    else:
        text = _as_text(value)
        if text and field.type in _READERS:
            _READERS[field.type](text, field)
        widgets = {field.key: text}
    return {key: FieldValue(key=key, value=typed, method=ReadMethod.REVIEWER, location=location, confidence=1.0)
            for key, typed in widgets.items()}


def _by_key(spec: FormSpec, values: Mapping[str, TypedValue]) -> dict[str, TypedValue]:
    """``values`` by field key, each name read as ``FormSpec.fields_named`` reads it (the one
    mapping the review commands and the desk use). BadInputError, one line, otherwise."""
    by_key: dict[str, TypedValue] = {}
    stray: list[str] = []
    for name, value in values.items():
        found = spec.fields_named(name)
        if len(found) != 1:
            stray.append(name)
        elif found[0].key in by_key:
            raise BadInputError(f"{found[0].label} ({found[0].key}) is given twice.", hint="Give each field once.")
        else:
            by_key[found[0].key] = value
    if stray:
        raise BadInputError(f"{spec.form_id.value} has no field {', '.join(map(repr, sorted(stray)))}.",
                            hint=f"Name each by its key or its printed label (a part of one only when no other "
                            f"label holds it); fields: "
                            f"{', '.join(field.key for field in spec.fields)}.")
    return by_key


def typed_readings(spec: FormSpec, values: Mapping[str, TypedValue], actor: str) -> dict[str, FieldValue]:
    """Every field of ``spec`` as the reviewer typed it (named as ``review.field_named`` takes a
    field: its key or its printed label; a field not given is empty, a box not given unticked), by
    widget key. BadInputError for a name that is no field's or could be several, or a field given
    twice; EntryRefused for values their fields cannot read."""
    values = _by_key(spec, values)
    readings: dict[str, FieldValue] = {}
    errors: dict[str, str] = {}
    for field in spec.fields:
        try:
            readings.update(_field_readings(field, values.get(field.key), f"typed in by {actor}"))
        except ValueError as exc:  # Unreadable, or a box that is neither ticked nor not
            errors[field.key] = str(exc)
    if errors:
        raise EntryRefused(spec, errors)
    return readings


def _judged_entry(session: Session, receipt: ReceivedFileRow, document: Document, values: Mapping[str, TypedValue],
                  form_id: str | None, actor: str, context: ValidationContext) -> tuple[FormSpec, ValidationResult]:
    _require(document, receipt, CORRECTABLE, DecisionAction.ENTERED)
    spec = form_to_enter(document.form_id, form_id, receipt.id)
    readings = typed_readings(spec, values, actor)
    return spec, judged_with(session, receipt, document, readings, context, form=spec)


def preview_entry(engine: Engine, received_file_id: int, values: Mapping[str, TypedValue], *, actor: str,
                  context: ValidationContext, form_id: str | None = None) -> ValidationResult:
    """The outcome and findings ``enter`` would give the document with ``values``, judged exactly
    as it judges, without writing anything. The same refusals as ``enter``."""
    with Session(engine) as session:
        receipt, document = _load(session, received_file_id)
        _, result = _judged_entry(session, receipt, document, values, form_id, actor, context)
        session.rollback()  # a reading only (``_load`` locks the row on PostgreSQL)
        return result


def enter(engine: Engine, received_file_id: int, values: Mapping[str, TypedValue], *, actor: str, reason: str,
          context: ValidationContext, destination: Destination, form_id: str | None = None) -> Decision:
    """Store ``values`` (field key -> typed value) as every value of the document, typed in by
    ``actor``, judge it like any other and record the decision ``entered`` with ``reason`` (the
    office's own note). ``form_id`` names the form of a document whose form was not known.

    Refused (nothing changed): a document that does not wait or was decided (BadInputError), a
    value its field cannot read (EntryRefused)."""
    with transaction(engine) as session:
        program_lock(session)
        receipt, document = _load(session, received_file_id)
        spec, result = _judged_entry(session, receipt, document, values, form_id, actor, context)
        document.form_id, document.form_version, document.problem = spec.form_id.value, spec.version, None
        if document.subject_key is None:  # who it is about, now that it is read
            document.subject_key = subject_key(spec.form_id, result.values)
        typed = sum(1 for value in values.values() if value not in (None, "", False, []))
        decided = Decided(actor, DecisionAction.ENTERED, reason, {"form_id": spec.form_id.value, "typed": typed})
        apply_decision(session, document, result, decided, destination)
        session.flush()
        releases = release_in(session, context, destination=destination)
    return Decision(received_file_id, result.outcome, result, releases)
