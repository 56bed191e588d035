"""Deleting a person's records on request: every registration packet of a PSP (found by the PSP's
email), with its originals, notices, registration, certification record and decisions, and
the run reports that show it. What was deleted is recorded (counts and who, when, why), never
what the records said.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import delete, or_, select, update
from sqlalchemy.engine import Engine

from pipeline.errors import BadInputError
from pipeline.load.store import (
    CertificationRow,
    DecisionRow,
    Document,
    NoticeRow,
    ReceivedFileRow,
    RegistrationRecord,
    program_lock,
    transaction,
    utcnow,
)


@dataclass
class Forgotten:
    documents: int = 0
    registrations: int = 0
    files: list[Path] = field(default_factory=list)
    reports: list[Path] = field(default_factory=list)


def _matches(values: dict, email: str) -> bool:
    found = values.get("psp_email")
    return isinstance(found, str) and found.strip().casefold() == email


def forget_psp(engine: Engine, reports_folder: Path, email: str, *, actor: str, reason: str) -> Forgotten:
    """Delete everything held about the PSP with this email. Raises BadInputError when nothing matches."""
    wanted = email.strip().casefold()
    result = Forgotten()
    with transaction(engine) as session:
        program_lock(session)
        documents = [d for d in session.scalars(select(Document).where(Document.form_id == "PSP-REG")) if _matches(d.values, wanted)]
        if not documents:
            raise BadInputError(f"no registration packet names the PSP email {email!r}.", hint="Check the spelling.")
        document_ids = [d.id for d in documents]
        hashes = [d.sha256 for d in documents]
        receipts = session.scalars(select(ReceivedFileRow).where(ReceivedFileRow.document_id.in_(document_ids))).all()
        receipt_ids = [r.id for r in receipts]
        notices = session.scalars(select(NoticeRow).where(NoticeRow.received_file_id.in_(receipt_ids))).all()
        registrations = session.scalars(
            select(RegistrationRecord).where(RegistrationRecord.document_id.in_(document_ids))
        ).all()
        registration_ids = [r.id for r in registrations]

        result.files = [Path(p) for r in receipts for p in {r.stored_path, r.inbox_path}]
        result.files += [Path(n.path) for n in notices]
        result.documents, result.registrations = len(documents), len(registrations)

        session.execute(delete(CertificationRow).where(CertificationRow.registration_id.in_(registration_ids)))
        session.execute(
            delete(DecisionRow).where(
                or_(DecisionRow.document_id.in_(document_ids), DecisionRow.registration_id.in_(registration_ids))
            )
        )
        session.execute(delete(RegistrationRecord).where(RegistrationRecord.id.in_(registration_ids)))
        session.execute(delete(NoticeRow).where(NoticeRow.received_file_id.in_(receipt_ids)))
        session.execute(delete(ReceivedFileRow).where(ReceivedFileRow.id.in_(receipt_ids)))
        session.execute(update(Document).where(Document.superseded_by_id.in_(document_ids)).values(superseded_by_id=None))
        session.execute(delete(Document).where(Document.id.in_(document_ids)))

        result.reports = [
            report
            for report in sorted(reports_folder.glob("*.*"))
            if report.suffix in (".html", ".json") and any(h in report.read_text("utf-8", errors="ignore") for h in hashes)
        ]
        session.add(
            DecisionRow(
                at=utcnow(), actor=actor, action="forgotten", reason=reason,
                detail={"documents": result.documents, "registrations": result.registrations,
                        "files": len(result.files), "reports": [r.name for r in result.reports]},
            )
        )
    # The store no longer knows the person; now the files go too.
    for path in [*result.files, *result.reports]:
        path.unlink(missing_ok=True)
    return result
