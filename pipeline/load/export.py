"""Exports of the tracking store: every received document (JSON, CSV) and the coordinator's
workbook (xlsx: agencies and plan status, PSPs and certification, sessions and seats, waiting).

Names and file names come from outside: in the spreadsheets (CSV, xlsx) a text that would be a
formula is written as text, following OWASP's CSV-injection guidance; the JSON keeps every value.
"""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path
from typing import IO, Any

import pandas as pd
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

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

# OWASP's list: a spreadsheet takes a cell that starts with one of these for a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


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


def write_documents(engine: Engine, handle: IO[str], fmt: str) -> int:
    """Every received document in the export contract, as JSON or CSV; returns how many.

    In the CSV a text that would be a formula starts with a quote, and lines end with CR LF: the
    csv module quotes a field only for the characters of its line terminator (before Python 3.13),
    and an unquoted carriage return would start a new row whose first cell could be a formula.
    """
    rows = list(export_rows(engine))
    if fmt == "json":
        json.dump(rows, handle, indent=1, ensure_ascii=False)
        handle.write("\n")
    else:
        flat = [{_csv_text(k): _csv_text(v) for k, v in flatten(r).items()} for r in rows]
        pd.DataFrame(flat).to_csv(handle, index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    return len(rows)


def agencies(engine: Engine, reference: ReferenceData) -> list[dict[str, Any]]:
    """Every CMHSP with the status of its readiness plan and its registrations."""
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
            status = f"accepted {plan.accepted_at:%Y-%m-%d}"
        elif latest is not None:
            status = latest.outcome.replace("_", " ")
        else:
            status = "no plan received"
        rows.append(
            {"cmhsp": name, "plan_status": status, "psps_registered": registered.get(name, 0), "registrations_held": held.get(name, 0)}
        )
    return rows


def _naive(value: Any) -> Any:
    # Excel keeps no time zones: write UTC times as plain date-times.
    if hasattr(value, "tzinfo") and value.tzinfo is not None:
        return value.replace(tzinfo=None)
    return value


def _printable(value: Any) -> Any:
    """A text without the control characters a workbook cannot hold (a file name may have them),
    each shown as U+FFFD; openpyxl refuses the whole workbook otherwise."""
    return ILLEGAL_CHARACTERS_RE.sub("\ufffd", value) if isinstance(value, str) else value


def _text_as_strings(worksheet: Worksheet) -> None:
    """Every text a string cell: openpyxl makes a text that starts with "=" a formula (and "#N/A"
    an error). A formula-like text gets Excel's quote prefix, as when a person types '=x."""
    for row in worksheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"
                if formula_like(cell.value):
                    cell.quotePrefix = True


def write_workbook(engine: Engine, reference: ReferenceData, path: Path, today: date) -> dict[str, int]:
    """The coordinator's workbook, one sheet per table, every text a string; returns the rows per sheet."""
    sheets = {
        "Agencies": agencies(engine, reference),
        "PSPs": list_psps(engine, today),
        "Sessions": session_seats(engine),
        "Waiting": [{k: _naive(v) for k, v in row.items()} for row in waiting_for_a_person(engine)],
    }
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, rows in sheets.items():
            frame = pd.DataFrame([{_printable(k): _printable(v) for k, v in row.items()} for row in rows])
            frame.to_excel(writer, sheet_name=name, index=False)
            worksheet = writer.sheets[name]
            _text_as_strings(worksheet)
            for column in worksheet.columns:
                width = max((len(str(cell.value)) for cell in column if cell.value is not None), default=8)
                worksheet.column_dimensions[column[0].column_letter].width = min(max(width + 2, 10), 60)
            worksheet.freeze_panes = "A2"
    return {name: len(rows) for name, rows in sheets.items()}
