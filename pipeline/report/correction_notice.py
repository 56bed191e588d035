"""The correction notice: when a decision whose notice went out (or may have) is reopened
(``pipeline.load.reopen``), the agency is told that the earlier notice about its file is withdrawn
and the form is being looked at again, with the reviewer's optional message.

The reopening records the correction notice (a row of ``kind`` correction, not written yet) in its
own transaction; ``write_owed_corrections``, part of ``service.after_change``, writes each one
owed and records it written, so a process that stops in between writes it again next time. From
then on ``notices send`` sends it exactly once, by the same claims as every notice. The desk shows
the same draft (``draft_correction``) before the reopening is confirmed.
"""

from __future__ import annotations

import logging
import os
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from pipeline.load import outbox
from pipeline.load.notice_settling import WITHDRAWN_SUFFIX
from pipeline.load.store import (
    NOTICE_CORRECTION,
    DecisionRow,
    Document,
    NoticeRow,
    ReceivedFileRow,
)
from pipeline.model import Outcome
from pipeline.report.compiled_templates import BYTECODE_CACHE
from pipeline.report.notices import (
    _about,
    header_text,
    notice_email,
    quoted,
    write_notice,
)
from pipeline.settings import Settings
from schemas.spec import load_form_spec

log = logging.getLogger(__name__)

_TEMPLATES = Environment(loader=PackageLoader("pipeline.report", "templates"), autoescape=False,
                         undefined=StrictUndefined, keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True,
                         bytecode_cache=BYTECODE_CACHE)


def build_correction_notice(
    *,
    form_id: str | None,
    form_version: str | None,
    file_name: str,
    values: dict[str, Any],
    received_day: str,
    notice_day: str,
    message: str | None,
    to_address: str | None,
    coordinator: dict[str, str],
    accepted: bool = False,
) -> EmailMessage:
    """The correction notice of a received file whose notice of ``notice_day`` is withdrawn:
    ``accepted``, the form is accepted now; else it is being looked at again."""
    spec = load_form_spec(form_id) if form_id else None
    title = spec.title if spec else "form"
    body = _TEMPLATES.get_template("correction_notice.txt.j2").render(
        form_title=title,
        about=_about(form_id, values) if form_id else None,
        file_name=quoted(file_name),
        received_day=received_day,
        notice_day=notice_day,
        message=message,
        accepted=accepted,
        coordinator_name=coordinator["name"],
        coordinator_email=coordinator["email"],
        coordinator_phone=coordinator["phone"],
    )
    version = header_text(form_version, limit=40) if form_version else (spec.version if spec else "")
    return notice_email(f"{title}: our earlier message is withdrawn ({header_text(file_name)})", body,
                        to_address=to_address, coordinator=coordinator, form=f"{form_id or 'unknown'} {version}".strip(),
                        kind=NOTICE_CORRECTION)


def draft_correction(settings: Settings, engine: Engine, received_file_id: int, *, notice_at: datetime,
                     to_address: str | None, message: str | None) -> EmailMessage:
    """The correction notice the received file would get for its notice of ``notice_at``, as the
    document stands now (accepted, or looked at again): the one the desk previews, and the one written."""
    with Session(engine) as session:
        receipt = session.get_one(ReceivedFileRow, received_file_id)
        document = session.get_one(Document, receipt.document_id)
        return build_correction_notice(
            accepted=document.outcome == Outcome.ACCEPTED.value,
            form_id=document.form_id,
            form_version=document.form_version,
            file_name=receipt.original_name,
            values=dict(document.values or {}),
            received_day=f"{receipt.received_at.astimezone(settings.zone):%B %-d, %Y}",
            notice_day=f"{notice_at.astimezone(settings.zone):%B %-d, %Y}",
            message=message,
            to_address=to_address,
            coordinator={"name": settings.coordinator_name, "email": settings.coordinator_email,
                         "phone": settings.coordinator_phone},
        )


def _owed(session: Session) -> list[tuple[NoticeRow, dict[str, Any], datetime]]:
    """Each correction notice not written yet, with the detail of the decision that added it (a
    reopening, or any change of outcome: ``notice_settling``) and when the notice it corrects went out."""
    owed = []
    rows = session.scalars(select(NoticeRow).where(NoticeRow.kind == NOTICE_CORRECTION, NoticeRow.written.is_(False))
                           .order_by(NoticeRow.id)).all()
    for row in rows:
        receipt = session.get_one(ReceivedFileRow, row.received_file_id)
        decisions = session.scalars(select(DecisionRow).where(DecisionRow.document_id == receipt.document_id))
        detail = next((d.detail for d in decisions if (d.detail or {}).get("correction_notice") == row.id), {})
        corrected = session.get(NoticeRow, detail.get("corrected_notice") or 0)
        when = (corrected.sent_at or corrected.possibly_sent_at) if corrected is not None else None
        owed.append((row, detail, when or row.created_at))
    return owed


def write_owed_corrections(settings: Settings, engine: Engine) -> dict[int, Path]:
    """Write every correction notice owed and record each written (``after_change``); returns
    where each was written, by notice id. Files of notices withdrawn are set aside first."""
    set_aside_withdrawn(engine)
    with Session(engine) as session:
        owed = _owed(session)
    written: dict[int, Path] = {}
    for row, detail, notice_at in owed:
        message = draft_correction(settings, engine, row.received_file_id, notice_at=notice_at,
                                   to_address=row.to_address, message=detail.get("message_to_agency"))
        write_notice(message, Path(row.path))
        written[row.id] = Path(row.path)
    outbox.mark_written(engine, list(written))
    return written


def set_aside_withdrawn(engine: Engine) -> None:
    """Set aside the file of each notice withdrawn (sent or not: the document's next notice, of the
    same name, must not write over what went out) but not set aside yet, unless the file is
    another notice's now (that next one, written before this could run)."""
    with Session(engine) as session:
        withdrawn = session.execute(
            select(NoticeRow.id, NoticeRow.path).where(NoticeRow.withdrawn_at.is_not(None),
                                                       NoticeRow.path.endswith(WITHDRAWN_SUFFIX))
        ).all()
        taken = set(session.scalars(select(NoticeRow.path).where(outbox.standing_notice())))
    for notice_id, aside in withdrawn:
        aside_path = Path(aside)
        written = aside_path.with_name(aside_path.name.removesuffix(f".{notice_id}{WITHDRAWN_SUFFIX}"))
        if written != aside_path and str(written) not in taken and written.is_file() and not aside_path.exists():
            try:
                os.replace(written, aside_path)
            except OSError as exc:
                log.warning("notice #%d is withdrawn but its file could not be set aside (%s)", notice_id, exc.strerror)
