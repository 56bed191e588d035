"""The self-check that ends ``psp-pipeline forget``: is anything of the person left?

It looks for the person's email, name ("First Last") and their files' own names (those no other
document's file has), in any case and as HTML, JSON (once or nested), the report page's data and
Prefect's markdown write them, in:

- every file of the data home, reports, notices and originals included, by name and by content,
  and the store's SQLite file (and its write-ahead log) wherever it is; a file with the bytes of
  one of the packets is a copy, whatever its name, and so is an email carrying one;
- every value of every row of the store;
- Prefect's database: every row of its SQLite file (artifacts, their events, logs), or the
  artifacts its server gives.

What it finds is either **left** (the person's own, or nobody's: it must go) or **in other
people's records**: another document, its original or its entries in a report, a decision about
it, which may name the person (a co-signature, a reviewer's note) and is not the person's to
delete; those are listed for a person to look at. The text inside compressed files (Word files,
PDF streams) is not read: their copies are found by their bytes.
"""

from __future__ import annotations

import hashlib
import html as html_escaping
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from pipeline.load.forget import Person, attachment_hashes
from pipeline.load.store import NoticeRow, ReceivedFileRow
from pipeline.model import DecisionAction

CHUNK = 1 << 20
_NESTING = 3  # JSON inside JSON inside JSON: Prefect's events copy an artifact's JSON data


def _json_escaped(text: str, ascii_only: bool) -> str:
    return json.dumps(text, ensure_ascii=ascii_only)[1:-1]


def _page_escaped(text: str) -> str:
    """As the report page's data block writes it (``htmlsafe_json_dumps``)."""
    return (_json_escaped(text, False).replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("&", "\\u0026").replace("'", "\\u0027"))


def variants(value: str) -> set[str]:
    """The ways the pipeline and Prefect may have written ``value``."""
    from pipeline.report.html import visible_bidi
    from pipeline.report.summary import markdown_text

    bases = {value, visible_bidi(value), markdown_text(value)}
    found: set[str] = set()
    for base in bases:
        level = {base, html_escaping.escape(base, quote=True), html_escaping.escape(base, quote=False), _page_escaped(base)}
        found |= level
        for _ in range(_NESTING):
            level = {_json_escaped(v, a) for v in level for a in (False, True)}
            found |= level
    return {v for v in found if v.strip()}


class Needles:
    """The values looked for, each under a label ("the email"), matched in any case."""

    def __init__(self, labelled: Iterable[tuple[str, str]]) -> None:
        """Each non-blank value in every way it may be written (``variants``), lowercased, in one
        pattern that tries the longest first; blank values are looked for nowhere."""
        self.label_of: dict[bytes, str] = {}
        for label, value in labelled:
            if not value or not value.strip():
                continue
            for variant in variants(value):
                self.label_of.setdefault(variant.lower().encode("utf-8"), label)
        longest_first = sorted(self.label_of, key=len, reverse=True)
        self.pattern = re.compile(b"|".join(re.escape(v) for v in longest_first)) if longest_first else None
        self.overlap = max((len(v) for v in self.label_of), default=1)

    def in_bytes(self, data: bytes) -> set[str]:
        """The labels of the values found in ``data``, in any case."""
        if self.pattern is None:
            return set()
        return {self.label_of[m.group()] for m in self.pattern.finditer(data.lower())}

    def in_text(self, text: str) -> set[str]:
        """The labels of the values found in ``text`` (as its UTF-8 bytes)."""
        return self.in_bytes(text.encode("utf-8", errors="replace"))

    def in_file(self, path: Path, *, digest: Any = None) -> set[str]:
        """The labels found in the file's bytes (read a chunk at a time); ``digest`` is fed them too."""
        found: set[str] = set()
        tail = b""
        with path.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                if digest is not None:
                    digest.update(chunk)
                found |= self.in_bytes(tail + chunk)
                tail = chunk[-self.overlap :]
        return found


def person_needles(person: Person) -> Needles:
    """What the self-check looks for of ``person``: their email, their names and their files'
    own names, each labelled as the report names it."""
    return Needles([
        ("the email", person.email),
        *(("the name", name) for name in person.names),
        *((f"the file name {name!r}", name) for name in person.file_names),
    ])


@dataclass
class Found:
    where: str
    what: str
    whose: str | None = None  # another person's record it is in, when it is

    def line(self) -> str:
        """One line for the report: where, what, and whose record it is in when it is another's."""
        return f"{self.where}: {self.what}" + (f" ({self.whose})" if self.whose else "")


@dataclass
class Check:
    searched: str
    left: list[Found] = field(default_factory=list)
    in_others: list[Found] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, found: Found, other: bool) -> None:
        """Record a find: as left (it must go), or as in another person's record (``other``), to be
        looked at rather than deleted."""
        (self.in_others if other else self.left).append(found)

    def add_each(self, where: str, labels: set[str], whose: str | None = None, *, other: bool = False) -> None:
        """Record each label found in one place, in a steady order (the report lists them so)."""
        for label in sorted(labels):
            self.add(Found(where, label, whose), other=other)


def self_check(
    person: Person, engine: Engine, home: Path, *, artifacts: Any | None = None, prefect_note: str | None = None,
    store_deleted: bool = True,
) -> Check:
    """Look for the person everywhere (see the module's docstring)."""
    needles = person_needles(person)
    what = ["the email", *(["the name"] if person.names else []),
            f"{len(person.file_names)} file name(s)" if person.file_names else None]
    check = Check(" and ".join(", ".join(w for w in what if w).rsplit(", ", 1)))
    rows = _store_rows(person, engine, needles, check)
    others = _others_files(person, engine)
    database_files: dict[Path, set[str]] = {}
    if engine.dialect.name == "sqlite" and engine.url.database:
        store_file = Path(engine.url.database).absolute()
        database_files.update({store_file: rows, Path(f"{store_file}-wal"): rows})
    elif engine.dialect.name == "postgresql":
        check.notes.append("the store is on PostgreSQL, whose files keep the bytes of deleted rows until the space "
                           "is written again: VACUUM FULL of documents, received_files, registrations, notices and "
                           "decisions rewrites them without (its files cannot be searched from here)")
    if artifacts is not None:
        try:
            leftovers, prefect_rows = artifacts.leftovers(needles.in_text, home / "reports")
            for where, label in leftovers:
                check.add(Found(where, label), other=False)
            for path in artifacts.files():
                database_files[path.absolute()] = prefect_rows
        except Exception as exc:  # noqa: BLE001 - said, and the check goes on
            check.notes.append(f"{artifacts.where} could not be searched ({' '.join(str(exc).split())[:200]})")
        if getattr(artifacts, "events_note", None):
            check.notes.append(artifacts.events_note)
    elif prefect_note:
        check.notes.append(prefect_note)
    _files(person, home, needles, check, others, database_files, store_deleted)
    return check


def _store_rows(person: Person, engine: Engine, needles: Needles, check: Check) -> set[str]:
    """Every row of every table of the store; returns the labels found in them."""
    found: set[str] = set()
    metadata = MetaData()
    metadata.reflect(engine)
    own = {
        "documents": ("id", person.document_ids),
        "received_files": ("id", frozenset(person.receipts)),
        "registrations": ("id", person.registration_ids),
        "notices": ("received_file_id", frozenset(person.receipts)),
        "certifications": ("registration_id", person.registration_ids),
    }
    with Session(engine) as session:
        for table in metadata.sorted_tables:
            for row in session.execute(select(table).execution_options(yield_per=500)).mappings():
                labels = set()
                for value in row.values():
                    if isinstance(value, str):
                        labels |= needles.in_text(value)
                    elif isinstance(value, dict | list):
                        labels |= needles.in_text(json.dumps(value, ensure_ascii=False))
                if not labels:
                    continue
                found |= labels
                key = row.get("id")
                column, ids = own.get(table.name, (None, frozenset()))
                theirs = (column is not None and row.get(column) in ids) or (
                    table.name == "decisions" and (row.get("document_id") in person.document_ids
                                                   or row.get("registration_id") in person.registration_ids))
                other = not theirs and table.name not in ("file_claims",)
                whose = _whose_row(session, table.name, row) if other else None
                check.add_each(f"store: {table.name} #{key}", labels, whose, other=other)
    return found


def _whose_row(session: Session, table: str, row: Any) -> str:
    if table == "decisions" and row.get("action") == DecisionAction.FORGOTTEN:
        return "the record of a forget: its reason as typed"
    document_id = row.get("id") if table == "documents" else row.get("document_id")
    if document_id is not None and table in ("documents", "registrations", "readiness_plans", "decisions"):
        receipt = session.execute(
            select(ReceivedFileRow.id, ReceivedFileRow.original_name)
            .where(ReceivedFileRow.document_id == document_id).order_by(ReceivedFileRow.id).limit(1)
        ).first()
        if receipt is not None:
            return f"another document: #{receipt[0]} {receipt[1]}"
    return "another record"


def _others_files(person: Person, engine: Engine) -> dict[Path, str]:
    """Where the other documents' originals and notices are: path -> '#id name'."""
    others: dict[Path, str] = {}
    with Session(engine) as session:
        rows = session.execute(select(ReceivedFileRow.id, ReceivedFileRow.original_name, ReceivedFileRow.stored_path,
                                      ReceivedFileRow.inbox_path).execution_options(yield_per=1000))
        for rid, name, stored, inbox in rows:
            if rid in person.receipts:
                continue
            others[Path(stored).absolute()] = f"#{rid} {name}"
            others.setdefault(Path(inbox).absolute(), f"#{rid} {name}")
        for rid, path in session.execute(select(NoticeRow.received_file_id, NoticeRow.path)):
            if rid not in person.receipts:
                others[Path(path).absolute()] = f"the notice of #{rid}"
    return others


def _walk(home: Path) -> Iterator[Path]:
    if not home.is_dir():
        return
    for path in sorted(home.rglob("*")):
        if path.is_file() and not path.is_symlink():
            yield path


def _files(
    person: Person, home: Path, needles: Needles, check: Check, others: dict[Path, str],
    database_files: dict[Path, set[str]], store_deleted: bool,
) -> None:
    """Every file of the data home, and the databases' files outside it, by name and by content.
    What a file holds is judged by what the file is; the report pages last, against what their
    run's JSON twin was found to hold."""
    paths = list(_walk(home))
    paths += [p for p in database_files if p.is_file() and not p.is_relative_to(home)]
    twins: dict[int, tuple[bool, set[str]]] = {}  # run -> whether its twin's finds are all in others' entries, and what
    pending_pages: list[tuple[Path, set[str]]] = []
    for path in paths:
        shown = str(path.relative_to(home)) if path.is_relative_to(home) else str(path)
        _name_finds(path, shown, needles, check, others)
        labels = _content_finds(path, shown, person, needles, check)
        if not labels:
            continue
        absolute = path.absolute()
        if absolute in database_files:
            # The rows were looked at one by one above: what the file holds that no row does are deleted bytes.
            for label in sorted(labels - database_files[absolute]):
                check.add(Found(shown, f"{label}, in bytes of deleted rows"), other=False)
        elif absolute in others:
            check.add_each(shown, labels, f"the original or notice of {others[absolute]}", other=True)
        elif path.parent == home / "reports" and path.suffix == ".json" and path.stem.startswith("run-"):
            twins[_run_number(path)] = _report_twin(path, person, needles, check, shown)
        elif path.parent == home / "reports" and path.suffix == ".html":
            pending_pages.append((path, labels))
        else:
            check.add_each(shown, labels)
    for path, labels in pending_pages:  # a page shows what its twin holds
        _page_finds(path, labels, home, twins, check, store_deleted)


def _name_finds(path: Path, shown: str, needles: Needles, check: Check, others: dict[Path, str]) -> None:
    """The values in a file's name (as shown, from the data home): in another document's original
    or notice, they are that document's; anywhere else they are left."""
    for label in sorted(needles.in_text(shown)):
        whose = others.get(path.absolute())
        check.add(Found(shown, f"{label} in its name", f"the original or notice of {whose}" if whose else None),
                  other=whose is not None)


def _content_finds(path: Path, shown: str, person: Person, needles: Needles, check: Check) -> set[str] | None:
    """The labels found in a file's bytes (None when it cannot be read, which a note says). A copy
    of a packet, told by its bytes hashed in the same reading, or an email carrying one is left
    whatever it names."""
    digest = hashlib.sha256() if _size(path) in person.sizes else None
    try:
        labels = needles.in_file(path, digest=digest)
    except OSError as exc:
        check.notes.append(f"{shown} could not be read ({exc.strerror})")
        return None
    if digest is not None and digest.hexdigest() in person.hashes:
        check.add(Found(shown, "a copy of one of their packets (its very bytes)"), other=False)
    if path.suffix.lower() in (".eml", ".msg") and _carried(path, person):
        check.add(Found(shown, "an email carrying one of their packets"), other=False)
    return labels


def _page_finds(
    path: Path, labels: set[str], home: Path, twins: dict[int, tuple[bool, set[str]]], check: Check,
    store_deleted: bool,
) -> None:
    """A report page's finds: in other people's records when the page shows only what its source
    holds of others (the overview: the store once the rows are gone; a run's page: its twin's
    other documents), else a page left behind."""
    from pipeline.report.html import LATEST_NAME, page_run_id

    shown = str(path.relative_to(home))
    run = page_run_id(path) if path.name == LATEST_NAME else _run_number(path)
    if path.name == "overview.html":
        explained = store_deleted  # written from the store, whose other rows are listed above
        whose = "the store's other records, as listed"
    else:
        clean, in_twin = twins.get(run, (False, set())) if run is not None else (False, set())
        explained = clean and labels <= in_twin  # what the page shows beyond its twin is a page left behind
        whose = f"other documents' entries, as in run-{run:05d}.json" if run is not None else None
    check.add_each(shown, labels, whose if explained else None, other=explained)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return -1


def _run_number(path: Path) -> int | None:
    number = path.stem.removeprefix("run-")
    return int(number) if number.isdigit() else None


def _report_twin(path: Path, person: Person, needles: Needles, check: Check, shown: str) -> tuple[bool, set[str]]:
    """Look at a run's JSON twin entry by entry: whether whatever it holds of the person is in
    other documents' entries only, and what it holds."""
    from pipeline.report.twin import read_run_report

    try:
        head, documents = read_run_report(path)
        entries: list[tuple[str, dict]] = [("document", d.model_dump(mode="json")) for d in documents]
    except (OSError, ValueError, KeyError, TypeError):
        labels = needles.in_file(path)
        check.add_each(shown, labels)
        return False, labels
    entries += [("waiting entry", w) for w in head.get("waiting") or []]
    entries += [("decision", d) for d in head.get("decisions") or []]
    rest = {k: v for k, v in head.items() if k not in ("waiting", "decisions")}
    found = needles.in_text(json.dumps(rest, ensure_ascii=False))
    check.add_each(shown, found)
    clean = not found
    for kind, entry in entries:
        labels = needles.in_text(json.dumps(entry, ensure_ascii=False))
        if not labels:
            continue
        found |= labels
        rid = entry.get("id")
        other = rid is not None and rid not in person.receipts
        clean = clean and other
        check.add_each(f"{shown}, {kind}" + (f" #{rid}" if rid is not None else ""), labels,
                       "another document's" if other else None, other=other)
    return clean, found


def _carried(path: Path, person: Person) -> bool:
    """Whether the email at ``path`` carries one of the packets; one that cannot be read is searched as bytes only."""
    from pipeline.intake.mail import MailUnreadable

    try:
        return bool(attachment_hashes(path) & person.hashes)
    except (MailUnreadable, OSError):
        return False
