"""The exports read back as a person's tools read them (issue 19): pandas and openpyxl.

The CSV: UTF-8 with a byte order mark ("José" as written in Excel), the store id that ``review
show`` takes, times in the office's zone with their offset and always to the second (so
``pandas.read_csv(parse_dates=...)`` reads them), the forms' printed labels as headers on request.
The workbook: real date-time cells in the office's time, the zone in the header, each sheet an
Excel table with its filter, its header frozen and its columns sized to fit, a plan's status and
the day it was accepted in columns of their own, and the same documents as the CSV.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime, timedelta

import openpyxl
import pandas as pd
import pytest

from pipeline.clock import today
from pipeline.load import review
from pipeline.load.certification import list_psps
from pipeline.load.export import (
    PROGRAM_COLUMNS,
    agencies,
    write_documents,
    write_workbook,
)
from pipeline.load.queries import waiting_for_a_person
from pipeline.load.schedule import seed_schedule, session_seats
from tests.conftest import DETROIT, VALID_PACKET, VALID_PLAN, make_document

CEI = "Community Mental Health Authority of Clinton-Eaton-Ingham Counties"
NO_PLAN_AGENCY = "Detroit Wayne Integrated Health Network"
# 2026-12-02 10:00:00.123456 in Michigan (EST), and a time of summer (EDT): two offsets, and
# microseconds the store keeps but no export shows.
WINTER = datetime(2026, 12, 2, 15, 0, 0, 123456, tzinfo=UTC)
SUMMER = datetime(2026, 7, 1, 3, 30, tzinfo=UTC)  # 2026-06-30 23:30 in Michigan: the day before in UTC
TODAY = date(2026, 12, 10)


def received(form_id: str, values: dict, at: datetime, number: int, name: str):
    document = make_document(form_id, values, received_at=at, name=name)
    return document.model_copy(update={"received": document.received.model_copy(update={"sha256": f"{number:064d}"})})


@pytest.fixture
def store(engine, record, validation_context):
    """A plan accepted in winter, a packet registered on it, one held (its agency has no plan),
    and a packet of last summer whose PSP is José."""
    seed_schedule(engine, validation_context.reference.sessions)
    record(
        received("PSP-REG", {**VALID_PACKET, "psp_first_name": "José", "psp_email": "jose@example.org",
                             "hire_date": "06/15/2026", "psp_signature_date": "06/20/2026",
                             "supervisor_signature_date": "06/20/2026", "director_signature_date": "06/20/2026"},
                 SUMMER, 1, "summer.pdf"),
        received("PSP-ORP", VALID_PLAN, WINTER, 2, "plan.pdf"),
        received("PSP-REG", VALID_PACKET, WINTER + timedelta(minutes=5), 3, "packet.pdf"),
        received("PSP-REG", {**VALID_PACKET, "psp_email": "held@example.org", "cmhsp_name": NO_PLAN_AGENCY},
                 WINTER + timedelta(minutes=10), 4, "held.pdf"),
    )
    return engine


def csv_text(engine, **options) -> str:
    handle = io.StringIO()
    write_documents(engine, handle, "csv", DETROIT, **options)
    return handle.getvalue()


def csv_frame(text: str, **options) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(text.encode("utf-8")), **options)


def test_the_csv_starts_with_a_byte_order_mark_so_that_excel_reads_utf8(store):
    data = csv_text(store).encode("utf-8")
    assert data.startswith(b"\xef\xbb\xbfid,file,")
    frame = csv_frame(data.decode("utf-8"))
    assert frame.columns[0] == "id"  # pandas takes the mark off, as Excel does
    assert "José" in set(frame["fields.psp_first_name"])


def test_the_csv_id_is_the_one_review_show_takes(store):
    frame = csv_frame(csv_text(store))
    assert frame["file"].tolist() == ["summer.pdf", "plan.pdf", "packet.pdf", "held.pdf"]
    for number, file in zip(frame["id"], frame["file"], strict=True):
        assert review.show(store, int(number))["file"] == file


def test_csv_times_are_the_office_s_with_their_offset_in_one_format(store):
    times = csv_frame(csv_text(store), dtype=str)["received_at"].tolist()
    assert times == ["2026-06-30T23:30:00-04:00", "2026-12-02T10:00:00-05:00",
                     "2026-12-02T10:05:00-05:00", "2026-12-02T10:10:00-05:00"]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[-+]\d\d:\d\d", t) for t in times)
    # One format: every value reads with it, and says the moment the store holds.
    read = pd.to_datetime(pd.Series(times), format="%Y-%m-%dT%H:%M:%S%z", utc=True)
    assert read.iloc[0] == pd.Timestamp(SUMMER) and read.iloc[1] == pd.Timestamp(WINTER.replace(microsecond=0))


def test_pandas_read_csv_parses_the_times_of_one_season(engine, record, validation_context):
    # pandas keeps a column in one offset: a store whose times are all in winter reads as datetimes.
    seed_schedule(engine, validation_context.reference.sessions)
    record(received("PSP-ORP", VALID_PLAN, WINTER, 2, "plan.pdf"),
           received("PSP-REG", VALID_PACKET, WINTER + timedelta(seconds=90, microseconds=5), 3, "packet.pdf"))
    frame = csv_frame(csv_text(engine), parse_dates=["received_at"])
    assert str(frame["received_at"].dtype).startswith("datetime64")
    assert frame["received_at"].tolist() == [
        pd.Timestamp("2026-12-02 10:00:00-05:00"), pd.Timestamp("2026-12-02 10:01:30-05:00")]


def test_the_csv_headers_can_be_the_forms_printed_labels(store):
    keys = csv_frame(csv_text(store))
    labelled = csv_frame(csv_text(store, labels=True))
    assert labelled.shape == keys.shape
    headers = labelled.columns.tolist()
    assert headers[:4] == ["#", "File", "SHA-256", "Received"]
    assert "Community Mental Health Services Program (CMHSP)" in headers
    assert "First name" in headers and "fields.psp_first_name" not in headers
    assert "Executive Director signature / CMHSP Director or designee signature" in headers  # each form's
    assert len({h.casefold() for h in headers}) == len(headers)
    assert labelled["First name"].tolist() == keys["fields.psp_first_name"].tolist()


def test_the_json_has_the_ids_and_the_office_s_times_too(store):
    import json

    handle = io.StringIO()
    write_documents(store, handle, "json", DETROIT)
    rows = json.loads(handle.getvalue())
    assert [(r["id"], r["received_at"]) for r in rows][:2] == [(1, "2026-06-30T23:30:00-04:00"),
                                                               (2, "2026-12-02T10:00:00-05:00")]


@pytest.fixture
def workbook(store, validation_context, tmp_path):
    path = tmp_path / "psp.xlsx"
    counts = write_workbook(store, validation_context.reference, path, TODAY, DETROIT)
    return path, counts


def header_and_rows(sheet) -> tuple[list, list[dict]]:
    rows = list(sheet.iter_rows(values_only=True))
    return list(rows[0]), [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def test_each_sheet_is_an_excel_table_with_a_filter_its_header_frozen_and_columns_sized(workbook):
    path, counts = workbook
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Agencies", "PSPs", "Sessions", "Waiting", "Documents"]
    assert counts == {"Agencies": 46, "PSPs": 2, "Sessions": 6, "Waiting": 1, "Documents": 4}
    for sheet in book:
        (table,) = sheet.tables.values()
        assert table.displayName == sheet.title
        assert table.ref == f"A1:{sheet.cell(1, sheet.max_column).column_letter}{sheet.max_row}"
        assert table.autoFilter is not None and table.autoFilter.ref == table.ref
        assert sheet.freeze_panes == "A2"
        for column in sheet.iter_cols():
            width = sheet.column_dimensions[column[0].column_letter].width
            longest = max(len(str(cell.value)) for cell in column if cell.value is not None and not cell.is_date)
            assert min(longest, 58) <= width <= 60, (sheet.title, column[0].value, width)


def test_workbook_times_are_date_time_cells_in_the_office_s_time_the_zone_in_the_header(workbook):
    path, _ = workbook
    book = openpyxl.load_workbook(path)
    header, rows = header_and_rows(book["Documents"])
    assert "received_at (America/Detroit)" in header and "received_at" not in header
    times = [row["received_at (America/Detroit)"] for row in rows]
    assert times == [datetime(2026, 6, 30, 23, 30), datetime(2026, 12, 2, 10, 0), datetime(2026, 12, 2, 10, 5),
                     datetime(2026, 12, 2, 10, 10)]
    column = header.index("received_at (America/Detroit)") + 1
    assert all(cell.is_date and cell.number_format == "yyyy-mm-dd hh:mm"
               for cell in next(book["Documents"].iter_cols(min_col=column, max_col=column, min_row=2)))
    _, waiting = header_and_rows(book["Waiting"])
    assert [(w["file"], w["received_at (America/Detroit)"]) for w in waiting] == [
        ("held.pdf", datetime(2026, 12, 2, 10, 10))]
    frame = pd.read_excel(path, sheet_name="Documents")
    assert str(frame["received_at (America/Detroit)"].dtype).startswith("datetime64")


def test_a_plan_s_status_and_the_day_it_was_accepted_are_columns_of_their_own(workbook):
    path, _ = workbook
    frame = pd.read_excel(path, sheet_name="Agencies").set_index("cmhsp")
    assert frame.loc[CEI, "plan_status"] == "accepted"
    assert frame.loc[CEI, "plan_accepted_on"].date() == today(DETROIT)  # recorded now
    assert frame.loc[NO_PLAN_AGENCY, "plan_status"] == "no plan received"
    assert pd.isna(frame.loc[NO_PLAN_AGENCY, "plan_accepted_on"])
    assert set(frame["plan_status"]) <= {"accepted", "needs review", "held", "rejected", "no plan received"}


def test_the_accepted_day_is_the_office_s(store, validation_context):
    from sqlalchemy import update

    from pipeline.load.store import ReadinessPlanRecord

    with store.begin() as connection:  # accepted at 9 p.m. in Michigan: the next day in UTC
        connection.execute(update(ReadinessPlanRecord).values(accepted_at=datetime(2026, 12, 3, 2, 0, tzinfo=UTC)))
    row = next(a for a in agencies(store, validation_context.reference, DETROIT) if a["cmhsp"] == CEI)
    assert (row["plan_status"], row["plan_accepted_on"]) == ("accepted", date(2026, 12, 2))


def test_the_workbook_has_the_same_documents_as_the_csv(workbook, store):
    path, _ = workbook
    in_csv = csv_frame(csv_text(store), dtype=str, keep_default_na=False)
    _, rows = header_and_rows(openpyxl.load_workbook(path)["Documents"])
    assert [row["id"] for row in rows] == [int(i) for i in in_csv["id"]]
    assert [row["file"] for row in rows] == in_csv["file"].tolist()
    columns = [c if c != "received_at" else "received_at (America/Detroit)" for c in in_csv.columns]
    assert list(rows[0]) == columns


def test_the_workbook_headers_can_be_the_printed_labels(store, validation_context, tmp_path):
    path = tmp_path / "labels.xlsx"
    write_workbook(store, validation_context.reference, path, TODAY, DETROIT, labels=True)
    header, rows = header_and_rows(openpyxl.load_workbook(path)["Documents"])
    assert header[:4] == ["#", "File", "SHA-256", "Received (America/Detroit)"]
    assert [row["First name"] for row in rows] == ["José", None, "Jordan", "Jordan"]


def test_the_program_sheets_declare_every_column_their_rows_have(store, validation_context):
    # An empty sheet is headed by the declared columns: they must be all the rows have.
    rows = {
        "Agencies": agencies(store, validation_context.reference, DETROIT),
        "PSPs": list_psps(store, TODAY),
        "Sessions": session_seats(store),
        "Waiting": waiting_for_a_person(store),
    }
    for name, sheet_rows in rows.items():
        assert sheet_rows, name
        assert tuple(sheet_rows[0]) == PROGRAM_COLUMNS[name], name


def test_an_empty_store_gives_sheets_with_their_headers_and_tables(engine, validation_context, tmp_path):
    path = tmp_path / "empty.xlsx"
    counts = write_workbook(engine, validation_context.reference, path, TODAY, DETROIT)
    assert counts["Documents"] == counts["PSPs"] == counts["Waiting"] == 0
    book = openpyxl.load_workbook(path)
    header, _ = header_and_rows(book["PSPs"])
    assert tuple(header) == PROGRAM_COLUMNS["PSPs"]
    assert book["Documents"].tables["Documents"].ref.startswith("A1:")
    assert csv_text(engine).startswith("\ufeffid,file,")
