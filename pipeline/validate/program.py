"""Cross-document rules (ORP-R10, REG-R10, REG-R11, REG-R12), judged against a snapshot of the
program's state that the store reads and hands in as data: which agencies have an accepted plan,
how many seats each training session has taken, which PSPs are registered.

Validation never opens the store; within a run the snapshot is advanced document by document
(``ProgramSnapshot.after``), so a plan accepted earlier in the same run counts for a packet
received after it. A person's accept is judged against the snapshot of its moment as well
(``accept_conflicts``): the state may have changed since the form was judged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from pipeline.model import Finding, Outcome, ValidationResult
from schemas.reference import ReferenceData
from schemas.spec import FormId, FormSpec, Severity


def psp_key(first_name: str, last_name: str, email: str) -> str:
    """The same PSP: same first name, last name and email, case insensitive (REG-R12)."""
    return "|".join(part.strip().casefold() for part in (first_name, last_name, email))


def subject_key(form_id: str | None, values: Mapping[str, Any]) -> str | None:
    """Who a form is about: the agency (plan) or the PSP (packet); None when not readable.

    A later form with the same subject may supersede an earlier one that was not accepted
    (``supersedes``).
    """
    if form_id == FormId.READINESS_PLAN and isinstance(values.get("cmhsp_name"), str):
        return f"agency:{values['cmhsp_name']}"
    if form_id == FormId.REGISTRATION_PACKET:
        parts = [values.get(k) for k in ("psp_first_name", "psp_last_name", "psp_email")]
        if all(isinstance(p, str) and p for p in parts):
            return f"psp:{psp_key(*parts)}"  # type: ignore[arg-type]
    return None


def _hold_rules(findings: Iterable[Mapping[str, Any]]) -> frozenset[str]:
    return frozenset(str(f.get("rule")) for f in findings if f.get("severity") == Severity.HOLD)


def _valid_but_waiting(findings: Iterable[Mapping[str, Any]]) -> bool:
    """Held and for nothing else: every finding is a hold (no error, nothing for a person)."""
    return all(f.get("severity") == Severity.HOLD for f in findings)


def supersedes(
    later_outcome: str,
    later_findings: Iterable[Mapping[str, Any]],
    earlier_outcome: str,
    earlier_findings: Iterable[Mapping[str, Any]],
) -> bool:
    """Whether a later form about the same subject (``subject_key``) replaces an earlier one that
    was not accepted, judged from their outcomes and findings (as the store keeps them):

    * a rejected form is replaced by any later one: that is the correction it asked for;
    * a held form is valid and only waits (for its agency's plan, a seat): only a later form that
      is valid itself replaces it, one accepted (by the rules or by a person), or one held for
      nothing but the same reasons. A broken or doubtful resubmission does not cancel it: it stays
      held, and is released when its condition clears;
    * a form waiting for review (a plan with a credential to confirm, say) is replaced by a later
      one that is accepted or waits itself (held, or for review: the person decides that one), not
      by a rejected one, which would leave nothing for the person to accept.
    """
    later_findings, earlier_findings = list(later_findings), list(earlier_findings)
    if earlier_outcome == Outcome.REJECTED:
        return True
    if later_outcome == Outcome.ACCEPTED:
        return True
    if earlier_outcome == Outcome.HELD:
        return (
            later_outcome == Outcome.HELD
            and _valid_but_waiting(later_findings)
            and _hold_rules(later_findings) <= _hold_rules(earlier_findings)
        )
    if earlier_outcome == Outcome.NEEDS_REVIEW:
        return later_outcome in (Outcome.HELD, Outcome.NEEDS_REVIEW)
    return False


@dataclass(frozen=True)
class ProgramSnapshot:
    """What cross-document rules need to know of the program, as plain data."""

    agencies_with_accepted_plan: frozenset[str] = frozenset()
    seats_taken: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    registered_psps: frozenset[str] = frozenset()

    def after(self, result: ValidationResult) -> ProgramSnapshot:
        """The snapshot once ``result`` is stored: an accepted plan or registration counts from now on."""
        if result.outcome is not Outcome.ACCEPTED or result.record is None:
            return self
        values = result.values
        if result.form_id == FormId.READINESS_PLAN:
            return replace(self, agencies_with_accepted_plan=self.agencies_with_accepted_plan | {values["cmhsp_name"]})
        if result.form_id == FormId.REGISTRATION_PACKET:
            seats = dict(self.seats_taken)
            seats[values["training_session"]] = seats.get(values["training_session"], 0) + 1
            key = psp_key(values["psp_first_name"], values["psp_last_name"], values["psp_email"])
            return replace(self, seats_taken=MappingProxyType(seats), registered_psps=self.registered_psps | {key})
        return self


def _finding(spec: FormSpec, rule_id: str, key: str | None, message: str) -> Finding:
    return Finding(
        rule=rule_id,
        field=key,
        label=spec.field(key).label if key else None,
        severity=spec.rule(rule_id).severity,
        message=message,
    )


def program_findings(
    spec: FormSpec, parsed: Mapping[str, Any], snapshot: ProgramSnapshot, reference: ReferenceData
) -> list[Finding]:
    """Findings of the cross-document rules, for values that parsed (a value that did not parse
    has its own finding already; judging it again here would only repeat it)."""
    findings: list[Finding] = []
    agency = parsed.get("cmhsp_name")
    if spec.form_id == FormId.READINESS_PLAN:
        kind = parsed.get("submission_type")
        if agency and kind:
            has_plan = agency in snapshot.agencies_with_accepted_plan
            if kind.startswith("Update") and not has_plan:
                findings.append(
                    _finding(spec, "ORP-R10", "submission_type",
                             "this plan is marked as an update, but the agency has no accepted plan on file; "
                             "the coordinator will check whether it should be an initial plan")
                )
            elif kind == "Initial plan" and has_plan:
                findings.append(
                    _finding(spec, "ORP-R10", "submission_type",
                             "the agency already has an accepted plan on file; this initial plan may be a duplicate "
                             "(send an update when the model or hiring practices change)")
                )
        return findings

    if spec.form_id == FormId.REGISTRATION_PACKET:
        if agency and agency not in snapshot.agencies_with_accepted_plan:
            findings.append(
                _finding(spec, "REG-R10", "cmhsp_name",
                         "the agency has no accepted Organizational Readiness Plan yet; the registration waits "
                         "and is released by itself when the plan is accepted")
            )
        session_id = parsed.get("training_session")
        session = reference.session(session_id) if isinstance(session_id, str) else None
        if session is not None and snapshot.seats_taken.get(session.session_id, 0) >= session.capacity:
            findings.append(
                _finding(spec, "REG-R11", "training_session",
                         f"session {session.session_id} is full ({session.capacity} seats); the PSP is on its "
                         "wait list and moves up when a seat frees")
            )
        names = [parsed.get(k) for k in ("psp_first_name", "psp_last_name", "psp_email")]
        if all(isinstance(n, str) and n for n in names) and psp_key(*names) in snapshot.registered_psps:  # type: ignore[arg-type]
            findings.append(
                _finding(spec, "REG-R12", "psp_email",
                         "a PSP with this name and email is already registered; the coordinator will check "
                         "whether this is a duplicate or a resubmission")
            )
    return findings


# The rule whose record a form would make a second time: one PSP, one registration, one seat.
ALREADY_RECORDED = "REG-R12"


def accept_conflicts(
    spec: FormSpec,
    values: Mapping[str, Any],
    findings_on_record: Iterable[Mapping[str, Any]],
    snapshot: ProgramSnapshot,
    reference: ReferenceData,
) -> list[Finding]:
    """The cross-document findings that forbid a person to accept a waiting form now, judged
    against the program's state at that moment (``snapshot``), not as it was when the form was
    judged: a form waits while others about the same subject go on (a held packet for the same
    PSP released into a registration, say).

    * REG-R12, the PSP is registered already: accepting would register them a second time and
      take a second seat, whether the finding was on record or came since. The registration on
      record is withdrawn first when this form is to replace it;
    * any other finding for a person (ORP-R10: the agency's plan on file) that was not on record:
      the person would decide without having seen it.

    Holds (REG-R10, REG-R11) and errors are not among them: the accept refuses any, judging the
    whole form again (``pipeline.load.review.accept``); no person accepts a form past them.
    """
    on_record = {(f.get("rule"), f.get("message")) for f in findings_on_record}
    return [
        finding
        for finding in program_findings(spec, values, snapshot, reference)
        if finding.rule == ALREADY_RECORDED
        or (finding.severity == Severity.REVIEW and (finding.rule, finding.message) not in on_record)
    ]
