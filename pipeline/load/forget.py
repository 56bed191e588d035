"""Deleting a person's records on request (``psp-pipeline forget``): every registration packet of
a PSP (found by the PSP's email), every copy of it the pipeline made, and every page that names
it, written again without it. What was deleted is recorded (counts and who, when, why), never
what the records said.

Where a packet leaves copies, and what becomes of each:

- the store: its document and receipts (duplicates too), notices, registration, certification
  record and decisions: deleted, in one transaction, last (below), with SQLite's secure delete
  and its write-ahead log folded back, so that the store file keeps no old page of them;
- its original (``originals/<outcome>/<day>/``), the file in the inbox or staging when it was not
  filed yet, and its notices (``notices/<day>/``): deleted;
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

It ends with a self-check (``pipeline.load.forget_check``).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, or_, select, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from pipeline.errors import BadInputError
from pipeline.fileops import sha256_of
from pipeline.load.emails import ARCHIVE_FOLDER
from pipeline.load.store import (
    CertificationRow,
    DecisionRow,
    Document,
    NoticeRow,
    ReceivedFileRow,
    RegistrationRecord,
    Run,
    program_lock,
    transaction,
    utcnow,
)
from pipeline.model import DecisionAction, FormId
from pipeline.settings import Settings

log = logging.getLogger(__name__)

FORGOTTEN = DecisionAction.FORGOTTEN  # the decision's action


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
        out = [f"  {delete_} {_shown(path, home)}" for path in self.files]
        for email in self.emails:
            out.append(f"  {delete_} {_shown(email.path, home)}: the email that carried "
                       + ", ".join(f"#{i} {self.person.receipts[i]}" for i in email.carried))
            if email.others:
                out.append("    it also carried " + ", ".join(f"#{i} {name}" for i, name in email.others)
                           + ": their copy in this email goes with it; their own originals are kept")
        for report in self.reports:
            source = "from its JSON twin" if report.twin is not None else "from the store (its JSON twin is gone)"
            also = " and latest.html" if report.latest else ""
            out.append(f"  {rewrite} {_shown(report.page, home)}{also} without them, {source}")
        if self.latest_copy is not None:
            out.append(f"  {rewrite} {_shown(self.latest_copy, home)} (a copy of its run's page)")
        out += [f"  {rewrite} {change.describe()}" for change in self.artifacts]
        return out


def _shown(path: Path, home: Path) -> str:
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
        theirs: set[str] = set()
        for receipt in receipts:
            theirs |= {receipt.original_name, receipt.original_name.rsplit("/", 1)[-1], Path(receipt.stored_path).name}
        # A name another document's file has too would be found in that document's pages.
        shared: set[str] = set()
        others = select(ReceivedFileRow.original_name, ReceivedFileRow.stored_path).where(
            ReceivedFileRow.document_id.not_in(document_ids)
        )
        for original, stored in session.execute(others.execution_options(yield_per=1000)):
            shared |= {original.casefold(), original.rsplit("/", 1)[-1].casefold(), Path(stored).name.casefold()}
        return Person(
            email=wanted,
            names=tuple(sorted(names)),
            receipts={r.id: r.original_name for r in sorted(receipts, key=lambda r: r.id)},
            hashes=frozenset(r.sha256 for r in receipts),
            sizes=frozenset(r.size for r in receipts),
            document_ids=frozenset(document_ids),
            registration_ids=frozenset(r.id for r in registrations),
            file_names=tuple(sorted(n for n in theirs if n and n.casefold() not in shared)),
        )


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
    problems: list[str] = []
    emails = _carrying_emails(engine, home.originals / ARCHIVE_FOLDER, person, receipts, settings.zone, problems)
    reports, latest_copy = _reports_to_rewrite(engine, home.reports, person, problems)
    changes = []
    if artifacts is not None:
        from pipeline.report.prefect_artifacts import Receipts, plan_changes

        try:
            changes = plan_changes(artifacts.read(), Receipts(person.receipts, home.reports))
        except Exception as exc:  # noqa: BLE001 - whatever keeps Prefect's state from being read is said in one line
            problems.append(f"could not read the Prefect artifacts in {artifacts.where} ({_said(exc)}): "
                            "make it reachable, then run the same forget again to finish")
    return Plan(person, documents, registrations, sorted(set(files)), emails, reports, latest_copy, changes, problems)


def _said(exc: BaseException) -> str:
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
    from pipeline.intake.mail import MailUnreadable, mail_format, read_mail

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
                with path.open("rb") as handle:
                    kind = mail_format(path, handle.read(4096))
                if kind is None:
                    continue
                attachments = read_mail(path, kind).attachments
            except (MailUnreadable, OSError) as exc:
                problems.append(f"could not read {path} to see whether it carried the packet ({_said(exc)}): "
                                "open it, delete it by hand if it did, then run the same forget again")
                continue
            hashes = {hashlib.sha256(a.data).hexdigest() for a in attachments}
            carried = sorted({i for h in hashes & person.hashes for i in by_hash[h]
                              if "/" in person.receipts[i]})
            if not carried:
                continue
            prefixes = {person.receipts[i].rsplit("/", 1)[0] + "/" for i in carried}
            with Session(engine) as session:
                others = session.execute(
                    select(ReceivedFileRow.id, ReceivedFileRow.original_name)
                    .where(ReceivedFileRow.sha256.in_(hashes - person.hashes))
                    .order_by(ReceivedFileRow.id)
                ).all()
            found.append(CarryingEmail(path, carried, [(i, n) for i, n in others if n.startswith(tuple(prefixes))]))
    return found


def _keeps(person: Person) -> tuple[Callable[[dict], bool], Callable[[dict], bool], Callable[[dict], bool]]:
    """What of a run report stays: documents, waiting entries and decisions not the person's."""
    subjects = {f"PSP #{r}" for r in person.registration_ids}

    def keep_document(d: dict) -> bool:
        return d.get("id") not in person.receipts and d.get("sha256") not in person.hashes

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
    from pipeline.report.html import LATEST_NAME, page_run_id, read_run_report

    keep_document, keep_waiting, keep_decision = _keeps(person)
    strong = [v.casefold() for v in _strong_values(person)]
    rewrites: dict[int, ReportRewrite] = {}
    if not folder.is_dir():
        return [], None
    pages = {int(p.stem[4:]): p for p in folder.glob("run-*.html") if p.stem[4:].isdigit()}
    twins = {int(p.stem[4:]): p for p in folder.glob("run-*.json") if p.stem[4:].isdigit()}
    for run_id in sorted(set(pages) | set(twins)):
        page, twin = pages.get(run_id, folder / f"run-{run_id:05d}.html"), twins.get(run_id)
        names_them = _names(page, strong)
        if twin is not None:
            try:
                head, documents = read_run_report(twin)
                theirs = (not all(keep_waiting(w) for w in head.get("waiting") or [])
                          or not all(keep_decision(d) for d in head.get("decisions") or [])
                          or not all(keep_document(d) for d in documents))
                # A page that names them when its twin does not: a rewrite that stopped half-way.
                if theirs or (names_them and not _names(twin, strong)):
                    rewrites[run_id] = ReportRewrite(run_id, page, twin)
                continue
            except (OSError, ValueError, KeyError, TypeError) as exc:
                log.warning("run report %s cannot be read as a twin (%s): drawn from the store", twin.name, exc)
        if names_them or _names(twin, strong) or (page.is_file() and _shows_receipts(page, person)):
            rewrites[run_id] = ReportRewrite(run_id, page, None)
    with Session(engine) as session:
        known = set(session.scalars(select(Run.id).where(Run.id.in_([r for r, w in rewrites.items() if w.twin is None]))))
    for run_id, rewrite in list(rewrites.items()):
        if rewrite.twin is None and run_id not in known:
            problems.append(f"{_shown(rewrite.page, folder)} names the PSP, but has no JSON twin and its run is not "
                            "in the store to draw it again from: delete it by hand, then run the same forget again")
            del rewrites[run_id]
    latest = folder / LATEST_NAME
    latest_copy = None
    shown = page_run_id(latest) if latest.is_file() else None
    if shown is not None and shown in rewrites:
        rewrites[shown].latest = True
    elif shown is not None and (folder / f"run-{shown:05d}.html").is_file():
        # A rewrite that stopped between its run's page and latest.html.
        if latest.read_bytes() != (folder / f"run-{shown:05d}.html").read_bytes():
            latest_copy = latest
    elif latest.is_file() and _names(latest, strong):
        problems.append(f"{LATEST_NAME} names the PSP and its run's page is gone: delete it by hand (the next run "
                        "writes it again), then run the same forget again")
    return [rewrites[r] for r in sorted(rewrites)], latest_copy


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


# -- carrying it out ------------------------------------------------------------------------------


@dataclass
class Done:
    """What ``carry_out`` did, and what it could not do (a line each, with what to do)."""

    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    deleted_files: int = 0
    rewritten_reports: list[str] = field(default_factory=list)
    store_deleted: bool = False
    store_note: str | None = None


def carry_out(
    the_plan: Plan,
    engine: Engine,
    settings: Settings,
    artifacts: Any | None,
    *,
    actor: str,
    reason: str,
) -> Done:
    """Do the plan: pages first, then Prefect's artifacts, then the files, and the store's rows
    last, only when every copy is gone (else they stay, for the next try to find what is left)."""
    home = settings.data_home.root
    done = Done(problems=list(the_plan.problems))
    person = the_plan.person
    _rewrite_reports(the_plan, engine, settings, done)
    if artifacts is not None and the_plan.artifacts:
        _rewrite_artifacts(the_plan, settings, artifacts, done)
    for path in the_plan.files:
        if _delete(path, home, done):
            done.lines.append(f"  deleted {_shown(path, home)}")
    for email in the_plan.emails:
        if _delete(email.path, home, done):
            done.lines.append(f"  deleted {_shown(email.path, home)}, the email that carried "
                              + ", ".join(f"#{i} {person.receipts[i]}" for i in email.carried))
            if email.others:
                done.lines.append("    it also carried " + ", ".join(f"#{i} {n}" for i, n in email.others)
                                  + ": their copy in that email went with it; their own originals are kept")
    if done.problems:
        done.store_note = (f"The store keeps {person.email}'s records until every copy is gone, so that running "
                           "the same forget again finds what is left and finishes.")
        return done
    _delete_from_store(the_plan, engine, actor=actor, reason=reason, done=done)
    return done


def _delete(path: Path, home: Path, done: Done) -> bool:
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    except OSError as exc:
        done.problems.append(
            f"could not delete {_shown(path, home)} ({_said(exc)}): make it deletable (its folder writable, "
            "not in use) or delete it by hand, then run the same forget again to finish"
        )
        return False
    done.deleted_files += 1
    return True


def _rewrite_reports(the_plan: Plan, engine: Engine, settings: Settings, done: Done) -> None:
    from pipeline.report.html import (
        copy_as_latest,
        rewrite_run_report,
        write_run_report,
    )

    keep_document, keep_waiting, keep_decision = _keeps(the_plan.person)
    home = settings.data_home.root
    for report in the_plan.reports:
        try:
            if report.twin is not None:
                _, _, dropped = rewrite_run_report(report.twin, keep_document=keep_document, keep_waiting=keep_waiting,
                                                   keep_decision=keep_decision, zone=settings.zone, latest=report.latest)
                said = f"{dropped['documents']} document(s), {dropped['waiting']} waiting, {dropped['decisions']} decision(s)"
            else:
                documents, waiting, decisions, started, finished = _run_from_store(
                    engine, report.run_id, the_plan.person, settings.zone)
                write_run_report(report.page.parent, run_id=report.run_id, started_at=started, finished_at=finished,
                                 documents=documents, waiting=[w for w in waiting if keep_waiting(w)],
                                 zone=settings.zone, decisions=[d for d in decisions if keep_decision(d)],
                                 latest=report.latest)
                said = "drawn from the store, its JSON twin being gone"
        except (OSError, ValueError, KeyError, TypeError) as exc:
            done.problems.append(f"could not rewrite {_shown(report.page, home)} ({_said(exc)}): make the reports folder "
                                 "writable, then run the same forget again to finish")
            continue
        also = " and latest.html" if report.latest else ""
        done.lines.append(f"  rewrote {_shown(report.page, home)}, its JSON twin{also} without them ({said})")
        done.rewritten_reports.append(report.page.name)
    if the_plan.latest_copy is not None:
        run_id = _latest_run(the_plan.latest_copy)
        try:
            if run_id is not None:
                copy_as_latest(the_plan.latest_copy.parent / f"run-{run_id:05d}.html")
                done.lines.append(f"  rewrote {_shown(the_plan.latest_copy, home)} (a copy of run {run_id}'s page)")
        except OSError as exc:
            done.problems.append(f"could not rewrite {_shown(the_plan.latest_copy, home)} ({_said(exc)}): "
                                 "make the reports folder writable, then run the same forget again to finish")


def _latest_run(latest: Path) -> int | None:
    from pipeline.report.html import page_run_id

    return page_run_id(latest)


def _run_from_store(
    engine: Engine, run_id: int, person: Person, zone: ZoneInfo
) -> tuple[list[dict], list[dict], list[dict], datetime, datetime]:
    """A run's documents, waiting list and decisions as the store holds them now, without the person."""
    from pipeline.load import program, store
    from pipeline.report.html import document_summary

    with Session(engine) as session:
        run = session.get_one(Run, run_id)
        started, finished = run.started_at, run.finished_at or run.started_at
    ids = [i for i in program.receipts_of_run(engine, run_id, by_arrival=True) if i not in person.receipts]
    receipts = {r.received_file_id: r for r in program.stored_receipts(engine, ids)}
    documents = [document_summary(receipts[i], None, zone) for i in ids if i in receipts]
    return documents, store.waiting_for_a_person(engine), store.decisions_since_last_run(engine, run_id), started, finished


def _rewrite_artifacts(the_plan: Plan, settings: Settings, artifacts: Any, done: Done) -> None:
    from pipeline.report.prefect_artifacts import Receipts, rewritten_data

    receipts = Receipts(the_plan.person.receipts, settings.data_home.reports)
    try:
        for change in the_plan.artifacts:
            change.data = rewritten_data(change, receipts)
        artifacts.apply(the_plan.artifacts)
    except Exception as exc:  # noqa: BLE001 - Prefect's database or server failing is said in one line
        done.problems.append(f"could not rewrite the Prefect artifacts in {artifacts.where} ({_said(exc)}): "
                             "make it reachable and writable, then run the same forget again to finish")
        return
    done.lines += [f"  rewrote {change.describe()}" for change in the_plan.artifacts]


def _delete_from_store(the_plan: Plan, engine: Engine, *, actor: str, reason: str, done: Done) -> None:
    person = the_plan.person
    sqlite = engine.dialect.name == "sqlite"
    with transaction(engine) as session:
        program_lock(session)
        if sqlite:
            session.execute(text("PRAGMA secure_delete=ON"))  # deleted rows are overwritten, not left in free pages
        document_ids, registration_ids = list(person.document_ids), list(person.registration_ids)
        receipt_ids = list(session.scalars(select(ReceivedFileRow.id).where(ReceivedFileRow.document_id.in_(document_ids))))
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
        session.add(
            DecisionRow(
                at=utcnow(), actor=actor, action=FORGOTTEN, reason=reason,
                detail={"documents": the_plan.documents, "registrations": the_plan.registrations,
                        "files": done.deleted_files, "emails": len(the_plan.emails),
                        "other_documents_in_emails": sorted({i for e in the_plan.emails for i, _ in e.others}),
                        "reports": done.rewritten_reports, "artifacts": len(the_plan.artifacts),
                        "overview": "pending"},
            )
        )
    done.store_deleted = True
    if sqlite and engine.url.database:
        from pipeline.report.prefect_artifacts import checkpoint_sqlite

        if not checkpoint_sqlite(Path(engine.url.database)):
            done.store_note = ("Another process is reading the store: its write-ahead log still holds the deleted "
                               "rows until it is folded back (the next run does it).")


def overview_pending(engine: Engine) -> list[int]:
    """The forget decisions whose overview page was not written again yet (it stopped in between)."""
    with Session(engine) as session:
        rows = session.scalars(select(DecisionRow).where(DecisionRow.action == FORGOTTEN)).all()
        return [r.id for r in rows if (r.detail or {}).get("overview") == "pending"]


def overview_written(engine: Engine, decision_ids: list[int]) -> None:
    """Record that the overview page was written again after these forget decisions, so that
    ``overview_pending`` no longer lists them."""
    with transaction(engine) as session:
        for row in session.scalars(select(DecisionRow).where(DecisionRow.id.in_(decision_ids))):
            row.detail = {**(row.detail or {}), "overview": "written"}


def no_such_psp(email: str) -> BadInputError:
    """The error for an email that no registration packet names and the self-check finds nowhere:
    there is nothing to forget."""
    return BadInputError(f"no registration packet names the PSP email {email!r}, and the self-check finds it "
                         "nowhere: there is nothing to forget.", hint="Check the spelling (or it was forgotten already).")
