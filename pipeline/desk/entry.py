"""The data-entry form: a reviewer types in every value of a scan or an unreadable document,
with its original drawn beside the form, previews the outcome, then saves.

The form is made from the form's specification (``schemas/forms/*.yaml``): its sections in order,
each field under its printed label with the input its type calls for, required fields marked.
A document of no known form is first given its form by the reviewer. Values already read (an
OCR'd scan) fill the inputs. Posting previews (``entry.preview_entry``, nothing written); "Save"
stores the values only for the values previewed (``entry.enter``, then ``service.after_change``),
and otherwise previews again. A value its field cannot read is shown beside its input.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from pipeline.desk.app import desk_app, form_fields, page, signed_in
from pipeline.desk.documents import ReceivedFileId, _original, _receipt
from pipeline.desk.drafts import drafted_notice
from pipeline.errors import BadInputError
from pipeline.load import entry, review
from pipeline.load.entry import EntryRefused, TypedValue
from pipeline.load.state import schedule
from pipeline.load.store import StoredReceipt
from pipeline.model import DecisionAction, FormId, ValidationResult
from pipeline.service import Changes, after_change
from schemas import FieldType, load_form_spec
from schemas.spec import FieldSpec, FormSpec

router = APIRouter()

PREFIX = "v_"  # the inputs' names: the field's key (a multichoice's: each choice's widget key) after it
ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
NUMBER = re.compile(r"-?\d+(\.\d+)?")
INPUT_TYPES = {FieldType.EMAIL: "email", FieldType.PHONE: "tel", FieldType.DATE: "date", FieldType.INT: "number",
               FieldType.DECIMAL: "number"}
NO_NOTE = "Write why in the note; it stays in the office and is never sent."
CHANGED = "The values changed since the preview: check the outcome below, then save."


def _shown(value: Any) -> TypedValue:
    """A stored value as its input shows it: numbers as written, a list as it is (``_input`` joins
    the counties of a county list; a multichoice ticks its choices)."""
    if isinstance(value, list):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value if isinstance(value, bool) or value is None else str(value)


def _input(field: FieldSpec, value: TypedValue, error: str | None) -> dict[str, Any]:
    """One field as the template draws it: its control, its value, and what is wrong with it."""
    kind = INPUT_TYPES.get(field.type, "text")
    text = value if isinstance(value, str) else ""
    # A value as read that the typed control cannot hold (a date as '3/8/27') stays visible as text.
    if text and ((kind == "date" and not ISO_DAY.fullmatch(text)) or (kind == "number" and not NUMBER.fullmatch(text))):
        kind = "text"
    if isinstance(value, list) and field.type is not FieldType.MULTICHOICE:
        value = ", ".join(map(str, value))
    chosen = {str(c).casefold() for c in value} if isinstance(value, list) else set()
    return {
        "key": field.key, "label": field.label, "type": field.type.value, "input": kind, "required": field.required,
        "must_be_checked": field.must_be_checked, "note": field.note, "value": value, "error": error,
        "min": field.min, "max": field.max, "step": "1" if field.type is FieldType.INT else "any",
        "choices": [{"label": choice, "name": f"{PREFIX}{widget}", "checked": choice.casefold() in chosen}
                    for choice, widget in zip(field.choices, field.widget_keys, strict=False)]
        if field.type is FieldType.MULTICHOICE else [{"label": choice} for choice in field.choices],
    }


def _sections(spec: FormSpec, values: dict[str, TypedValue], errors: dict[str, str]) -> list[dict[str, Any]]:
    return [{"title": section.title,
             "fields": [_input(field, values.get(field.key), errors.get(field.key)) for field in section.fields]}
            for section in spec.sections]


def _posted_values(spec: FormSpec, posted: dict[str, str]) -> dict[str, TypedValue]:
    """The typed values of a posted form, by field key: a box is ticked when it is sent at all."""
    values: dict[str, TypedValue] = {}
    for field in spec.fields:
        if field.type is FieldType.MULTICHOICE:
            values[field.key] = [choice for choice, widget in zip(field.choices, field.widget_keys, strict=True)
                                 if f"{PREFIX}{widget}" in posted]
        elif field.type is FieldType.CHECKBOX:
            values[field.key] = f"{PREFIX}{field.key}" in posted
        else:
            values[field.key] = posted.get(f"{PREFIX}{field.key}", "")
    return values


def _digest(spec: FormSpec, values: dict[str, TypedValue]) -> str:
    """What the preview was of: "Save" stores the values only when they are still these."""
    text = json.dumps([spec.form_id.value, values], sort_keys=True, ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _enterable(receipt: StoredReceipt) -> None:
    if receipt.outcome.value not in review.CORRECTABLE:
        raise BadInputError(f"#{receipt.received_file_id} is {receipt.outcome.value.replace('_', ' ')}; values are "
                            "typed in for a document that waits for a person, is held, or was rejected.")


def _entry_page(request: Request, receipt: StoredReceipt, spec: FormSpec, values: dict[str, TypedValue], *,
                errors: dict[str, str] | None = None, result: ValidationResult | None = None, note: str = "",
                message: str | None = None) -> Response:
    shared = desk_app(request)
    errors = errors or {}
    with Session(shared.desk.engine) as session:
        sessions = sorted(schedule(session)) or sorted(shared.desk.validation.reference.sessions)
    return page(
        request, "entry.html", status_code=400 if errors else 200, receipt=receipt, id=receipt.received_file_id,
        file=receipt.result.document.received.original_name, spec=spec, sections=_sections(spec, values, errors),
        original=_original(shared.desk, receipt), errors=errors, result=result, note=note, message=message,
        first_error=next((field.key for field in spec.fields if field.key in errors), None),
        notice=drafted_notice(shared.desk, receipt.received_file_id, result) if result is not None else None,
        previewed=_digest(spec, values) if result is not None else "", prefix=PREFIX,
        cmhsps=shared.desk.validation.reference.cmhsps, sessions=sessions,
        known_form=bool(receipt.result.document.form_id),
    )


@router.get("/documents/{received_file_id}/entry", response_class=HTMLResponse)
def entry_form(request: Request, received_file_id: ReceivedFileId, form: str | None = None) -> Response:
    """The data-entry form of the document's form (or, for a document of no known form, the
    choice of its form first), its values as read filled in."""
    receipt = _receipt(desk_app(request).desk, received_file_id)
    _enterable(receipt)
    read_as = receipt.result.document.form_id
    if not read_as and not form:
        return page(request, "entry_form_choice.html", id=received_file_id,
                    file=receipt.result.document.received.original_name,
                    forms=[load_form_spec(form_id) for form_id in FormId])
    spec = entry.form_to_enter(read_as, form, received_file_id)
    values = {key: _shown(value) for key, value in receipt.result.values.items()} if read_as else {}
    return _entry_page(request, receipt, spec, values)


@router.post("/documents/{received_file_id}/entry")
async def entry_post(request: Request, received_file_id: ReceivedFileId) -> Response:
    """Preview the outcome of the typed values; "Save" (for the values previewed) stores them
    (``entry.enter``) and what follows every change."""
    posted = await form_fields(request)
    shared = desk_app(request)
    actor = signed_in(request).account.name
    receipt = _receipt(shared.desk, received_file_id)
    spec = entry.form_to_enter(receipt.result.document.form_id, posted.get("form") or None, received_file_id)
    values = _posted_values(spec, posted)
    note = posted.get("note", "").strip()
    saving = posted.get("action") == "save"
    errors: dict[str, str] = {}
    message = CHANGED if saving and posted.get("previewed") != _digest(spec, values) else None
    if saving and not note:
        errors["note"] = NO_NOTE
    if saving and not message and not errors:
        def work() -> None:
            with shared.deciding:
                decision = entry.enter(shared.desk.engine, received_file_id, values, actor=actor, reason=note,
                                       context=shared.desk.validation, destination=shared.desk.router.destination,
                                       form_id=spec.form_id.value)
                after_change(shared.desk, Changes(releases=decision.releases))
        try:
            await run_in_threadpool(work)
        except EntryRefused as refused:
            errors.update(refused.errors)
        else:
            return RedirectResponse(f"/documents/{received_file_id}?done={DecisionAction.ENTERED.value}",
                                    status_code=303)
    result = None
    try:
        result = await run_in_threadpool(lambda: entry.preview_entry(
            shared.desk.engine, received_file_id, values, actor=actor, context=shared.desk.validation,
            form_id=spec.form_id.value))
    except EntryRefused as refused:
        errors.update(refused.errors)
    return _entry_page(request, receipt, spec, values, errors=errors, result=result, note=note, message=message)
