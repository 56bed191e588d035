"""The desk every command works at, and the one path after every change of the program.

``open_desk`` makes the data home and the store ready, reads the reference data and finishes what
a stopped run left (pending moves, emails whose attachments are filed). ``after_change`` is what
follows any change, whoever made it (a run's batch, a review decision, a session import, a
withdrawal, ``forget``, the review desk): the originals refiled are moved, the emails whose
attachments are all filed archived, every notice owed written, and the overview written again.
No command does any of it on its own.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy.engine import Engine

from pipeline.errors import ConfigurationError
from pipeline.faults import checkpoint
from pipeline.load import emails, outbox, ownership, program, routing, schedule
from pipeline.load.program import Release
from pipeline.load.store import StoredReceipt
from pipeline.model import ValidationResult
from pipeline.report import correction_notice
from pipeline.report import overview as overview_page
from pipeline.report.models import Notice
from pipeline.report.notices import build_notice, notice_address, write_notice
from pipeline.settings import Settings
from pipeline.validate import ValidationContext
from schemas.reference import load_reference

log = logging.getLogger(__name__)

# Notices recorded and written together: memory stays that of one chunk whatever is owed.
NOTICE_CHUNK = 200


def prepare_home(settings: Settings) -> None:
    """Create the data home's folders, readable by their owner only (they hold personal data).

    Also sets this process's umask so that every file the pipeline writes there (the store, the
    originals it moves, notices, reports) is its owner's only. Raises ConfigurationError when the
    data home cannot be created, or this user cannot write it.
    """
    os.umask(0o077)
    home = settings.data_home
    try:
        home.root.parent.mkdir(parents=True, exist_ok=True)
        for folder in home.folders:
            folder.mkdir(mode=0o700, exist_ok=True)
            if folder.stat().st_mode & 0o077 and folder.owner() == home.root.owner():
                folder.chmod(0o700)
    except OSError as exc:
        raise ConfigurationError(
            f"cannot set up the data home at {home.root} ({exc.strerror}: {exc.filename}).",
            hint="Choose a writable folder with --home or PSP_HOME.",
        ) from exc
    # Folders that were there already are not written above: a read-only one would stop a run
    # half-way (its lock, the store's journal, the originals it moves, the report).
    read_only = next((folder for folder in home.folders if not os.access(folder, os.W_OK | os.X_OK)), None)
    if read_only is not None:
        raise ConfigurationError(
            f"the data home at {home.root} is read-only for this user"
            + ("." if read_only == home.root else f" (its folder {read_only.name})."),
            hint="Make the data home and its folders writable by the user who runs psp-pipeline (their "
            "owner and mode), or choose another with --home or PSP_HOME.",
        )


@dataclass
class Desk:
    """What commands outside a run (review decisions, sessions, PSP progress) work with."""

    settings: Settings
    engine: Engine
    validation: ValidationContext
    router: routing.Router

    def close(self) -> None:
        """Close the store's connections."""
        self.engine.dispose()


def open_desk(settings: Settings) -> Desk:
    """Create the data home and store if needed, read the reference data, finish pending moves."""
    prepare_home(settings)
    # Before anything of the store is acted on: another home's pending moves, live run and files
    # would otherwise be taken for this one's.
    engine = ownership.open_own_store(settings)
    try:
        reference = load_reference(settings.reference_folder)
    except (OSError, ValueError) as exc:
        raise ConfigurationError(
            f"the reference data in {settings.reference_folder} cannot be read ({exc}).",
            hint="Fix the file, or remove the folder to use the packaged defaults.",
        ) from exc
    schedule.seed_schedule(engine, reference.sessions)
    routing.finish_pending_moves(engine, at_start=True)
    emails.archive_emails(settings.data_home, settings.zone)
    return Desk(
        settings=settings,
        engine=engine,
        validation=ValidationContext(reference=reference, timezone=settings.zone),
        router=routing.Router(settings.data_home, settings.zone),
    )




@dataclass(frozen=True)
class Changes:
    """What a change did, as the code that made it knows it.

    ``stored``: receipts just committed, as committed (their notices are written from them, not
    read back); ``releases``: held forms the change released; ``refresh_overview``: a run's
    batches leave the overview to the run's end, every other change writes it at once.
    """

    stored: Sequence[StoredReceipt] = ()
    releases: Sequence[Release] = ()
    refresh_overview: bool = True


@dataclass(frozen=True)
class AfterChange:
    """What followed a change: the notices written (by received file), the releases it brought,
    and the overview page written again (None when it was not, or could not be)."""

    notices: dict[int, Notice] = field(default_factory=dict)
    releases: Sequence[Release] = ()
    overview: Path | None = None


def after_change(desk: Desk, changes: Changes | None = None) -> AfterChange:
    """Everything that follows a change of the program, in this order: refiled originals move to
    where the store says they are kept, emails whose attachments are all filed are archived,
    every notice owed is written, and the overview is written again.

    Each step is recorded in the store as it is done, so a process that stops half-way leaves the
    rest to the next ``open_desk`` and ``after_change``, which finish it.
    """
    changes = changes or Changes()
    routing.finish_pending_moves(desk.engine)
    emails.archive_emails(desk.settings.data_home, desk.settings.zone)  # their attachments are filed
    if changes.stored:
        checkpoint("batch.moved")  # a run's batch: its originals filed, its notices not written yet
    correction_notice.write_owed_corrections(desk.settings, desk.engine)  # a decision reopened
    notices = write_missing_notices(desk.settings, desk.engine, just_stored=changes.stored)
    overview = None
    if changes.refresh_overview:
        try:
            overview = refresh_overview(desk)
        except (OSError, ValueError) as exc:  # the change is recorded already; the page comes with the next one
            log.error("the overview page could not be written (%s); `psp-pipeline overview` writes it again", exc)
    return AfterChange(notices=notices, releases=changes.releases, overview=overview)


def refresh_overview(desk: Desk) -> Path:
    """Write the coordinator's overview of the desk's data home from the store now."""
    return overview_page.write_overview(desk.engine, desk.validation.reference.cmhsps,
                                        desk.settings.data_home.reports, zone=desk.settings.zone)


def write_missing_notices(
    settings: Settings, engine: Engine, just_stored: Sequence[StoredReceipt] = ()
) -> dict[int, Notice]:
    """Write every notice the store says is owed (rejected or held documents whose notice for that
    outcome is not written yet) and record each as written. Returns where and to whom, by received file.

    The one way notices are written (``after_change``): after a batch, after a decision, and at
    the start of a run for whatever a run that stopped left owed, so a notice is written once
    whatever happens.
    A chunk of notices is recorded (not yet written) in one transaction, their files written,
    then all recorded as written in another: a run that stops in between writes them again.
    ``just_stored`` are receipts the caller has just committed, as they were committed: those
    are not read back from the store.
    """
    written: dict[int, Notice] = {}
    # A withdrawn notice's file set aside first: the next notice of the file has its name.
    correction_notice.set_aside_withdrawn(engine)
    owed = outbox.missing_notices(engine)
    in_hand = {receipt.received_file_id: receipt for receipt in just_stored}
    for start in range(0, len(owed), NOTICE_CHUNK):
        chunk = owed[start : start + NOTICE_CHUNK]
        from_store = {r.received_file_id: r for r in program.stored_receipts(engine, [i for i in chunk if i not in in_hand])}
        planned = []
        for receipt in (in_hand.get(i) or from_store.get(i) for i in chunk):
            if receipt is None:  # forgotten meanwhile (``psp-pipeline forget``): nothing to send
                continue
            document = receipt.result.document
            to_address = _notice_to(settings, receipt.result)
            received_day = document.received.received_at.astimezone(settings.zone).date()
            path = settings.data_home.notices / received_day.isoformat() / f"{receipt.received_file_id:06d}-{document.form_id}.eml"
            planned.append((receipt, to_address, path))
        notice_ids = outbox.prepare_notices(  # rejected or held
            engine, [(r.received_file_id, to, path, r.result.outcome.value) for r, to, path in planned]
        )
        for receipt, to_address, path in planned:
            write_notice(draft_notice(settings, receipt.result), path)
            checkpoint("notice.written")
            written[receipt.received_file_id] = Notice(received_file_id=receipt.received_file_id,
                                                       outcome=receipt.result.outcome, path=path, to=to_address)
        outbox.mark_written(engine, notice_ids)
    return written


def _notice_to(settings: Settings, result: ValidationResult) -> str | None:
    document = result.document
    return notice_address(document.form_id, result.values, document.received.sender, office=settings.office)


def draft_notice(settings: Settings, result: ValidationResult) -> EmailMessage:
    """The notice a rejected or held document gets for ``result``, as ``write_missing_notices``
    writes it; nothing is written. The review desk shows it before a decision that writes it."""
    document = result.document
    received_day = document.received.received_at.astimezone(settings.zone).date()
    return build_notice(
        result.outcome,
        values=result.values,
        form_id=document.form_id or "",
        form_version=document.form_version,
        file_name=document.received.original_name,
        received_day=f"{received_day:%B %-d, %Y}",
        findings=[f.model_dump() for f in result.findings],
        to_address=_notice_to(settings, result),
        coordinator={
            "name": settings.coordinator_name,
            "email": settings.coordinator_email,
            "phone": settings.coordinator_phone,
        },
    )
