"""Notices back to submitters: a rejected document gets one email draft (.eml) listing each
problem by the field's printed label, in plain words, with what to do.

Drafts are standard RFC 5322 messages built with the standard library's email package, written
to the outbox folder ``notices/``; sending them is a separate, later step.
"""

from __future__ import annotations

import os
import re
import tempfile
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from schemas.spec import load_form_spec

_TEXT_TEMPLATES = Environment(
    loader=PackageLoader("pipeline.report", "templates"),
    autoescape=False,  # plain-text email: nothing is interpreted as markup
    undefined=StrictUndefined,
    keep_trailing_newline=True,
)

# Who a notice goes to, by form: the first of these that holds a well-formed address.
ADDRESS_FIELDS = {
    "PSP-ORP": ("contact_email", "supervisor_email"),
    "PSP-REG": ("supervisor_email", "psp_email"),
}
EMAIL_SHAPE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def notice_address(form_id: str | None, values: dict[str, Any], sender: str | None) -> str | None:
    """The sender of the email a form came in, otherwise the contact on the form."""
    if sender:
        return sender
    for key in ADDRESS_FIELDS.get(form_id or "", ()):
        candidate = values.get(key)
        if isinstance(candidate, str) and EMAIL_SHAPE.match(candidate.strip()):
            return candidate.strip()
    return None


def build_rejection_notice(
    *,
    form_id: str,
    form_version: str | None,
    file_name: str,
    received_day: str,
    findings: list[dict[str, Any]],
    to_address: str | None,
    coordinator: dict[str, str],
) -> EmailMessage:
    spec = load_form_spec(form_id)
    body = _TEXT_TEMPLATES.get_template("rejection_notice.txt.j2").render(
        form_title=spec.title,
        form_version=form_version or spec.version,
        file_name=file_name,
        received_day=received_day,
        findings=findings,
        coordinator_name=coordinator["name"],
        coordinator_email=coordinator["email"],
        coordinator_phone=coordinator["phone"],
    )
    message = EmailMessage()
    message["From"] = formataddr((coordinator["name"], coordinator["email"]))
    if to_address:
        message["To"] = to_address
    message["Subject"] = f"{spec.title}: please correct and resend ({file_name})"
    message["Message-ID"] = make_msgid(domain=coordinator["email"].rpartition("@")[2] or None)
    message["X-PSP-Form"] = f"{form_id} {form_version or spec.version}"
    # 8bit keeps the draft readable in a text editor; lines stay far below the 998-octet limit.
    message.set_content(body, cte="8bit")
    return message


def write_notice(message: EmailMessage, path: Path) -> None:
    """Write the draft atomically: a half-written notice is never left in the outbox."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("wb", dir=path.parent, delete=False, suffix=".tmp") as handle:
        handle.write(bytes(message))
        temporary = Path(handle.name)
    os.replace(temporary, path)
