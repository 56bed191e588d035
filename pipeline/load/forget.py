"""Deleting a person's records on request (``psp-pipeline forget``): every registration packet of
a PSP (found by the PSP's email), every copy of it the pipeline made, and every page that names
it, written again without it. What was deleted is recorded (counts and who, when, why), never
what the records said.

Where a packet leaves copies, and what becomes of each:

- the store: its document and receipts (duplicates too), notices, registration, certification
  record and decisions: deleted, in one transaction, last (below), with SQLite's secure delete
  and its write-ahead log folded back, so that the store file keeps no old page of them;
- its original (``originals/<outcome>/<day>/``), the file in the inbox or staging when it was not
  filed yet, its notices (``notices/<day>/``), and the desk's pictures of its pages (``drawn/``): deleted;
- the saved email that carried it (``originals/emails/<day>/``): deleted whole, since it holds
  the packet. When it carried other documents too, their own originals stay, and the command
  says that their copy in that email went with it;
- the run reports that list it, show it waiting, or show a decision about it (``run-NNNNN.html``
  and ``.json``, and ``latest.html`` when it is that run): written again from the JSON twin
  without those entries (``pipeline.report.html.rewrite_run_report``), every other entry as it
  was; a page whose twin is gone is drawn again from the store;
- Prefect's artifacts of those runs: written again the same way
  (``pipeline.report.prefect_artifacts``);
- the coordinator's overview: written again from the store (by the command, ``write_overview``).

Every copy is dealt with before the store's rows go, and each step can be done twice: run again
after an interruption, the command finds what is left through the store and finishes. A copy
that cannot be deleted or rewritten is said in one line, with what to do, and the rest goes on;
the store then keeps the rows, so that the next ``forget`` finds what it still has to do.

This module finds the person and plans what becomes of each copy (what ``--dry-run`` lists);
``pipeline.load.forget_carry_out`` does it, and it ends with a self-check
(``pipeline.load.forget_check``).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from pipeline.drawn import drawn_files
from pipeline.errors import BadInputError
from pipeline.fileops import sha256_of
from pipeline.load.emails import ARCHIVE_FOLDER
from pipeline.load.store import (
    Document,
    NoticeRow,
    ReceivedFileRow,
    RegistrationRecord,
    Run,
)
from pipeline.model import FormId
from pipeline.report.models import DocumentReport
from pipeline.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Person:
    """What the store says of the PSP: their records, and the values a self-check looks for."""

    email: str
    names: tuple[str, ...]  # "First Last", as on each packet
    receipts: dict[int, str]  # received file id -> its name as received
    hashes: frozenset[str]  # the packets' sha256
    sizes: frozenset[int]
    document_ids: frozenset[int]
    registration_ids: frozenset[int]
    file_names: tuple[str, ...]  # their files' names that no other document's file has

    @classmethod
    def by_email_only(cls, email: str) -> Person:
        """Someone the store no longer knows (forgotten already): only their email to look for."""
        return cls(email.strip().casefold(), (), {}, frozenset(), frozenset(), frozenset(), frozenset(), ())


@dataclass
class CarryingEmail:
    """A saved email that carried one of the person's packets."""

    path: Path
    carried: list[int]  # the person's received files in it
    others: list[tuple[int, str]] = field(default_factory=list)  # other documents it carried: id, name


@dataclass
class ReportRewrite:
    """A run report to write again without the person."""

    run_id: int
    page: Path
    twin: Path | None  # None: drawn from the store (its twin is gone)
    latest: bool = False  # latest.html shows this run


@dataclass
class Plan:
    """What ``forget`` is to do: the counts it says, the copies to delete, the pages and artifacts
    to write again, and what could not even be looked at (problems, each with what to do)."""

    person: Person
    documents: int
    registrations: int
    files: list[Path]
    emails: list[CarryingEmail]
    reports: list[ReportRewrite]
    latest_copy: Path | None  # latest.html to make a copy of its run's page again
    artifacts: list[Any]  # prefect_artifacts.ArtifactChange
    problems: list[str] = field(default_factory=list)  # what could not even be looked at

    def lines(self, home: Path, dry_run: bool = False) -> list[str]:
        """What the plan deletes and rewrites, a line each."""
        delete_, rewrite = ("would delete", "would rewrite") if dry_run else ("delete", "rewrite")
        out = [f"  {delete_} {shown_path(path, home)}" for path in self.files]
        for email in self.emails:
            out.append(f"  {delete_} {shown_path(email.path, home)}: the email that carried "
                       + ", ".join(f"#{i} {self.person.receipts[i]}" for i in email.carried))
            if email.others:
                out.append("    it also carried " + ", ".join(f"#{i} {name}" for i, name in email.others)
                           + ": their copy in this email goes with it; their own originals are kept")
        for report in self.reports:
            source = "from its JSON twin" if report.twin is not None else "from the store (its JSON twin is gone)"
            also = " and latest.html" if report.latest else ""
            out.append(f"  {rewrite} {shown_path(report.page, home)}{also} without them, {source}")
        if self.latest_copy is not None:
            out.append(f"  {rewrite} {shown_path(self.latest_copy, home)} (a copy of its run's page)")
        out += [f"  {rewrite} {change.describe()}" for change in self.artifacts]
        return out


def shown_path(path: Path, home: Path) -> str:
    """A path as the command prints it: relative to the data home when it is in it."""
    try:
        return str(path.relative_to(home))
    except ValueError:
        return str(path)


def _matches(values: dict, email: str) -> bool:
    found = values.get("psp_email")
    return isinstance(found, str) and found.strip().casefold() == email


def _name(first: Any, last: Any) -> str | None:
    if isinstance(first, str) and isinstance(last, str) and first.strip() and last.strip():
        return " ".join(f"{first} {last}".split())
    return None


def find_person(engine: Engine, email: str) -> Person | None:
    """The PSP whose registration packets name this email (any case), or None."""
    wanted = email.strip().casefold()
    with Session(engine) as session:
        documents = [d for d in session.scalars(select(Document).where(Document.form_id == FormId.REGISTRATION_PACKET))
                     if _matches(d.values, wanted)]
        registrations = session.scalars(
            select(RegistrationRecord).where(
                or_(RegistrationRecord.document_id.in_([d.id for d in documents]),
                    RegistrationRecord.psp_email.in_([wanted, email.strip()]))
            )
        ).all()
        document_ids = {d.id for d in documents} | {r.document_id for r in registrations}
        if not document_ids:
            return None
        receipts = session.scalars(select(ReceivedFileRow).where(ReceivedFileRow.document_id.in_(document_ids))).all()
        names = {n for d in documents if (n := _name(d.values.get("psp_first_name"), d.values.get("psp_last_name")))}
        names |= {n for r in registrations if (n := _name(r.psp_first_name, r.psp_last_name))}
        return Person(
            email=wanted,
            names=tuple(sorted(names)),
            receipts={r.id: r.original_name for r in sorted(receipts, key=lambda r: r.id)},
            hashes=frozenset(r.sha256 for r in receipts),
            sizes=frozenset(r.size for r in receipts),
            document_ids=frozenset(document_ids),
            registration_ids=frozenset(r.id for r in registrations),
            file_names=_own_file_names(session, receipts, document_ids),
        )


def _file_names(original_name: str, stored_path: str) -> set[str]:
    """The names a received file goes by: as received (an attachment as ``<email>/<attachment>``),
    the attachment's alone, and as stored."""
    return {original_name, original_name.rsplit("/", 1)[-1], Path(stored_path).name}


def _own_file_names(session: Session, receipts: Any, document_ids: set[int]) -> tuple[str, ...]:
    """The names of the person's files that no other document's file has (any case): a name
    another document's file has too would be found in that document's pages, which are kept."""
    theirs: set[str] = set()
    for receipt in receipts:
        theirs |= _file_names(receipt.original_name, receipt.stored_path)
    shared: set[str] = set()
    others = select(ReceivedFileRow.original_name, ReceivedFileRow.stored_path).where(
        ReceivedFileRow.document_id.not_in(document_ids)
    )
    for original, stored in session.execute(others.execution_options(yield_per=1000)):
        shared |= {name.casefold() for name in _file_names(original, stored)}
    return tuple(sorted(n for n in theirs if n and n.casefold() not in shared))


def plan(engine: Engine, settings: Settings, person: Person, artifacts: Any | None) -> Plan:
    """Every copy of the person's packets there is now, and every page to write again."""
    home = settings.data_home
    with Session(engine) as session:
        receipts = session.scalars(select(ReceivedFileRow).where(ReceivedFileRow.id.in_(person.receipts))).all()
        notices = session.scalars(select(NoticeRow).where(NoticeRow.received_file_id.in_(person.receipts))).all()
        documents = len(person.document_ids)
        registrations = len(person.registration_ids)
    files: list[Path] = []
    for receipt in receipts:
        stored = Path(receipt.stored_path)
        if stored.is_file() or stored.is_symlink():
            files.append(stored)
        received = Path(receipt.inbox_path)
        # Where it was received: only while it is still that file (another may have come since by that name).
        if received != stored and received.is_file() and not received.is_symlink() and _same_bytes(received, receipt.sha256):
            files.append(received)
    files += [Path(n.path) for n in notices if Path(n.path).is_file()]
    files += [drawn for receipt in receipts for drawn in drawn_files(home.root, receipt.sha256)]  # the desk's pictures of them
    problems: list[str] = []
    emails = _carrying_emails(engine, home.originals / ARCHIVE_FOLDER, person, receipts, settings.zone, problems)
    reports, latest_copy = _reports_to_rewrite(engine, home.reports, person, problems)
    changes = []
    if artifacts is not None:
        from pipeline.report.prefect_artifacts import Receipts, plan_changes

        try:
            changes = plan_changes(artifacts.read(), Receipts(person.receipts, home.reports))
        except Exception as exc:  # noqa: BLE001 - whatever keeps Prefect's state from being read is said in one line
            problems.append(f"could not read the Prefect artifacts in {artifacts.where} ({one_line(exc)}): "
                            "make it reachable, then run the same forget again to finish")
    return Plan(person, documents, registrations, sorted(set(files)), emails, reports, latest_copy, changes, problems)


def one_line(exc: BaseException) -> str:
    """An error as a problem line says it: its reason on one line, at most 300 characters."""
    return " ".join((getattr(exc, "strerror", None) or str(exc) or type(exc).__name__).split())[:300]


def _same_bytes(path: Path, sha256: str) -> bool:
    try:
        return sha256_of(path) == sha256
    except OSError:
        return False


def _carrying_emails(
    engine: Engine, archive: Path, person: Person, receipts: Any, zone: ZoneInfo, problems: list[str]
) -> list[CarryingEmail]:
    """The archived emails that carried one of the packets: in the day folders of the packets that
    came in an email (``<email>/<attachment>``), found by their attachments' sha256."""
    from pipeline.intake.mail import MailUnreadable

    days = {r.received_at.astimezone(zone).date().isoformat() for r in receipts if "/" in r.original_name}
    by_hash: dict[str, list[int]] = {}
    for receipt in receipts:
        by_hash.setdefault(receipt.sha256, []).append(receipt.id)
    found = []
    for day in sorted(days):
        folder = archive / day
        if not folder.is_dir():
            continue
        for path in sorted(p for p in folder.iterdir() if p.is_file() and not p.is_symlink()):
            try:
                hashes = attachment_hashes(path)
            except (MailUnreadable, OSError) as exc:
                problems.append(f"could not read {path} to see whether it carried the packet ({one_line(exc)}): "
                                "open it, delete it by hand if it did, then run the same forget again")
                continue
            carried = sorted({i for h in hashes & person.hashes for i in by_hash[h]
                              if "/" in person.receipts[i]})
            if carried:
                found.append(_carrying_email(engine, path, carried, hashes, person))
    return found


def attachment_hashes(path: Path) -> set[str]:
    """The sha256 of each attachment of the saved email at ``path`` (none when it is no email):
    a packet that came by email is found in it by its bytes, whatever its name.
    Raises MailUnreadable or OSError."""
    from pipeline.intake.mail import mail_format, read_mail

    with path.open("rb") as handle:
        kind = mail_format(path, handle.read(4096))
    if kind is None:
        return set()
    return {hashlib.sha256(a.data).hexdigest() for a in read_mail(path, kind).attachments}


def _carrying_email(engine: Engine, path: Path, carried: list[int], hashes: set[str], person: Person) -> CarryingEmail:
    """The email as one that carried these packets, with the other documents it carried (received
    from the same email: their names start as the packets' do), whose copy in it goes with it."""
    prefixes = {person.receipts[i].rsplit("/", 1)[0] + "/" for i in carried}
    with Session(engine) as session:
        others = session.execute(
            select(ReceivedFileRow.id, ReceivedFileRow.original_name)
            .where(ReceivedFileRow.sha256.in_(hashes - person.hashes))
            .order_by(ReceivedFileRow.id)
        ).all()
    return CarryingEmail(path, carried, [(i, n) for i, n in others if n.startswith(tuple(prefixes))])


def report_keeps(
    person: Person,
) -> tuple[Callable[[DocumentReport], bool], Callable[[dict], bool], Callable[[dict], bool]]:
    """What of a run report stays: documents, waiting entries and decisions not the person's."""
    subjects = {f"PSP #{r}" for r in person.registration_ids}

    def keep_document(d: DocumentReport) -> bool:
        return d.id not in person.receipts and d.sha256 not in person.hashes

    def keep_waiting(w: dict) -> bool:
        return w.get("id") not in person.receipts

    def keep_decision(d: dict) -> bool:
        return d.get("id") not in person.receipts and d.get("subject") not in subjects

    return keep_document, keep_waiting, keep_decision


def _strong_values(person: Person) -> list[str]:
    """What only the person's entries of a page hold: their email and their files' own names."""
    return [person.email, *person.file_names]


def _reports_to_rewrite(
    engine: Engine, folder: Path, person: Person, problems: list[str]
) -> tuple[list[ReportRewrite], Path | None]:
    """The run reports that hold something of the person, and latest.html when it must be made a
    copy of its run's page again; what cannot be rewritten is a problem, with what to do."""
    if not folder.is_dir():
        return [], None
    strong = [v.casefold() for v in _strong_values(person)]
    rewrites: dict[int, ReportRewrite] = {}
    for run_id, (page, twin) in _run_reports(folder).items():
        rewrite = _report_rewrite(run_id, page, twin, person, strong)
        if rewrite is not None:
            rewrites[run_id] = rewrite
    _drop_runs_not_in_store(engine, rewrites, folder, problems)
    latest_copy = _mark_latest(folder, rewrites, strong, problems)
    return [rewrites[r] for r in sorted(rewrites)], latest_copy


def _run_reports(folder: Path) -> dict[int, tuple[Path, Path | None]]:
    """Each run with a page or a JSON twin in the reports folder, in order: its page (where it is
    or would be) and its twin (None when it is gone)."""
    pages = {int(p.stem[4:]): p for p in folder.glob("run-*.html") if p.stem[4:].isdigit()}
    twins = {int(p.stem[4:]): p for p in folder.glob("run-*.json") if p.stem[4:].isdigit()}
    return {run_id: (pages.get(run_id, folder / f"run-{run_id:05d}.html"), twins.get(run_id))
            for run_id in sorted(set(pages) | set(twins))}


def _report_rewrite(
    run_id: int, page: Path, twin: Path | None, person: Person, strong: list[str]
) -> ReportRewrite | None:
    """How this run's report is to be written again without the person, or None when it holds
    nothing of theirs: from its twin when the twin can be read, else drawn from the store."""
    names_them = _names(page, strong)
    if twin is not None:
        try:
            # A page that names them when its twin does not: a rewrite that stopped half-way.
            if _twin_holds_theirs(twin, person) or (names_them and not _names(twin, strong)):
                return ReportRewrite(run_id, page, twin)
            return None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("run report %s cannot be read as a twin (%s): drawn from the store", twin.name, exc)
    if names_them or _names(twin, strong) or (page.is_file() and _shows_receipts(page, person)):
        return ReportRewrite(run_id, page, None)
    return None


def _twin_holds_theirs(twin: Path, person: Person) -> bool:
    """Whether a run's JSON twin has a document, waiting entry or decision of the person."""
    from pipeline.report.twin import read_run_report

    keep_document, keep_waiting, keep_decision = report_keeps(person)
    head, documents = read_run_report(twin)
    return (not all(keep_waiting(w) for w in head.get("waiting") or [])
            or not all(keep_decision(d) for d in head.get("decisions") or [])
            or not all(keep_document(d) for d in documents))


def _drop_runs_not_in_store(engine: Engine, rewrites: dict[int, ReportRewrite], folder: Path,
                            problems: list[str]) -> None:
    """A page to draw from the store whose run the store no longer has cannot be drawn: it is left
    out, as a problem for a person to delete by hand."""
    with Session(engine) as session:
        drawn = [run_id for run_id, rewrite in rewrites.items() if rewrite.twin is None]
        known = set(session.scalars(select(Run.id).where(Run.id.in_(drawn))))
    for run_id, rewrite in list(rewrites.items()):
        if rewrite.twin is None and run_id not in known:
            problems.append(f"{shown_path(rewrite.page, folder)} names the PSP, but has no JSON twin and its run is "
                            "not in the store to draw it again from: delete it by hand, then run the same forget again")
            del rewrites[run_id]


def _mark_latest(
    folder: Path, rewrites: dict[int, ReportRewrite], strong: list[str], problems: list[str]
) -> Path | None:
    """Mark the rewrite of the run latest.html shows, so that latest.html is written with it.
    Returns latest.html when it differs from its run's page (a rewrite stopped between the two)
    and must be copied again; latest.html naming the PSP without its run's page is a problem."""
    from pipeline.report.html import LATEST_NAME, page_run_id

    latest = folder / LATEST_NAME
    shown = page_run_id(latest) if latest.is_file() else None
    if shown is not None and shown in rewrites:
        rewrites[shown].latest = True
    elif shown is not None and (folder / f"run-{shown:05d}.html").is_file():
        if latest.read_bytes() != (folder / f"run-{shown:05d}.html").read_bytes():
            return latest
    elif latest.is_file() and _names(latest, strong):
        problems.append(f"{LATEST_NAME} names the PSP and its run's page is gone: delete it by hand (the next run "
                        "writes it again), then run the same forget again")
    return None


def _names(path: Path | None, values: list[str]) -> bool:
    """Whether the file holds one of these values (any case, also as JSON or HTML writes them)."""
    if path is None or not path.is_file():
        return False
    from pipeline.load.forget_check import Needles

    return bool(Needles([("value", v) for v in values]).in_file(path))


def _shows_receipts(page: Path, person: Person) -> bool:
    try:
        text_ = page.read_text("utf-8", errors="replace")
    except OSError:
        return False
    return any(f'"id":{i},' in text_ for i in person.receipts) and any(h in text_ for h in person.hashes)


def no_such_psp(email: str) -> BadInputError:
    """The error for an email that no registration packet names and the self-check finds nowhere:
    there is nothing to forget."""
    return BadInputError(f"no registration packet names the PSP email {email!r}, and the self-check finds it "
                         "nowhere: there is nothing to forget.", hint="Check the spelling (or it was forgotten already).")
