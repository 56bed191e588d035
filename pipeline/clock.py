"""One clock: every time a person sees is the program office's (``Settings.zone``, PSP_TIMEZONE), with
the zone shown, and every date a person types is read in the formats the program prints.

The store keeps aware UTC times (``load.store.UtcDateTime``). They become the office's time here,
where they are shown or written out: on the command line as ``2026-12-02 10:00 EST``, in a CSV as
ISO 8601 with the offset and always to the second (``2026-12-02T10:00:00-05:00``, never
microseconds, so that one format reads them all), in a workbook as the local date-time (Excel keeps
no zone: the column's header names it).
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from pipeline.errors import BadInputError
from schemas.values import parse_date

__all__ = ["iso_time", "not_after_today", "shown_day", "shown_time", "spreadsheet_time", "today", "typed_day"]


def shown_time(moment: datetime, zone: ZoneInfo) -> str:
    """A moment as a person reads it: the office's date and time to the minute, and the zone's
    abbreviation (EST or EDT), so that it is never taken for UTC or the reader's own zone."""
    return f"{moment.astimezone(zone):%Y-%m-%d %H:%M %Z}"


def shown_day(moment: datetime, zone: ZoneInfo) -> str:
    """The office's day of a moment (a file received at 22:00 in Michigan was received that day,
    though it is the next day in UTC), as the program prints days: YYYY-MM-DD."""
    return f"{moment.astimezone(zone):%Y-%m-%d}"


def iso_time(moment: datetime, zone: ZoneInfo) -> str:
    """A moment for a file a program reads back (CSV, JSON): the office's time, ISO 8601 with its
    offset, always to the second, so that every value of a column has one format."""
    return moment.astimezone(zone).isoformat(timespec="seconds")


def spreadsheet_time(moment: datetime, zone: ZoneInfo) -> datetime:
    """A moment for a workbook cell: the office's date and time to the second, without a zone
    (Excel keeps none; the column's header names the zone)."""
    return moment.astimezone(zone).replace(tzinfo=None, microsecond=0)


def today(zone: ZoneInfo) -> date:
    """Today in the program office, whatever the machine's own zone (a server on UTC is a day
    ahead from 7 or 8 p.m. in Michigan)."""
    return datetime.now(zone).date()


def typed_day(text: str, what: str) -> date:
    """A date a person typed (``what`` names where: an option, a column), read in the formats the
    program prints (MM/DD/YYYY as ``sessions list`` and ``psp list`` print it, YYYY-MM-DD as the
    other commands and the exports do) and the others a form's dates are read in; one line saying
    how to write it otherwise."""
    try:
        return parse_date(text)
    except ValueError as exc:
        raise BadInputError(f"{what}: {exc}.") from exc


def not_after_today(day: date, what: str, zone: ZoneInfo, now: date | None = None) -> date:
    """``day`` when it is today or before in the office (``now``, default today there): a
    certification or a training that is recorded has happened. One line otherwise."""
    now = now or today(zone)
    if day > now:
        raise BadInputError(
            f"{what}: {day:%m/%d/%Y} is in the future (today is {now:%m/%d/%Y} in {zone.key}).",
            hint="Record it once it has happened, with the date it happened.",
        )
    return day
