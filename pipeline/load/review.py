"""Review decisions: what waits for a person, and a person's accept, reject or correction.

Every decision is recorded with who, when and why (``decisions`` table) and changes the
document's outcome in the same transaction, under the program lock, after checking that the
document still waits: two reviewers deciding the same document at once cannot both win.
A decision on a plan judges the registrations held on it again.

An accept takes only a form that waits for a person, and judges it again against the program as
it stands then: it goes past what is a person's to decide (an unsure reading, a reason to look),
never an error rule or a hold, nor a PSP registered meanwhile (``accept_conflicts``). Refused, it
says what to do; the form keeps waiting. A held form is released when its cause clears instead.

A decision's reason is the coordinator's own note and never leaves the office: a rejection's
notice says only what the reviewer wrote for the agency (``message_to_agency``, kept in the
decision's ``detail``), or that the coordinator could not accept the form.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from pipeline.errors import BadInputError
from pipeline.load.program import (
    Decided,
    Destination,
    Release,
    apply_decision,
    release_in,
)
from pipeline.load.state import (
    document_from_row,
    primary_receipt,
    read_snapshot,
    with_store_schedule,
)
from pipeline.load.store import (
    DecisionRow,
    Document,
    ReceivedFileRow,
    RegistrationRecord,
    program_lock,
    transaction,
)
from pipeline.model import (
    DecisionAction,
    FieldValue,
    Finding,
    Outcome,
    ReadMethod,
    RegistrationStatus,
    ValidationResult,
)
from pipeline.validate import ValidationContext, psp_key, validate_document
from pipeline.validate.program import ALREADY_RECORDED, accept_conflicts
from schemas import RECORD_MODELS, FieldType, load_form_spec
from schemas.spec import FieldSpec, FormSpec, Severity
from schemas.values import parse_checkbox, split_list

WAITING = (Outcome.NEEDS_REVIEW.value, Outcome.HELD.value)
# What clears each hold's cause, as a person does it (a hold is never released past its cause).
HOLD_CLEARS = {
    "REG-R10": "accept the agency's readiness plan (it releases the packet by itself)",
    "REG-R11": "raise the session's capacity by `psp-pipeline sessions import`, or move the PSP to another "
    "session (`psp-pipeline sessions move ID SESSION`)",
}
# What a person may accept: only a form that waits for a person. A held form is decided by its
# cause clearing (``release_in``, ``holds.release_hold``) or by a move, never accepted past its hold.
ACCEPTABLE = (Outcome.NEEDS_REVIEW.value,)
# What a correction or a typed entry may change: a form that waits. A decided one is reopened first.
CORRECTABLE = WAITING
# The findings a person's accept may go past: those the rules leave to a person (a value not read
# surely, a reason to look). An error or a hold is never a person's to override.
NOT_FOR_A_PERSON = (Severity.ERROR, Severity.HOLD)
# A reviewer's message to the agency: one line of at most this many characters. A rejection's
# notice lists it as the problem to correct; without one, it says only NO_MESSAGE_TO_AGENCY.
MESSAGE_TO_AGENCY_LIMIT = 400
REVIEW_FINDING = "the coordinator's review: "
NO_MESSAGE_TO_AGENCY = "the coordinator reviewed the form and cannot accept it as it was sent"


@dataclass(frozen=True)
class Decision:
    received_file_id: int
    outcome: Outcome
    result: ValidationResult
    releases: list[Release]


def _load(session: Session, received_file_id: int) -> tuple[ReceivedFileRow, Document]:
    receipt = session.get(ReceivedFileRow, received_file_id)
    if receipt is None:
        raise BadInputError(f"there is no received file #{received_file_id}.", hint="See `psp-pipeline review list`.")
    document = session.scalars(select(Document).where(Document.id == receipt.document_id).with_for_update()).one()
    if receipt.outcome == Outcome.DUPLICATE.value:
        primary = primary_receipt(session, document)
        raise BadInputError(
            f"#{received_file_id} is a duplicate of #{primary.id}.", hint=f"Decide #{primary.id} instead."
        )
    return receipt, document


def _require(document: Document, receipt: ReceivedFileRow, allowed: tuple[str, ...], verb: str) -> None:
    if document.superseded_by_id is not None:
        raise BadInputError(
            f"#{receipt.id} was replaced by a corrected form that came later.",
            hint="Decide the newer one (see `psp-pipeline review list`).",
        )
    if document.outcome not in allowed:
        raise BadInputError(
            f"#{receipt.id} is {document.outcome.replace('_', ' ')}; only a document that is "
            f"{' or '.join(a.replace('_', ' ') for a in allowed)} can be {verb}."
        )


def show(engine: Engine, received_file_id: int) -> dict[str, Any]:
    """Everything a reviewer needs of one document: values with their sources, findings, decisions."""
    with Session(engine) as session:
        receipt, document = _load(session, received_file_id)
        decisions = session.scalars(
            select(DecisionRow).where(DecisionRow.document_id == document.id).order_by(DecisionRow.at, DecisionRow.id)
        ).all()
        fields = []
        if document.form_id:
            spec = load_form_spec(document.form_id)
            for field in spec.fields:
                reads = [document.extraction.get(k) for k in field.widget_keys if k in document.extraction]
                fields.append(
                    {
                        "key": field.key,
                        "label": field.label,
                        "value": document.values.get(field.key),
                        "sources": sorted({f"{r['method']} ({r['location']}, confidence {r['confidence']:.2f})" for r in reads}),
                    }
                )
        superseded_by = None
        if document.superseded_by_id is not None:
            newer = session.get_one(Document, document.superseded_by_id)
            superseded_by = primary_receipt(session, newer).id
        return {
            "id": receipt.id,
            "file": receipt.original_name,
            "received_at": receipt.received_at,
            "sender": receipt.sender,
            "form_id": document.form_id,
            "form_version": document.form_version,
            "outcome": document.outcome,
            "superseded_by": superseded_by,
            "stored_path": receipt.stored_path,
            "findings": document.findings,
            "fields": fields,
            "decisions": [
                {"at": d.at, "actor": d.actor, "action": d.action, "from": d.from_outcome, "to": d.to_outcome,
                 "reason": d.reason, "message_to_agency": (d.detail or {}).get("message_to_agency")}
                for d in decisions
            ],
        }


def _accepted_result(document: Document, receipt: ReceivedFileRow, context: ValidationContext) -> ValidationResult:
    """The record of a document a reviewer accepts, its values checked against the desk's
    reference data (the coordinator's own CMHSPs and counties, as the run judged it)."""
    if document.form_id is None:
        raise BadInputError(
            f"#{receipt.id} is not one of the two forms and cannot be accepted.",
            hint="Reject it with a reason, or ask the sender for the form.",
        )
    model = RECORD_MODELS[load_form_spec(document.form_id).form_id]
    try:
        record = model.model_validate(document.values, context={"reference": context.reference})
    except ValidationError as exc:
        labels = sorted({load_form_spec(document.form_id).field(str(e["loc"][0])).label for e in exc.errors() if e["loc"]})
        raise BadInputError(
            f"#{receipt.id} cannot be accepted: {', '.join(labels)} {'has' if len(labels) == 1 else 'have'} no usable value.",
            hint="Correct it with `psp-pipeline review correct ID FIELD VALUE --reason ...`, or reject the form.",
        ) from exc
    extracted = document_from_row(document, receipt)
    # The findings stay on record: the reviewer accepted in spite of them.
    findings = tuple(Finding.model_validate(f) for f in document.findings)
    return ValidationResult(document=extracted, outcome=Outcome.ACCEPTED, findings=findings,
                            values=document.values, record=record)


def _registration_of(session: Session, values: dict[str, Any]) -> RegistrationRecord | None:
    """The registration that holds a seat for the PSP of ``values`` (REG-R12's sameness)."""
    key = psp_key(*(str(values.get(k) or "") for k in ("psp_first_name", "psp_last_name", "psp_email")))
    for registration in session.scalars(
        select(RegistrationRecord).where(RegistrationRecord.status == RegistrationStatus.REGISTERED).order_by(RegistrationRecord.id)
    ):
        if psp_key(registration.psp_first_name, registration.psp_last_name, registration.psp_email) == key:
            return registration
    return None


def _refuse_conflicts(
    session: Session, document: Document, receipt: ReceivedFileRow, context: ValidationContext
) -> None:
    """BadInputError when the program as it stands now forbids accepting the document
    (``accept_conflicts``): its PSP registered already, or a finding for a person that came
    since the document was judged. Nothing is changed; the document keeps waiting."""
    conflicts = accept_conflicts(load_form_spec(document.form_id), document.values, document.findings,
                                 read_snapshot(session), context.reference)
    if not conflicts:
        return
    reject_hint = f"`psp-pipeline review reject {receipt.id} --reason ...`"
    if any(f.rule == ALREADY_RECORDED for f in conflicts):
        registration = _registration_of(session, document.values)
        if registration is not None:
            registered = primary_receipt(session, registration.document)
            raise BadInputError(
                f"#{receipt.id} cannot be accepted: its PSP is already registered (PSP #{registration.id}, from "
                f"received file #{registered.id}); accepting it too would register the PSP twice and take a "
                "second seat.",
                hint=f"If it is a duplicate, reject it ({reject_hint}). If it replaces that registration, "
                f"withdraw PSP #{registration.id} first (`psp-pipeline psp withdraw {registration.id} --reason ...`), "
                f"then accept #{receipt.id}.",
            )
    shown = "; ".join(f"{f.rule}: {f.message}" for f in conflicts)
    raise BadInputError(
        f"#{receipt.id} cannot be accepted as it was judged: the program has changed since ({shown}).",
        hint=f"Judge it again with `psp-pipeline review correct {receipt.id} FIELD VALUE --reason ...` (the finding "
        f"is then on record to decide on), or reject it ({reject_hint}).",
    )


def _require_acceptable(document: Document, receipt: ReceivedFileRow) -> None:
    """BadInputError unless the document waits for a person: a held one waits for its cause."""
    if document.outcome == Outcome.HELD.value and document.superseded_by_id is None:
        raise BadInputError(
            f"#{receipt.id} is held, not waiting for a person: a hold is released when its cause clears, "
            "never accepted past it.",
            hint=f"REG-R10: {HOLD_CLEARS['REG-R10']}; REG-R11: {HOLD_CLEARS['REG-R11']}.")
    _require(document, receipt, ACCEPTABLE, DecisionAction.ACCEPTED)


def _refuse_rules_now(receipt: ReceivedFileRow, judged: ValidationResult) -> None:
    """BadInputError when the document, judged again now (``judged``), breaks a rule no person may
    accept it past (an error, or a hold): whatever was on record, and whatever a reopening kept.
    A rule counts by its own severity, also where a value not read surely made the judge leave
    the outcome to a person: the person confirms what was read, and a rule it breaks still holds."""
    spec = load_form_spec(judged.document.form_id)
    rules = {rule.id: rule.severity for rule in spec.rules}
    against = [f for f in judged.findings if f.severity in NOT_FOR_A_PERSON or rules.get(str(f.rule)) in NOT_FOR_A_PERSON]
    if not against:
        return
    shown = "; ".join(f"{f.rule or '-'}: {f.message}" for f in against)
    clears = "".join(dict.fromkeys(f"To clear {f.rule}: {HOLD_CLEARS[str(f.rule)]}. " for f in against
                                   if str(f.rule) in HOLD_CLEARS))
    raise BadInputError(
        f"#{receipt.id} cannot be accepted: judged again now, it breaks {shown}.",
        hint=f"{clears}Correct a value read wrong (`psp-pipeline review correct {receipt.id} FIELD VALUE "
        f"--reason ...`: it is judged again), or reject it (`psp-pipeline review reject {receipt.id} --reason ...`).")


def accept(
    engine: Engine, received_file_id: int, *, actor: str, reason: str, context: ValidationContext, destination: Destination
) -> Decision:
    """A reviewer accepts a document that waits for a person: it becomes a record; a plan releases
    what was held on it.

    Refused (BadInputError, nothing changed): a held document (``_require_acceptable``); one that,
    judged again now, breaks an error rule or a hold (``_refuse_rules_now``: a person's accept goes
    past only what is a person's to decide); and when the program as it stands now forbids it
    (``_refuse_conflicts``): a PSP is never registered twice."""
    with transaction(engine) as session:
        program_lock(session)
        receipt, document = _load(session, received_file_id)
        _require_acceptable(document, receipt)
        result = _accepted_result(document, receipt, context)
        _refuse_rules_now(receipt, judged_with(session, receipt, document, {}, context))
        _refuse_conflicts(session, document, receipt, with_store_schedule(session, context))
        apply_decision(session, document, result, Decided(actor, DecisionAction.ACCEPTED, reason), destination)
        session.flush()
        releases = release_in(session, context, destination=destination)
    return Decision(received_file_id, Outcome.ACCEPTED, result, releases)


def checked_message_to_agency(message: str | None) -> str | None:
    """A reviewer's message to the agency as it is kept and sent: one line, not too long; None
    when there is none. BadInputError for one that a notice could not show as it was written."""
    if message is None or not message.strip():
        return None
    message = message.strip()
    if any(unicodedata.category(ch)[0] == "C" for ch in message) or any(ch in message for ch in "\u2028\u2029"):
        raise BadInputError("the message to the agency holds a line break or a control character.",
                            hint="Write it on one line.")
    if len(message) > MESSAGE_TO_AGENCY_LIMIT:
        raise BadInputError(f"the message to the agency is {len(message)} characters long.",
                            hint=f"Keep it to {MESSAGE_TO_AGENCY_LIMIT} characters; the agency can reply for more.")
    return message


def reject(
    engine: Engine,
    received_file_id: int,
    *,
    actor: str,
    reason: str,
    destination: Destination,
    message_to_agency: str | None = None,
) -> Decision:
    """A reviewer rejects a document that waits; a notice goes back with the findings and the
    reviewer's ``message_to_agency`` (the ``reason`` is the coordinator's own and is not sent)."""
    message = checked_message_to_agency(message_to_agency)
    with transaction(engine) as session:
        program_lock(session)
        receipt, document = _load(session, received_file_id)
        result = _rejected_result(document, receipt, message)
        decided = Decided(actor, DecisionAction.REJECTED, reason, {"message_to_agency": message} if message else {})
        apply_decision(session, document, result, decided, destination)
    return Decision(received_file_id, Outcome.REJECTED, result, [])


def _rejected_result(document: Document, receipt: ReceivedFileRow, message: str | None) -> ValidationResult:
    """What a rejection makes of a waiting document: its findings, after the reviewer's message to
    the agency (``message``, checked) as the problem to correct, or that the coordinator could not
    accept it. The reviewer's own reason is not in it: it never leaves the office."""
    _require(document, receipt, WAITING, DecisionAction.REJECTED)
    findings = (
        Finding(rule=None, severity=Severity.ERROR,
                message=f"{REVIEW_FINDING}{message}" if message else NO_MESSAGE_TO_AGENCY),
        *(Finding.model_validate(f) for f in document.findings),
    )
    return ValidationResult(document=document_from_row(document, receipt), outcome=Outcome.REJECTED,
                            findings=findings, values=document.values)


def preview_rejection(engine: Engine, received_file_id: int, message_to_agency: str | None = None) -> ValidationResult:
    """What ``reject`` would make of the document (and so the notice it writes), without writing
    anything: the review desk shows the notice before the reviewer confirms. The same refusals."""
    message = checked_message_to_agency(message_to_agency)
    with Session(engine) as session:
        receipt, document = _load(session, received_file_id)
        result = _rejected_result(document, receipt, message)
        session.rollback()  # a reading only (``_load`` locks the row on PostgreSQL)
        return result


def _widget_values(document: Document, field_key: str, value: str) -> dict[str, str | bool]:
    field = field_named(load_form_spec(document.form_id), field_key)
    if field.type is FieldType.MULTICHOICE:
        chosen = {c.casefold() for c in split_list(value, slash=False)}  # a choice's own name may hold a slash ("I/DD")
        unknown = chosen - {c.casefold() for c in field.choices}
        if unknown:
            raise BadInputError(f"{', '.join(sorted(unknown))} is not a choice of {field.label!r}.",
                                hint=f"Choose from {', '.join(field.choices)}, separated by commas.")
        return {widget: choice.casefold() in chosen for widget, choice in zip(field.widget_keys, field.choices, strict=True)}
    if field.type is FieldType.CHECKBOX:
        try:
            return {field.key: parse_checkbox(value)}
        except ValueError:
            raise BadInputError(f"{value!r} is not a box state.", hint="Give yes or no.") from None
    return {field.key: value}


def field_named(spec: FormSpec, name: str) -> FieldSpec:
    """The field of ``spec`` a reviewer names by its key or its printed label (``FormSpec.fields_named``:
    case and spacing aside, a part of a label when only one label holds it). BadInputError, one
    line, for a name that is no field's, or that several labels hold (the candidates listed)."""
    found = spec.fields_named(name)
    if len(found) == 1:
        return found[0]
    if not found:
        raise BadInputError(f"{spec.form_id.value} has no field {name!r}.",
                            hint="Name it by its printed label or its key, as `psp-pipeline review show ID` lists them.")
    raise BadInputError(f"{name!r} could be any of {len(found)} fields of {spec.form_id.value}: "
                        + "; ".join(f"{f.label} ({f.key})" for f in found) + ".",
                        hint="Give more of the label, or the key.")


def correct(
    engine: Engine,
    received_file_id: int,
    field_key: str,
    value: str,
    *,
    actor: str,
    reason: str,
    context: ValidationContext,
    destination: Destination,
) -> Decision:
    """A reviewer corrects one field as read; the document is judged again with it."""
    with transaction(engine) as session:
        program_lock(session)
        receipt, document = _load(session, received_file_id)
        result = _judged_with_correction(session, receipt, document, field_key, value, actor, context)
        decided = Decided(actor, DecisionAction.CORRECTED, reason,
                          {"field": field_named(load_form_spec(document.form_id), field_key).key})
        apply_decision(session, document, result, decided, destination)
        session.flush()
        releases = release_in(session, context, destination=destination)
    return Decision(received_file_id, result.outcome, result, releases)


def _judged_with_correction(session: Session, receipt: ReceivedFileRow, document: Document, field_key: str,
                            value: str, actor: str, context: ValidationContext) -> ValidationResult:
    """The judgement the document gets with ``field_key`` read as ``value``, against the program as
    it stands in ``session``; nothing is written."""
    _require(document, receipt, CORRECTABLE, DecisionAction.CORRECTED)
    if document.form_id is None:
        raise BadInputError(f"#{receipt.id} is not one of the two forms; there is no field to correct.")
    readings = {widget: FieldValue(key=widget, value=widget_value, method=ReadMethod.REVIEWER,
                                   location=f"corrected by {actor}", confidence=1.0)
                for widget, widget_value in _widget_values(document, field_key, value).items()}
    return judged_with(session, receipt, document, readings, context)


def judged_with(session: Session, receipt: ReceivedFileRow, document: Document, readings: dict[str, FieldValue],
                context: ValidationContext, *, form: FormSpec | None = None) -> ValidationResult:
    """The judgement the stored document gets with ``readings`` (by widget key) in place of what
    was read, against the program as it stands in ``session``; nothing is written. With ``form``,
    it is judged as that form on ``readings`` alone: a reviewer typed in every value
    (``pipeline.load.entry``)."""
    extracted = document_from_row(document, receipt)
    fields = dict(extracted.fields)
    if form is not None:
        extracted = extracted.model_copy(update={"form_id": form.form_id.value, "form_version": form.version,
                                                 "problem": None, "problem_detail": None})
        fields = {}
    judged = extracted.model_copy(update={"fields": {**fields, **readings}})
    return validate_document(judged, with_store_schedule(session, context), read_snapshot(session))


def preview_correction(engine: Engine, received_file_id: int, field_key: str, value: str, *, actor: str,
                       context: ValidationContext) -> ValidationResult:
    """The outcome and findings ``correct`` would give the document, judged exactly as it judges,
    without writing anything: the review desk shows it before the reviewer saves. The same
    refusals as ``correct`` (BadInputError)."""
    with Session(engine) as session:
        receipt, document = _load(session, received_file_id)
        result = _judged_with_correction(session, receipt, document, field_key, value, actor, context)
        session.rollback()  # a reading only (``_load`` locks the row on PostgreSQL)
        return result
