"""Formulas in exports: names and file names that start with =, +, -, @, tab or carriage return,
stored through the pipeline and written to the CSV, JSON and xlsx exports.

Issue 16, item 3: such a text was a live formula in the coordinator's workbook (openpyxl makes
every string starting with "=" a formula cell) and was left as it is in the CSV, where a
spreadsheet reads it as a formula too. Following OWASP's CSV-injection guidance, a CSV cell of such
text now begins with a single quote; in the xlsx every text is a string cell, and such a text has
Excel's quote prefix, so it shows as itself. The store and the JSON export keep the value as it is,
and numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import date, timedelta

import openpyxl
import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from pipeline.clock import iso_time
from pipeline.load import program, queries, schedule, store
from pipeline.load.export import write_documents, write_workbook
from tests.conftest import DETROIT, RECEIVED_AT, VALID_PACKET, VALID_PLAN, make_document

HYPERLINK = '=HYPERLINK("http://127.0.0.1/x","y")'
ATTACKS = [HYPERLINK, "+1", "-2+3", "@SUM(1)", "\t=1", "\r=1"]
# The pipeline trims a name's leading whitespace when it reads it: "\t=1" is stored as "=1".
STORED_NAMES = [attack.lstrip("\t\r") for attack in ATTACKS]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A carriage return inside a name: where a CSV line broke there, "=2+3" began a row.
CR_INSIDE = "scan\r=2+3.pdf"
# A control character no workbook can hold: openpyxl refused the whole workbook for it.
BELL = "bell\x07.pdf"
NO_PLAN_AGENCY = "Detroit Wayne Integrated Health Network"


def formula_like(text: object) -> bool:
    return isinstance(text, str) and text.startswith(FORMULA_STARTS)


def is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@pytest.fixture(scope="module")
def exports(module_database_url, validation_context, tmp_path_factory):
    """The CSV, the JSON and the xlsx of a store that holds every attack as a file name and a name."""
    folder = tmp_path_factory.mktemp("formulas")
    engine = store.open_store(module_database_url)
    sessions = dict(validation_context.reference.sessions)
    sessions["2027-01-LAN"] = replace(sessions["2027-01-LAN"], location=HYPERLINK)  # the coordinator's CSV
    schedule.seed_schedule(engine, sessions)

    documents = [make_document("PSP-ORP", {**VALID_PLAN, "contact_name": HYPERLINK}, name=HYPERLINK)]
    for n, attack in enumerate(ATTACKS, start=1):
        # Registered (the plan came first): the name is on the PSPs sheet.
        documents.append(make_document(
            "PSP-REG", {**VALID_PACKET, "psp_first_name": attack, "psp_email": f"psp{n}@example.org"},
            received_at=RECEIVED_AT + timedelta(minutes=n), name=attack,
        ))
        # Held (its agency has no plan): the file name is on the Waiting sheet.
        documents.append(make_document(
            "PSP-REG",
            {**VALID_PACKET, "psp_first_name": attack, "psp_email": f"held{n}@example.org", "cmhsp_name": NO_PLAN_AGENCY},
            received_at=RECEIVED_AT + timedelta(minutes=10 + n), name=attack,
        ))
    documents.append(make_document(
        "PSP-REG", {**VALID_PACKET, "psp_email": "scan@example.org", "cmhsp_name": NO_PLAN_AGENCY},
        received_at=RECEIVED_AT + timedelta(minutes=30), name=CR_INSIDE,
    ))
    documents = [
        d.model_copy(update={"received": d.received.model_copy(update={"sha256": f"{n:064d}"})})
        for n, d in enumerate(documents, start=1)
    ]
    run_id = store.start_run(engine)
    stored, _ = program.record_batch(
        engine, run_id, documents, validation_context, lambda received, outcome: folder / outcome.value / received.sha256
    )
    assert [s.outcome.value for s in stored] == ["accepted"] + ["accepted", "held"] * len(ATTACKS) + ["held"]

    # Nothing in the pipeline stores a negative number today (a value out of range stays text), so
    # put some in, to see that the exports leave numbers alone.
    with Session(engine) as session, session.begin():
        plan = session.scalars(select(store.Document).where(store.Document.form_id == "PSP-ORP")).one()
        plan.values = {**plan.values, "psp_positions_planned": -2, "fte_per_position": -0.5}
        session.execute(
            update(store.TrainingSessionRow).where(store.TrainingSessionRow.session_id == "2027-03-GR").values(capacity=-1)
        )

    csv_handle, json_handle = io.StringIO(), io.StringIO()
    write_documents(engine, csv_handle, "csv", DETROIT)
    write_documents(engine, json_handle, "json", DETROIT)
    workbook = folder / "psp.xlsx"
    write_workbook(engine, validation_context.reference, workbook, date(2026, 12, 10), DETROIT)
    stored = [{**row, "received_at": iso_time(row["received_at"], DETROIT)} for row in queries.export_rows(engine)]
    expected_json = json.dumps(stored, indent=1, ensure_ascii=False) + "\n"
    engine.dispose()
    return {
        "csv": csv_handle.getvalue(),
        "json": json_handle.getvalue(),
        "expected_json": expected_json,
        "xlsx": openpyxl.load_workbook(workbook),
    }


def test_the_store_and_json_keep_every_value_as_it_is(exports):
    assert exports["json"] == exports["expected_json"]
    rows = json.loads(exports["json"])
    files = [row["file"] for row in rows]
    assert files == [HYPERLINK, *ATTACKS, *ATTACKS, CR_INSIDE]
    assert rows[0]["fields"]["contact_name"] == HYPERLINK
    assert [row["fields"]["psp_first_name"] for row in rows[1:-1]] == STORED_NAMES * 2
    assert all(formula_like(name) for name in STORED_NAMES)


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline="")))


def test_a_csv_cell_that_would_be_a_formula_begins_with_a_quote(exports):
    rows, originals = csv_rows(exports["csv"]), json.loads(exports["json"])
    assert len(rows) == len(originals)
    for row, original in zip(rows[:-1], originals[:-1], strict=True):
        assert row["file"] == "'" + original["file"]
        for key in ("psp_first_name", "contact_name"):
            if key in original["fields"]:
                assert row[f"fields.{key}"] == "'" + original["fields"][key]
    for row in rows:
        for column, cell in row.items():
            assert not formula_like(column)
            assert not formula_like(cell) or is_number(cell), (column, cell)


def test_a_carriage_return_does_not_start_a_new_csv_row(exports):
    # Python's csv module (before 3.13) quotes a field only for the characters of its line
    # terminator: with "\n" alone, "'\r=1" went out unquoted and "=1" began a line of its own, as
    # "=2+3" did after "scan".
    assert "\"'\r=1\"," in exports["csv"] and f'"{CR_INSIDE}",' in exports["csv"]
    rows = csv_rows(exports["csv"])
    assert len(rows) == len(json.loads(exports["json"]))
    assert [row["file"] for row in rows].count("'\r=1") == 2
    assert rows[-1]["file"] == CR_INSIDE


def test_the_csv_keeps_numbers_as_numbers(exports):
    plan, packet = csv_rows(exports["csv"])[:2]
    assert float(plan["fields.psp_positions_planned"]) == -2
    assert float(plan["fields.fte_per_position"]) == -0.5
    assert (plan["fields.lived_experience_parent"], packet["fields.lived_experience_parent"]) == ("", "True")


def test_the_workbook_has_no_formula_and_shows_each_text_as_itself(exports):
    workbook = exports["xlsx"]
    assert workbook.sheetnames == ["Agencies", "PSPs", "Sessions", "Waiting", "Documents"]
    for sheet in workbook:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert cell.data_type == "s", (sheet.title, cell.coordinate, cell.value)
                    assert bool(cell.quotePrefix) == formula_like(cell.value), (sheet.title, cell.coordinate, cell.value)

    def column(sheet: str, header: str) -> list:
        rows = list(workbook[sheet].iter_rows(values_only=True))
        return [row[rows[0].index(header)] for row in rows[1:]]

    assert column("Waiting", "file") == [*ATTACKS, CR_INSIDE]
    assert column("Documents", "file") == [HYPERLINK, *ATTACKS, *ATTACKS, CR_INSIDE]
    assert column("PSPs", "name") == [f"{name} Example" for name in STORED_NAMES]
    assert HYPERLINK in column("Sessions", "location")


def test_the_workbook_keeps_numbers_as_numbers(exports):
    sessions = exports["xlsx"]["Sessions"]
    header = [cell.value for cell in sessions[1]]
    capacity = {row[0].value: row[header.index("capacity")] for row in sessions.iter_rows(min_row=2)}
    assert capacity["2027-03-GR"].value == -1 and capacity["2027-03-GR"].data_type == "n"
    assert capacity["2027-01-LAN"].value == 24 and capacity["2027-01-LAN"].data_type == "n"
    psps = exports["xlsx"]["PSPs"]
    assert all(row[0].data_type == "n" and isinstance(row[0].value, int) for row in psps.iter_rows(min_row=2))


def test_a_control_character_in_a_file_name_does_not_stop_the_workbook(database_url, validation_context, tmp_path):
    engine = store.open_store(database_url)
    schedule.seed_schedule(engine, validation_context.reference.sessions)
    held = make_document("PSP-REG", {**VALID_PACKET, "cmhsp_name": NO_PLAN_AGENCY}, name=BELL)
    program.record_batch(engine, store.start_run(engine), [held], validation_context,
                         lambda received, outcome: tmp_path / outcome.value / received.sha256)
    write_workbook(engine, validation_context.reference, tmp_path / "psp.xlsx", date(2026, 12, 10), DETROIT)
    engine.dispose()
    waiting = [cell.value for row in openpyxl.load_workbook(tmp_path / "psp.xlsx")["Waiting"].iter_rows() for cell in row]
    assert "bell\ufffd.pdf" in waiting
