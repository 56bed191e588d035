"""Exports of the tracking store: every received document (JSON, CSV) and the coordinator's workbook
(xlsx: agencies and plan status, PSPs and certification, sessions and seats, waiting, and the same
documents as the CSV).

Each document carries its store id (``id``, as ``review show`` takes it). Times are the office's
(``pipeline.clock``): in the JSON and the CSV ISO 8601 with the offset, always to the second; in the
workbook date-time cells, the zone named in the column's header. The CSV is UTF-8 with a byte order
mark, so that Excel shows "José" as written. Every sheet of the workbook is an Excel table (a
filter on each column), its header row frozen and its columns as wide as what they hold.

Names and file names come from outside: in the spreadsheets (CSV, xlsx) a text that would be a
formula is written as text, following OWASP's CSV-injection guidance; the JSON keeps every value.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.table import Table as ExcelTable
from openpyxl.worksheet.table import TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from pipeline.clock import iso_time, spreadsheet_time
from pipeline.load.certification import list_psps
from pipeline.load.queries import export_rows, waiting_for_a_person
from pipeline.load.schedule import session_seats
from pipeline.load.store import (
    Document,
    ReadinessPlanRecord,
    RegistrationRecord,
)
from pipeline.model import FormId, Outcome, PlanStatus, RegistrationStatus
from schemas.reference import ReferenceData
from schemas.spec import load_form_spec

# OWASP's list: a spreadsheet takes a cell that starts with one of these for a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# A document's own columns, before its values (``fields.<key>``), with their printed headers.
DOCUMENT_COLUMNS = {
    "id": "#", "file": "File", "sha256": "SHA-256", "received_at": "Received", "form_id": "Form",
    "form_version": "Form version", "outcome": "Outcome", "rules": "Rules", "findings": "Findings",
}  # fmt: skip
# The columns of the workbook's program sheets, declared so that an empty sheet has its header too.
PROGRAM_COLUMNS = {
    "Agencies": ("cmhsp", "plan_status", "plan_accepted_on", "psps_registered", "registrations_held"),
    "PSPs": ("id", "name", "agency", "session", "stage", "classroom_attended_on", "coaching_months", "pd_meetings",
             "certified_on", "due"),
    "Sessions": ("session_id", "start_date", "end_date", "days", "location", "capacity", "taken", "free", "wait_list"),
    "Waiting": ("id", "file", "received_at", "form_id", "outcome", "reason", "more"),
}
# Columns of moments (not days): in the workbook their header names the zone the cells are in.
TIME_COLUMNS = frozenset({"received_at"})
NARROWEST, WIDEST = 8, 60  # a column's width, in characters


@dataclass(frozen=True)
class Table:
    """One sheet's worth: the rows' keys (``columns``), the headers shown for them, and the rows'
    values in that order (times aware, days as dates)."""

    name: str
    columns: tuple[str, ...]
    headers: tuple[str, ...]
    rows: list[list[Any]]


def formula_like(value: Any) -> bool:
    """True for a text a spreadsheet would run as a formula; numbers are never one."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def _csv_text(value: Any) -> Any:
    # OWASP's fix for a CSV cell: a single quote first makes the spreadsheet read it as text.
    return "'" + value if formula_like(value) else value


def flatten(row: dict[str, Any]) -> dict[str, Any]:
    """One export row as flat columns: rule ids, findings as text, ``fields.<key>`` columns."""
    flat = {k: v for k, v in row.items() if k not in ("findings", "fields")}
    flat["rules"] = ";".join(sorted({f["rule"] for f in row["findings"] if f["rule"]}))
    flat["findings"] = " | ".join(
        " ".join(part for part in (f["rule"] or "-", f"{f['field']}:" if f["field"] else "", f["message"]) if part)
        for f in row["findings"]
    )
    for key, value in row["fields"].items():
        flat[f"fields.{key}"] = ";".join(map(str, value)) if isinstance(value, list) else value
    return flat


def _field_labels() -> dict[str, list[str]]:
    """Each field's key -> its printed labels, the readiness plan's first (a key both forms have
    may be printed differently on each)."""
    labels: dict[str, list[str]] = {}
    for form_id in (FormId.READINESS_PLAN, FormId.REGISTRATION_PACKET):
        for field in load_form_spec(form_id).fields:
            if field.label not in labels.setdefault(field.key, []):
                labels[field.key].append(field.label)
    return labels


def _headers(columns: list[str], field_labels: dict[str, list[str]]) -> tuple[str, ...]:
    """The printed header of each column: a document's own, or its field's label (both forms'
    when they differ); one that another column has already is told apart by its key, since a
    spreadsheet's table needs each header once."""
    headers: list[str] = []
    for column in columns:
        key = column.removeprefix("fields.")
        header = DOCUMENT_COLUMNS.get(column) or " / ".join(field_labels.get(key, [key]))
        if header.casefold() in {h.casefold() for h in headers}:
            header = f"{header} ({key})"
        headers.append(header)
    return tuple(headers)


def document_table(engine: Engine, *, labels: bool = False) -> Table:
    """Every received document as one flat row (``flatten``), oldest received first: a document's
    own columns, then every field of both forms (the same columns whatever was received), headed
    by their keys or, with ``labels``, by the printed labels of the forms."""
    rows = [flatten(row) for row in export_rows(engine)]
    field_labels = _field_labels()
    columns = [*DOCUMENT_COLUMNS, *(f"fields.{key}" for key in field_labels)]
    known = set(columns)
    for row in rows:  # a value under a key the forms no longer have still goes out
        extra = [key for key in row if key not in known]
        columns.extend(extra)
        known.update(extra)
    headers = _headers(columns, field_labels) if labels else tuple(columns)
    return Table("Documents", tuple(columns), headers, [[row.get(column) for column in columns] for row in rows])


def _csv_value(value: Any, zone: ZoneInfo) -> Any:
    if isinstance(value, datetime):
        return iso_time(value, zone)
    return value.value if isinstance(value, Enum) else value


def write_documents(engine: Engine, handle: IO[str], fmt: str, zone: ZoneInfo, *, labels: bool = False) -> int:
    """Every received document in the export contract, as JSON or CSV, times in ``zone``; returns
    how many. ``labels`` heads the CSV's columns with the forms' printed labels.

    The CSV starts with a byte order mark (Excel reads UTF-8 only after one). A text that would be
    a formula starts with a quote, and lines end with CR LF: the csv module quotes a field only for
    the characters of its line terminator (before Python 3.13), and an unquoted carriage return
    would start a new row whose first cell could be a formula.
    """
    if fmt == "json":
        rows = [{**row, "received_at": iso_time(row["received_at"], zone)} for row in export_rows(engine)]
        json.dump(rows, handle, indent=1, ensure_ascii=False)
        handle.write("\n")
        return len(rows)
    table = document_table(engine, labels=labels)
    handle.write("\ufeff")
    writer = csv.writer(handle, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow([_csv_text(header) for header in table.headers])
    for row in table.rows:
        writer.writerow([_csv_text(_csv_value(value, zone)) for value in row])
    return len(table.rows)


def agencies(engine: Engine, reference: ReferenceData, zone: ZoneInfo) -> list[dict[str, Any]]:
    """Every CMHSP with the status of its readiness plan, the day (in ``zone``) it was accepted in
    a column of its own, and its registrations."""
    with Session(engine) as session:
        accepted = {
            plan.cmhsp_name: plan
            for plan in session.scalars(select(ReadinessPlanRecord).where(ReadinessPlanRecord.status == PlanStatus.ACCEPTED))
        }
        latest_plan: dict[str, Document] = {}
        for document in session.scalars(
            select(Document).where(Document.form_id == FormId.READINESS_PLAN, Document.superseded_by_id.is_(None)).order_by(Document.id)
        ):
            if isinstance(document.values.get("cmhsp_name"), str):
                latest_plan[document.values["cmhsp_name"]] = document
        registered: dict[str, int] = {}
        for agency in session.scalars(select(RegistrationRecord.cmhsp_name).where(RegistrationRecord.status == RegistrationStatus.REGISTERED)):
            registered[agency] = registered.get(agency, 0) + 1
        held: dict[str, int] = {}
        for document in session.scalars(
            select(Document).where(
                Document.form_id == FormId.REGISTRATION_PACKET, Document.outcome == Outcome.HELD.value, Document.superseded_by_id.is_(None)
            )
        ):
            agency = document.values.get("cmhsp_name")
            if isinstance(agency, str):
                held[agency] = held.get(agency, 0) + 1
    rows = []
    for name in reference.cmhsps:
        plan = accepted.get(name)
        latest = latest_plan.get(name)
        if plan is not None:
            status = PlanStatus.ACCEPTED.value
        elif latest is not None:
            status = latest.outcome.replace("_", " ")
        else:
            status = "no plan received"
        rows.append({
            "cmhsp": name, "plan_status": status,
            "plan_accepted_on": plan.accepted_at.astimezone(zone).date() if plan is not None else None,
            "psps_registered": registered.get(name, 0), "registrations_held": held.get(name, 0),
        })  # fmt: skip
    return rows


def _program_table(name: str, rows: list[dict[str, Any]]) -> Table:
    columns = PROGRAM_COLUMNS[name]
    return Table(name, columns, columns, [[row.get(column) for column in columns] for row in rows])


def _printable(value: Any) -> Any:
    """A text without the control characters a workbook cannot hold (a file name may have them),
    each shown as U+FFFD; openpyxl refuses the whole workbook otherwise."""
    return ILLEGAL_CHARACTERS_RE.sub("\ufffd", value) if isinstance(value, str) else value


def _cell_value(value: Any, zone: ZoneInfo) -> Any:
    """A value as a workbook cell holds it: a moment as the office's date-time, an enum as its
    value, a text without the characters a workbook cannot hold."""
    if isinstance(value, datetime):
        return spreadsheet_time(value, zone)
    if isinstance(value, Enum):
        return value.value
    return _printable(value)


def _text_as_strings(worksheet: Worksheet) -> None:
    """Every text a string cell: openpyxl makes a text that starts with "=" a formula (and "#N/A"
    an error). A formula-like text gets Excel's quote prefix, as when a person types '=x."""
    for row in worksheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"
                if formula_like(cell.value):
                    cell.quotePrefix = True


def _shown_length(value: Any) -> int:
    """How many characters a cell shows: a date-time as 2026-12-02 10:00, a text's longest line."""
    if value is None:
        return 0
    if isinstance(value, datetime):
        return len("2026-12-02 10:00")
    if isinstance(value, date):
        return len("2026-12-02")
    return max(len(line) for line in str(value).split("\n"))


def _fit_columns(worksheet: Worksheet) -> None:
    """Each column as wide as its widest cell (the header with room for its filter button), between
    ``NARROWEST`` and ``WIDEST`` characters; a date-time shown to the minute."""
    for column in worksheet.iter_cols():
        for cell in column[1:]:
            if isinstance(cell.value, datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"
        widest = max([_shown_length(column[0].value) + 3, *(_shown_length(cell.value) for cell in column[1:])])
        worksheet.column_dimensions[column[0].column_letter].width = min(max(widest + 2, NARROWEST), WIDEST)


def _write_sheet(worksheet: Worksheet, table: Table, zone: ZoneInfo) -> None:
    """A table on its sheet: the header (a column of moments names its zone), the rows, every text
    a string, an Excel table over them (a filter on each column), the header frozen, the columns
    sized to fit."""
    worksheet.append([
        _printable(f"{header} ({zone.key})" if column in TIME_COLUMNS else header)
        for column, header in zip(table.columns, table.headers, strict=True)
    ])  # fmt: skip
    for row in table.rows:
        worksheet.append([_cell_value(value, zone) for value in row])
    _text_as_strings(worksheet)
    # A table needs a row under its header: an empty sheet's table has one blank row.
    last = f"{get_column_letter(len(table.columns))}{max(len(table.rows), 1) + 1}"
    excel_table = ExcelTable(displayName=table.name, ref=f"A1:{last}")
    excel_table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
    worksheet.add_table(excel_table)
    worksheet.freeze_panes = "A2"
    _fit_columns(worksheet)


def write_workbook(
    engine: Engine, reference: ReferenceData, path: Path, today: date, zone: ZoneInfo, *, labels: bool = False
) -> dict[str, int]:
    """The coordinator's workbook, a sheet per table (the program's, then every document as the CSV
    has them, ``labels`` heading those by the forms' printed labels), times in ``zone``; returns
    the rows per sheet."""
    tables = [
        _program_table("Agencies", agencies(engine, reference, zone)),
        _program_table("PSPs", list_psps(engine, today)),
        _program_table("Sessions", session_seats(engine)),
        _program_table("Waiting", waiting_for_a_person(engine)),
        document_table(engine, labels=labels),
    ]
    workbook = Workbook()
    workbook.remove(workbook.active)
    for table in tables:
        _write_sheet(workbook.create_sheet(table.name), table, zone)
    workbook.save(path)
    return {table.name: len(table.rows) for table in tables}
