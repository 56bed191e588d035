"""The data that flows through the pipeline, stage by stage:

ReceivedFile --extract--> ExtractedDocument --validate--> ValidationResult --load--> stored record + routed file

Every stage takes the previous stage's model and adds to it; statuses are enums, never free strings.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from schemas.spec import (
    FormId as FormId,  # the forms' ids are the specification's, named here with every status
)
from schemas.spec import Severity


class Outcome(StrEnum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    HELD = "held"
    NEEDS_REVIEW = "needs_review"
    DUPLICATE = "duplicate"


class RunStatus(StrEnum):
    """Where a run stands: a run never finished stays running (``store.unfinished_runs``)."""

    RUNNING = "running"
    COMPLETED = "completed"
    INTERRUPTED = "interrupted"


class PlanStatus(StrEnum):
    """An accepted plan is the agency's plan on file until a later accepted one supersedes it."""

    ACCEPTED = "accepted"
    SUPERSEDED = "superseded"


class RegistrationStatus(StrEnum):
    """A registered PSP holds a seat (REG-R11, REG-R12); a withdrawn one gave it back."""

    REGISTERED = "registered"
    WITHDRAWN = "withdrawn"


class DecisionAction(StrEnum):
    """What a decision did, as the store's ``decisions`` rows record it."""

    ACCEPTED = "accepted"  # a reviewer accepted a waiting document
    REJECTED = "rejected"  # a reviewer rejected one
    CORRECTED = "corrected"  # a reviewer corrected a value; the document was judged again
    RELEASED = "released"  # a held document decided once what held it changed
    REJUDGED = "re-judged"  # a held document judged again and still held
    SUPERSEDED = "superseded"  # a valid resubmission took a waiting document's place
    PROGRESS = "progress"  # a PSP's certification moved on a step
    WITHDRAWN = "withdrawn"  # a PSP withdrawn, their seat given back
    FORGOTTEN = "forgotten"  # a PSP's records deleted on request
    REOPENED = "reopened"  # a person undid a decision: the document waits for a person again
    ENTERED = "entered"  # a reviewer typed in the values of a document the machine could not read
    MOVED = "moved"  # a person moved a wait-listed PSP to another session


class InputKind(StrEnum):
    """What kind of file a document is; each kind has one extractor (``pipeline.extract``)."""

    FILLABLE_PDF = "fillable_pdf"
    WORD_FORM = "word_form"
    # Renditions read by their printed labels (pipeline.extract.labels):
    FLAT_PDF = "flat_pdf"  # page text only: printed, saved as PDF, or the fillable form flattened
    SCANNED_PDF = "scanned_pdf"  # pages that are pictures, no text layer: read by OCR (pipeline.extract.ocr)
    IMAGE = "image"  # a fax (TIFF) or a phone photo (JPEG, PNG) of the pages: read by OCR
    WORD_LEGACY_FORM = "word_legacy_form"  # Word's legacy form fields (FORMTEXT, FORMCHECKBOX, FORMDROPDOWN)
    WORD_DOCUMENT = "word_document"  # Word with none of the form's controls: typed over, re-saved, retyped
    # Other editors' files, converted to Word by headless LibreOffice, then read as Word (the original kept):
    WORD_97 = "word_97"  # Word 97-2003 (.doc)
    RICH_TEXT = "rich_text"  # Rich Text Format (.rtf)
    OPEN_DOCUMENT = "open_document"  # OpenDocument text (.odt), LibreOffice's and others'
    # Emails are unpacked at intake; one reaches extraction only when it carries no form.
    EMAIL = "email"  # a saved email (.eml, RFC 5322)
    OUTLOOK_MSG = "outlook_msg"  # Outlook's saved message (.msg)


class ReadMethod(StrEnum):
    """How a value was read; decides how far it can be trusted."""

    ACROFORM = "acroform"
    CONTENT_CONTROL = "content_control"
    LEGACY_FORM_FIELD = "legacy_form_field"  # a Word legacy form field, tied to its field by its printed label
    LABEL = "label"  # the text beside or under the field's printed label
    OCR = "ocr"  # the same, in the words text recognition (OCR) read off a picture of the page
    REVIEWER = "reviewer"  # typed in by a reviewer with `review correct`


class ReceivedFile(BaseModel):
    """A file as it arrived in the inbox. Worked out once, at intake."""

    model_config = ConfigDict(frozen=True)

    path: Path
    original_name: str
    sha256: str
    size: int
    received_at: datetime = Field(description=(
        "When it arrived (UTC): an email's Date header within its window (for an email the office "
        "forwarded, the agency's own), else the file's mtime, never later than when the program first "
        "saw the file."
    ))
    sender: str | None = None
    received_note: str | None = Field(
        default=None, description="Why the received time is not the sender's own date (a Date header out of bounds)."
    )
    kind: InputKind | None = Field(default=None, description="What intake found it to be, when it read it (an email).")
    unread_reason: str | None = Field(
        default=None,
        description="Why intake found no form to read in it (an email without one, or one that could not be read): "
        "extraction does not open it again, and it goes to a person with this reason.",
    )


# Below this confidence a value is not sure enough to decide on: the document goes to a person
# (``pipeline.validate.reading``), and the report flags the value to check against the original.
# Clean label matches are 0.9 and above; a label cut short or reworded reads at 0.7.
LOW_CONFIDENCE = 0.8


class FieldArea(BaseModel):
    """Where a value stands on a page of the original, as the page is shown (its crop box, turned
    as its /Rotate says): the page (from 1) and a rectangle in fractions of the page's width and
    height from its top-left corner, so that it is drawn over the page's picture at any scale."""

    model_config = ConfigDict(frozen=True)

    page: int = Field(ge=1)
    left: float = Field(ge=0.0, le=1.0)
    top: float = Field(ge=0.0, le=1.0)
    width: float = Field(gt=0.0, le=1.0)
    height: float = Field(gt=0.0, le=1.0)

    @classmethod
    def of_box(cls, page: int, box: tuple[float, float, float, float], size: tuple[float, float]) -> FieldArea | None:
        """The area of ``box`` (x0, top, x1, bottom, from the page's top-left corner) on a page of
        ``size`` (width, height), in the same unit; clipped to the page, None when nothing of it is on it."""
        width, height = size
        if width <= 0 or height <= 0:
            return None
        x0, x1 = max(box[0] / width, 0.0), min(box[2] / width, 1.0)
        y0, y1 = max(box[1] / height, 0.0), min(box[3] / height, 1.0)
        if x1 <= x0 or y1 <= y0:
            return None
        return cls(page=page, left=x0, top=y0, width=x1 - x0, height=y1 - y0)


class FieldValue(BaseModel):
    """One widget's value as read, with where it was read and how sure we are of it."""

    model_config = ConfigDict(frozen=True)

    key: str
    value: str | bool | None
    method: ReadMethod
    location: str = Field(description="Where in the document: 'page 2', 'table 3 row 4'...")
    confidence: float = Field(ge=0.0, le=1.0)
    note: str | None = Field(
        default=None, description="How the value was found when not by the form's own field, e.g. a loosely matched label."
    )
    conflicts: tuple[FieldValue, ...] = Field(
        default=(), description="Other readings of the same field that disagree with this one: a person decides."
    )
    area: FieldArea | None = Field(
        default=None, description="Where on which page it was read, when the reader knows (a PDF's field or words, OCR's boxes)."
    )

    @property
    def is_empty(self) -> bool:
        """Whether nothing was filled in: no value, empty text, or a box left unticked."""
        return self.value is None or self.value == "" or self.value is False


class ExtractionProblem(StrEnum):
    """Why a document could not be read as one of the forms; each sends it to a person."""

    UNREADABLE = "unreadable"
    TOO_LARGE = "too_large"
    UNSUPPORTED_KIND = "unsupported_kind"
    UNKNOWN_FORM = "unknown_form"
    UNKNOWN_VERSION = "unknown_version"


class ExtractedDocument(BaseModel):
    """What extraction read from one received file."""

    model_config = ConfigDict(frozen=True)

    received: ReceivedFile
    kind: InputKind | None = None
    form_id: str | None = None
    form_version: str | None = None
    fields: dict[str, FieldValue] = Field(default_factory=dict)
    problem: ExtractionProblem | None = None
    problem_detail: str | None = Field(default=None, description="Plain words for the reviewer; never a field value.")
    pages: int | None = None


class Finding(BaseModel):
    """One thing wrong with a document, citing the rule it breaks."""

    model_config = ConfigDict(frozen=True)

    rule: str | None = Field(description="Rule id of the specification, e.g. 'REG-R05'; None for reading problems.")
    field: str | None = Field(default=None, description="The field's key, when the finding is about one field.")
    label: str | None = Field(default=None, description="The field's printed label, as the submitter sees it.")
    severity: Severity
    message: str = Field(description="What is wrong and what to do, in the submitter's words.")


class ValidationResult(BaseModel):
    """A document judged: its outcome, the findings that decided it, and the values as normalised."""

    model_config = ConfigDict(frozen=True)

    document: ExtractedDocument
    outcome: Outcome
    findings: tuple[Finding, ...] = ()
    values: dict[str, Any] = Field(
        default_factory=dict, description="Field key -> normalised value, JSON-ready; raw text where it did not parse."
    )
    record: BaseModel | None = Field(default=None, description="The typed record, when every field parsed.")

    @property
    def form_id(self) -> str | None:
        """The form the document was recognised as; None when it was not."""
        return self.document.form_id
