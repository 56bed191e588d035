"""The judge: a batch of extracted documents and the program's state, as data, in; judgements out.

It decides everything a batch changes in the program, and nothing else touches the store while it
does (``pipeline.load.program`` reads the state, calls it inside its one locked transaction and
persists what it returns):

* duplicates: the same bytes stored before, or earlier in the batch;
* the single-document and cross-document rules (``validate_document``), each document against the
  program as it stands after the documents before it;
* resubmissions: which forms not accepted a later form about the same subject replaces
  (``pipeline.validate.program.supersedes``);
* releases: held forms judged again once the batch is in, oldest first (first come, first served
  for wait-listed seats), since a plan or a freed seat of this batch may release them.

Nothing here opens a file or a database, so every rule and release path is tested as data
(``tests/validate/test_judge.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pipeline.model import DecisionAction, ExtractedDocument, Outcome, ValidationResult
from pipeline.validate.printed_text import PrintedTextMemory, Reading
from pipeline.validate.program import ProgramSnapshot, subject_key, supersedes
from pipeline.validate.rules import ValidationContext, validate_document

# Outcomes a later form may replace: whatever was not accepted and still counts (which of them a
# given later form does replace: ``supersedes``).
SUPERSEDABLE = frozenset({Outcome.REJECTED, Outcome.HELD, Outcome.NEEDS_REVIEW})


@dataclass(frozen=True)
class FormRef:
    """A form a judgement names: one in the store (by its document id), or the n-th of the batch."""

    stored_id: int | None = None
    batch_index: int | None = None

    @classmethod
    def stored(cls, document_id: int) -> FormRef:
        """A form the store holds."""
        return cls(stored_id=document_id)

    @classmethod
    def of_batch(cls, index: int) -> FormRef:
        """The ``index``-th document of the batch being judged (it has no id until stored)."""
        return cls(batch_index=index)

    @property
    def order(self) -> tuple[int, int]:
        """Store order: stored forms by id, then the batch's in its order (they are stored after)."""
        return (0, self.stored_id) if self.stored_id is not None else (1, self.batch_index or 0)


@dataclass(frozen=True)
class StandingForm:
    """A form that still counts and was not accepted (rejected, held, waiting for a person), and
    was not replaced: a later form about the same subject may replace it."""

    ref: FormRef
    subject_key: str
    form_id: str | None
    outcome: Outcome
    findings: tuple[Mapping[str, Any], ...]  # as the store keeps them (JSON)


@dataclass(frozen=True)
class HeldForm:
    """A held form, to judge again when the program changes: the document as read, and the
    findings it was held on (to tell a release from the same hold)."""

    ref: FormRef
    document: ExtractedDocument
    findings: tuple[Mapping[str, Any], ...]
    subject_key: str | None  # as stored: who the form is about when it came


@dataclass(frozen=True)
class ProgramState:
    """Everything the judge knows of the store, read in the transaction that stores its judgements.

    ``standing`` and ``held`` are oldest first (store order).
    """

    snapshot: ProgramSnapshot = field(default_factory=ProgramSnapshot)
    known: Mapping[str, int] = field(default_factory=dict)  # sha256 -> the document id of contents stored before
    standing: tuple[StandingForm, ...] = ()
    held: tuple[HeldForm, ...] = ()
    # the batch's agencies' earlier documents: what their versions of the forms print at a field
    printed_text: PrintedTextMemory = field(default_factory=PrintedTextMemory)


@dataclass(frozen=True)
class JudgedFile:
    """One received file of the batch: its result (``Outcome.DUPLICATE`` for contents seen
    before), the form it duplicates, who it is about, and the earlier forms it replaces."""

    result: ValidationResult
    subject_key: str | None = None
    duplicate_of: FormRef | None = None
    replaces: tuple[FormRef, ...] = ()

    @property
    def outcome(self) -> Outcome:
        """The file's outcome as judged with the batch (a release may change it after)."""
        return self.result.outcome


@dataclass(frozen=True)
class Rejudged:
    """A held form judged again with a new result: released (accepted, or no longer held) or held
    on another condition; ``replaces`` are the earlier forms its new result replaces."""

    ref: FormRef
    result: ValidationResult
    replaces: tuple[FormRef, ...] = ()

    @property
    def action(self) -> DecisionAction:
        """How the decision is recorded: a release, or judged again and still held."""
        return DecisionAction.REJUDGED if self.result.outcome is Outcome.HELD else DecisionAction.RELEASED


@dataclass(frozen=True)
class Judgement:
    """What a batch changes: each file in the batch's order, then the releases it brings."""

    files: tuple[JudgedFile, ...]
    releases: tuple[Rejudged, ...]


def _json_findings(result: ValidationResult) -> tuple[Mapping[str, Any], ...]:
    return tuple(finding.model_dump(mode="json") for finding in result.findings)


class _Standing:
    """The standing forms by subject and form, as the judgement goes on: a form that replaces
    others stands in their place; one accepted, or released into acceptance, stands no more."""

    def __init__(self, forms: Iterable[StandingForm]) -> None:
        self._by_subject: dict[tuple[str, str | None], list[StandingForm]] = {}
        self.replaced: set[FormRef] = set()  # the forms replaced so far in this judgement
        for form in forms:
            self._by_subject.setdefault((form.subject_key, form.form_id), []).append(form)

    def replaced_by(self, form: StandingForm, *, earlier_only: bool) -> list[StandingForm]:
        """The standing forms about ``form``'s subject that it replaces; they stand no more, and
        ``form`` stands from now on if its outcome is one a later form may replace.

        ``earlier_only``: a form judged anew (a release) replaces only forms that came before it."""
        key = (form.subject_key, form.form_id)
        others = [old for old in self._by_subject.get(key, []) if old.ref != form.ref]
        if earlier_only:
            others = [old for old in others if old.ref.order < form.ref.order]
        replaced = [
            old for old in others if supersedes(form.outcome, form.findings, old.outcome, old.findings)
        ]
        self.replaced.update(old.ref for old in replaced)
        gone = {old.ref for old in replaced} | {form.ref}
        kept = [old for old in self._by_subject.get(key, []) if old.ref not in gone]
        if form.outcome in SUPERSEDABLE:
            kept.append(form)
            kept.sort(key=lambda standing_form: standing_form.ref.order)
        self._by_subject[key] = kept
        return replaced


def judge(
    documents: Sequence[ExtractedDocument], state: ProgramState, context: ValidationContext
) -> Judgement:
    """Judge a batch in arrival order against the program's ``state``, then judge held forms again.

    Each document is judged against the snapshot as it stands after the documents before it (a
    plan earlier in the batch counts for a packet after it); contents stored before, or earlier in
    the batch, are a duplicate of that form and judged no further.
    """
    snapshot = state.snapshot
    standing = _Standing(state.standing)
    known: dict[str, FormRef] = {sha: FormRef.stored(document_id) for sha, document_id in state.known.items()}
    files: list[JudgedFile] = []
    held = list(state.held)
    printed_text = state.printed_text.copy()
    for index, document in enumerate(documents):
        previous = known.get(document.received.sha256)
        if previous is not None:
            duplicate = ValidationResult(document=document, outcome=Outcome.DUPLICATE)
            files.append(JudgedFile(duplicate, duplicate_of=previous))
            continue
        ref = FormRef.of_batch(index)
        known[document.received.sha256] = ref
        # Text the agency's version prints at a field is not an answer (``validate.printed_text``):
        # taken out before the rules judge, and kept so in the stored reading.
        document, agency = printed_text.applied(document, context.reference)
        result = validate_document(document, context, snapshot)
        snapshot = snapshot.after(result)
        subject = subject_key(document.form_id, result.values)
        printed_text.add(agency, document.form_id, Reading.of(f"batch:{index}", subject, document.fields))
        replaced: list[StandingForm] = []
        if subject is not None:
            form = StandingForm(ref, subject, document.form_id, result.outcome, _json_findings(result))
            replaced = standing.replaced_by(form, earlier_only=False)
        files.append(JudgedFile(result, subject, replaces=tuple(old.ref for old in replaced)))
        if result.outcome is Outcome.HELD:
            held.append(HeldForm(ref, document, _json_findings(result), subject))
    # Held forms replaced by this batch wait no more; the others are judged again, oldest first.
    waiting = [form for form in held if form.ref not in standing.replaced]
    releases = _rejudge(waiting, snapshot, standing, context)
    return Judgement(files=tuple(files), releases=tuple(releases))


def rejudge_held(state: ProgramState, context: ValidationContext) -> list[Rejudged]:
    """Judge every held form again against the program as it stands (a seat freed, a schedule
    imported, a plan accepted by a person): the releases, oldest first."""
    return list(judge((), state, context).releases)


def _rejudge(
    held: Iterable[HeldForm], snapshot: ProgramSnapshot, standing: _Standing, context: ValidationContext
) -> list[Rejudged]:
    """Each held form judged again, oldest first, the snapshot advanced by each (a form released
    into a seat takes it from the ones after it). A form held on the very same findings is left be."""
    releases: list[Rejudged] = []
    for form in held:
        result = validate_document(form.document, context, snapshot)
        snapshot = snapshot.after(result)
        findings = _json_findings(result)
        if result.outcome is Outcome.HELD and list(findings) == list(form.findings):
            continue
        replaced: list[StandingForm] = []
        if form.subject_key is not None:
            judged = StandingForm(form.ref, form.subject_key, form.document.form_id, result.outcome, findings)
            replaced = standing.replaced_by(judged, earlier_only=True)
        releases.append(Rejudged(form.ref, result, tuple(old.ref for old in replaced)))
    return releases


def replaced_by_decision(
    ref: FormRef, subject: str | None, form_id: str | None, result: ValidationResult, standing: Iterable[StandingForm]
) -> tuple[FormRef, ...]:
    """The earlier standing forms that a form judged anew by a person (accepted, rejected,
    corrected) replaces: a packet a reviewer accepts replaces the one held before it. ``subject``
    is the form's as stored (who it was about when it came)."""
    if subject is None:
        return ()
    judged = StandingForm(ref, subject, form_id, result.outcome, _json_findings(result))
    return tuple(old.ref for old in _Standing(standing).replaced_by(judged, earlier_only=True))
