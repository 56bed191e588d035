"""Notices back to submitters. A rejected document gets one email (.eml) listing each problem
once, by the field's printed label, in plain words, with what to do and how to send the form
again; a held registration gets one saying why it waits and that nothing needs doing.

Notices are standard RFC 5322 messages built with the standard library's email package and
written to the outbox folder ``notices/``; ``psp-pipeline notices send`` delivers them later
(``pipeline.report.sending``). Everything in them that came from a document is plain text: the
body is ``text/plain`` and header values are stripped of line breaks and control characters.
"""

from __future__ import annotations

import os
import re
import socket
import unicodedata
from email.headerregistry import BaseHeader, HeaderRegistry
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import formataddr, formatdate, make_msgid, parseaddr
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from pipeline.model import Outcome
from schemas.spec import FormId, load_form_spec

_TEXT_TEMPLATES = Environment(
    loader=PackageLoader("pipeline.report", "templates"),
    autoescape=False,  # plain-text email: nothing is interpreted as markup
    undefined=StrictUndefined,
    keep_trailing_newline=True,
    trim_blocks=True,
    lstrip_blocks=True,
)

# The host's name as a file name may hold it (a temporary notice's).
_WRITER = re.sub(r"[^A-Za-z0-9.-]", "_", socket.gethostname())[:64] or "host"


class _HeaderClasses(HeaderRegistry):
    """The standard library's header classes, each made once: its registry makes a new class for
    every header of every message, a third of the cost of building a notice."""

    def __init__(self) -> None:
        super().__init__()
        self._made: dict[str, type] = {}

    def __getitem__(self, name: str) -> type:
        key = name.lower()
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = super().__getitem__(name)
        return made


NOTICE_POLICY = default_policy.clone(header_factory=_HeaderClasses())


@lru_cache(maxsize=64)
def _fixed_header(name: str, value: str) -> BaseHeader:
    """A header that is the same in many notices (the coordinator's address, the form), parsed
    once: a message keeps a header object it is given as it is, and parsing is most of the cost
    of setting a header."""
    return NOTICE_POLICY.header_factory(name, value)

# Who a notice goes to, by form: the first of these that holds a well-formed address.
ADDRESS_FIELDS = {
    "PSP-ORP": ("contact_email", "supervisor_email"),
    "PSP-REG": ("supervisor_email", "psp_email"),
}
EMAIL_SHAPE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


# The outcomes that send a notice back, with the template of each.
NOTICE_TEMPLATES = {
    Outcome.REJECTED: "rejection_notice.txt.j2",
    Outcome.HELD: "held_notice.txt.j2",
}


def _address(text: str | None) -> str | None:
    """A single well-formed address (``Name <a@b.org>`` keeps its name), else None."""
    if not text or any(unicodedata.category(ch)[0] == "C" for ch in text):
        return None
    name, address = parseaddr(text)
    if not EMAIL_SHAPE.match(address):
        return None
    return formataddr((name, address)) if name else address


def notice_address(form_id: str | None, values: dict[str, Any], sender: str | None) -> str | None:
    """The sender of the email a form came in, otherwise the contact (plan) or the supervisor
    (packet) on the form; None when none of them is a usable address."""
    if sender and (address := _address(sender.strip())):
        return address
    for key in ADDRESS_FIELDS.get(form_id or "", ()):
        candidate = values.get(key)
        if isinstance(candidate, str) and (address := _address(candidate.strip())):
            return address
    return None


def header_text(text: str, limit: int = 120) -> str:
    """Text from a document made safe for a header: one line, no control characters, not too long."""
    flat = "".join(" " if unicodedata.category(ch)[0] in "CZ" else ch for ch in text)
    flat = " ".join(flat.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def distinct_findings(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each problem once: the same rule, field and message reported twice is one problem."""
    seen: set[tuple[Any, ...]] = set()
    kept = []
    for finding in findings:
        key = (finding.get("rule"), finding.get("field") or finding.get("label"), finding.get("message"))
        if key not in seen:
            seen.add(key)
            kept.append(finding)
    return kept


def _about(form_id: str, values: dict[str, Any]) -> str | None:
    """Whom the form is about, as the submitter would say it: the PSP, or the agency."""
    def text(key: str) -> str:
        value = values.get(key)
        return value.strip() if isinstance(value, str) else ""

    if form_id == FormId.REGISTRATION_PACKET:
        name = " ".join(part for part in (text("psp_first_name"), text("psp_last_name")) if part)
        return name or None
    return text("cmhsp_name") or None


def build_notice(
    outcome: Outcome,
    *,
    form_id: str,
    form_version: str | None,
    file_name: str,
    received_day: str,
    findings: list[dict[str, Any]],
    to_address: str | None,
    coordinator: dict[str, str],
    values: dict[str, Any] | None = None,
) -> EmailMessage:
    """The notice for a rejected or held document. ``findings`` are the document's findings as
    dicts (rule, field, label, severity, message); each distinct problem is listed once."""
    if outcome not in NOTICE_TEMPLATES:
        raise ValueError(f"no notice is sent for a document that is {outcome.value}")
    spec = load_form_spec(form_id)
    findings = distinct_findings(findings)
    deciding = "error" if outcome is Outcome.REJECTED else "hold"
    body = _TEXT_TEMPLATES.get_template(NOTICE_TEMPLATES[outcome]).render(
        form_title=spec.title,
        form_version=form_version or spec.version,
        file_name=header_text(file_name, limit=200),
        about=_about(form_id, values or {}),
        received_day=received_day,
        problems=[f for f in findings if f.get("severity") == deciding],
        others=[f for f in findings if f.get("severity") != deciding],
        coordinator_name=coordinator["name"],
        coordinator_email=coordinator["email"],
        coordinator_phone=coordinator["phone"],
    )
    subject = (
        f"{spec.title}: please correct and resend ({header_text(file_name)})"
        if outcome is Outcome.REJECTED
        else f"{spec.title}: received, waiting ({header_text(file_name)})"
    )
    message = EmailMessage(policy=NOTICE_POLICY)
    message["From"] = _fixed_header("From", formataddr((coordinator["name"], coordinator["email"])))
    if to_address:
        message["To"] = to_address
    message["Reply-To"] = _fixed_header("Reply-To", coordinator["email"])
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=coordinator["email"].rpartition("@")[2] or None)
    # RFC 3834: an automatic message; out-of-office replies should not answer it.
    message["Auto-Submitted"] = _fixed_header("Auto-Submitted", "auto-generated")
    message["X-PSP-Form"] = _fixed_header("X-PSP-Form", f"{form_id} {form_version or spec.version}")
    message["X-PSP-Notice"] = _fixed_header("X-PSP-Notice", outcome.value)
    # 8bit keeps the draft readable in a text editor; lines stay far below the 998-octet limit.
    message.set_content(body, cte="8bit")
    return message


def build_rejection_notice(**arguments: Any) -> EmailMessage:
    """The notice for a rejected document (``build_notice`` with ``Outcome.REJECTED``)."""
    return build_notice(Outcome.REJECTED, **arguments)


def write_notice(message: EmailMessage, path: Path) -> None:
    """Write the draft atomically: a half-written notice is never left in the outbox."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # Workers on several machines may write the same notice at once into a shared outbox: host and
    # process keep their temporary files apart (a name of our own costs a third of ``tempfile``'s).
    temporary = path.with_name(f".{path.name}.{_WRITER}.{os.getpid()}.tmp")
    temporary.write_bytes(bytes(message))
    os.replace(temporary, path)
