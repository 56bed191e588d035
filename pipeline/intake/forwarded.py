"""Forwarded mail: who at which agency really sent a form, and when.

The coordinator and colleagues forward agencies' emails into the inbox, as an attached message
(``message/rfc822``, Outlook's "Forward as attachment") or inline, the agency's headers quoted in
the body:

    ---------- Forwarded message ---------          (Gmail)
    From: Avery Sample <avery@agency.example.org>
    Date: Tue, Dec 1, 2026 at 9:30 AM

    From: Avery Sample [mailto:avery@agency.example.org]   (Outlook)
    Sent: Tuesday, December 1, 2026 9:30 AM

    Begin forwarded message:                        (Apple Mail)
    From: Avery Sample <avery@agency.example.org>
    Date: December 1, 2026 at 9:30:00 AM EST

A notice goes back to the agency, never to the colleague who forwarded it, and the form counts as
received when the agency sent it. The program office is known by its own addresses and domains
(``PSP_OFFICE_DOMAINS``, and the coordinator's address): an email from one of them is a forward.
Its agency is the first sender found inside it that is not the office: an attached message
before one quoted in a body, outermost first. When none is found the notice goes to the form's own
contact (never an office address), and with none either it waits for a person.
"""

from __future__ import annotations

import html
import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from email.utils import getaddresses
from zoneinfo import ZoneInfo

from dateutil import parser as date_parser

# The program office's time zone (``PSP_TIMEZONE``'s default): a quoted time without a zone is its.
OFFICE_TIMEZONE = "America/Detroit"

# Only the start of a body is searched: forwarded headers come before the quoted text they head.
BODY_LIMIT = 200_000

# A quoted header line: "> From: ...", "*From:* ...", "From: ..."
_HEADER = re.compile(r"^[\s>]*\**(From|Sent|Date|To|Subject|Cc)\s*:\**\s*(.*)$", re.IGNORECASE)
_MAILTO = re.compile(r"[\[<(]\s*mailto:\s*([^\]>)\s]+)\s*[\]>)]", re.IGNORECASE)
_TAG = re.compile(r"<[^>]{0,2000}>")
_BREAK_TAGS = re.compile(r"<\s*(br|/p|/div|/tr|/li)\b[^>]{0,200}>", re.IGNORECASE)

# US zones as forwarded headers print them (dateutil knows no abbreviations by itself).
_ZONES = {name: timezone(timedelta(hours=hours)) for name, hours in {
    "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7, "UTC": 0, "GMT": 0,
}.items()}  # fmt: skip


@dataclass(frozen=True)
class Origin:
    """One sender found in an email: its own, an attached message's, or a quoted forward's."""

    address: str | None  # None: a name without an address (Outlook often quotes only the name)
    sent_at: datetime | None  # aware; None when no time could be read


@dataclass(frozen=True)
class Office:
    """The program office's own addresses and domains: mail from them is forwarded, not sent."""

    domains: frozenset[str] = frozenset()
    addresses: frozenset[str] = frozenset()

    @classmethod
    def of(cls, domains: Iterable[str], addresses: Iterable[str]) -> Office:
        """The office from settings' lists as people write them: blanks dropped, case folded, a
        domain's leading ``@`` taken off."""
        return cls(frozenset(d.strip().lstrip("@").casefold() for d in domains if d.strip()),
                   frozenset(a.strip().casefold() for a in addresses if a.strip()))

    def owns(self, address: str) -> bool:
        """Whether ``address`` is the office's: one of its addresses, or at one of its domains or
        their subdomains."""
        address = address.strip().casefold()
        if address in self.addresses:
            return True
        domain = address.rpartition("@")[2]
        return any(domain == d or domain.endswith("." + d) for d in self.domains)


def address_of(text: str | None) -> str | None:
    """The first email address in a header's text (``Name <a@b>``, ``Name [mailto:a@b]``), or None."""
    if not text:
        return None
    text = _MAILTO.sub(r"<\1>", text)
    for _, address in getaddresses([text]):
        if "@" in address and " " not in address.strip():
            return address.strip()
    return None


def quoted_time(text: str, zone: ZoneInfo) -> datetime | None:
    """A forwarded header's time (``Tuesday, December 1, 2026 9:30 AM``), in ``zone`` when it names
    none, as UTC (like an email's own Date); None when it is not a time at all."""
    cleaned = re.sub(r"\bat\b", " ", text.strip(), flags=re.IGNORECASE)[:120]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # an unknown zone name: read as local
            moment = date_parser.parse(cleaned, fuzzy=True, tzinfos=_ZONES)
    except (ValueError, OverflowError, TypeError):
        return None
    if not 1900 <= moment.year <= 2199:
        return None
    return (moment.replace(tzinfo=zone) if moment.tzinfo is None else moment).astimezone(UTC)


def body_text(raw: str, is_html: bool) -> str:
    """A body's text, cut at ``BODY_LIMIT``; an HTML body with its tags taken out, its breaks kept."""
    raw = raw[:BODY_LIMIT]
    if is_html:
        raw = html.unescape(_TAG.sub("", _BREAK_TAGS.sub("\n", raw)))
    return raw


def quoted_origins(text: str, zone: ZoneInfo) -> list[Origin]:
    """The senders of the forwarded headers quoted in a body, outermost first.

    A block is a run of header lines (``From:``, ``Sent:``/``Date:``, ``To:``, ``Subject:``, in
    any order: Thunderbird puts Subject and Date first); it counts only when it has a ``From:``,
    a ``Sent:`` or ``Date:`` and a ``To:`` or ``Subject:``: a sentence that begins with "From:" is
    not one.
    """
    found: list[Origin] = []

    def close(block: dict[str, str]) -> None:
        when = block.get("sent") or block.get("date")
        if "from" in block and when is not None and {"to", "subject"} & block.keys():
            found.append(Origin(address_of(block["from"]), quoted_time(when, zone)))

    block: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            continue  # a blank line inside a block (Thunderbird's table) does not end it
        header = _HEADER.match(line)
        if header is not None and header.group(1).casefold() not in block:
            block[header.group(1).casefold()] = header.group(2)
            continue
        close(block)
        block = {header.group(1).casefold(): header.group(2)} if header is not None else {}
    close(block)
    return found


def agency_origin(sender: str | None, sent_at: datetime | None, inner: list[Origin], office: Office) -> tuple[Origin, bool]:
    """Who sent the form and when, and whether the email was forwarded by the office.

    The email's own sender when it is not the office's; otherwise the first sender inside it
    (``inner``, outermost first) that is not the office's: a quoted name without an address still
    tells when the agency sent it. An origin with neither when there is none."""
    if sender is None or not office.owns(sender):
        return Origin(sender, sent_at), False
    for origin in inner:
        if origin.address is None or not office.owns(origin.address):
            return origin, True
    return Origin(None, None), True
