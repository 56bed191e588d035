"""What the reports carry of a run: each document as the report shows it (``DocumentReport``),
the notice written for it (``Notice``), and the run as a whole (``RunSummary``).

The models are the run report's JSON twin, typed: ``model_dump(mode="json")`` writes a document
as the twin holds it and the page's script reads it, and ``DocumentReport.model_validate`` reads
it back. Statuses are the enums of ``pipeline.model``; times are written as ``isoformat`` does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, model_validator

from pipeline.model import FieldArea, FormId, InputKind, Outcome
from schemas.spec import Severity

# As ``datetime.isoformat`` writes it ("+00:00", not pydantic's "Z"): the twins written before
# the models say it so, and a report written again from its twin must say it as it did.
IsoDatetime = Annotated[datetime, PlainSerializer(lambda at: at.isoformat(), return_type=str, when_used="json")]


class ReportFinding(BaseModel):
    """A finding as the report shows it: the rule's words, and the value it is about as the
    reviewer sees it in the form (as read, where, how surely), so they see what the rule saw."""

    model_config = ConfigDict(frozen=True)

    rule: str | None
    field: str | None = None
    label: str | None = None
    severity: Severity
    message: str
    read: str | None = None
    where: str | None = None
    confidence: float | None = None


class ReportField(BaseModel):
    """One field of the form: its value as normalised (``value``, ``shown``) and as read
    (``read``), where and how it was read (``source``, ``where``), the lowest confidence of its
    reads, and the findings about it."""

    model_config = ConfigDict(frozen=True)

    key: str
    label: str
    value: Any
    shown: str
    read: str
    source: str
    where: str
    confidence: float | None
    findings: tuple[ReportFinding, ...] = ()
    areas: tuple[FieldArea, ...] = Field(default=(), description="Where its reads stand on the original's pages, where known.")


class ReportSection(BaseModel):
    """A section of the form with its fields, in form order."""

    model_config = ConfigDict(frozen=True)

    title: str
    fields: tuple[ReportField, ...]


class Notice(BaseModel):
    """The notice written to the agency for a rejection or a hold: which received file, for which
    outcome, where its file is and to whom it goes (None: nobody to send it to, it goes by hand).

    In a report it is written as where and to whom only (``{"path", "to"}``): the file and the
    outcome are the document's own (``DocumentReport`` fills them in when it is read back)."""

    model_config = ConfigDict(frozen=True)

    received_file_id: int = Field(exclude=True)
    outcome: Outcome = Field(exclude=True)
    path: Path
    to: str | None


class DocumentReport(BaseModel):
    """What the report shows of one received file, in the order its JSON twin holds it."""

    model_config = ConfigDict(frozen=True)

    id: int
    file: str
    sha256: str
    received_at: IsoDatetime
    received_local: str  # in the office's time zone, as the page shows it
    sender: str | None
    kind: InputKind | None
    form_id: FormId | None
    form_version: str | None
    form_title: str
    outcome: Outcome
    why: str  # the outcome and why, in one line
    duplicate_of: str | None  # the sha256 of the file received before, for a duplicate
    findings: tuple[ReportFinding, ...]
    lowest_confidence: float | None
    sections: tuple[ReportSection, ...]
    stored_path: Path
    notice: Notice | None = None

    @model_validator(mode="before")
    @classmethod
    def _notice_of_this_document(cls, data: Any) -> Any:
        """A notice read back from a report (where and to whom) is this document's, for its outcome."""
        if isinstance(data, dict) and isinstance(data.get("notice"), dict) and "received_file_id" not in data["notice"]:
            data = {**data, "notice": {**data["notice"], "received_file_id": data.get("id"), "outcome": data.get("outcome")}}
        return data


@dataclass(frozen=True)
class RunSummary:
    """A finished run: its counts, its documents and where its report is."""

    run_id: int
    started_at: datetime
    finished_at: datetime
    counts: dict[str, int]
    documents: Sequence[DocumentReport]  # read back from the report's temporary file as they are gone through
    report_html: Path
    report_json: Path
    waiting: list[dict[str, Any]]
    released: list[dict[str, Any]] = field(default_factory=list)

    @property
    def total(self) -> int:
        """How many files the run received (an email's attachments each count)."""
        return len(self.documents)
