"""One clock (issue 19): times shown in the office's zone with the zone, written out to the second
with their offset, dates typed read as the program prints them, and none in the future recorded."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from pipeline.clock import (
    iso_time,
    not_after_today,
    shown_day,
    shown_time,
    spreadsheet_time,
    today,
    typed_day,
)
from pipeline.errors import BadInputError

DETROIT = ZoneInfo("America/Detroit")
WINTER = datetime(2026, 12, 3, 2, 30, 15, 987654, tzinfo=UTC)  # 9:30 p.m. on December 2 in Michigan
SUMMER = datetime(2026, 7, 1, 14, 0, tzinfo=UTC)


def test_a_time_is_shown_in_the_office_s_zone_with_the_zone():
    assert shown_time(WINTER, DETROIT) == "2026-12-02 21:30 EST"
    assert shown_time(SUMMER, DETROIT) == "2026-07-01 10:00 EDT"
    assert shown_time(WINTER, ZoneInfo("UTC")) == "2026-12-03 02:30 UTC"


def test_the_day_shown_is_the_office_s():
    assert shown_day(WINTER, DETROIT) == "2026-12-02"


def test_a_time_written_out_has_its_offset_and_never_microseconds():
    assert iso_time(WINTER, DETROIT) == "2026-12-02T21:30:15-05:00"
    assert iso_time(SUMMER, DETROIT) == "2026-07-01T10:00:00-04:00"


def test_a_workbook_time_is_the_office_s_without_a_zone():
    assert spreadsheet_time(WINTER, DETROIT) == datetime(2026, 12, 2, 21, 30, 15)


def test_today_is_the_office_s():
    assert today(DETROIT) == datetime.now(DETROIT).date()


@pytest.mark.parametrize("typed", ["01/15/2027", "1/15/2027", "2027-01-15", "January 15, 2027"])
def test_a_typed_date_is_read_in_the_formats_the_program_prints(typed):
    assert typed_day(typed, "--certified") == date(2027, 1, 15)


def test_a_typed_date_that_is_no_date_says_how_to_write_it():
    with pytest.raises(BadInputError, match="--certified: 'soon' is not a date.*MM/DD/YYYY"):
        typed_day("soon", "--certified")


def test_a_day_after_today_has_not_happened():
    assert not_after_today(date(2026, 12, 2), "--certified", DETROIT, now=date(2026, 12, 2)) == date(2026, 12, 2)
    with pytest.raises(BadInputError, match=r"--certified: 12/03/2026 is in the future \(today is 12/02/2026 in America/Detroit\)"):
        not_after_today(date(2026, 12, 3), "--certified", DETROIT, now=date(2026, 12, 2))
