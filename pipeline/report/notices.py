"""Notices back to submitters. A rejected document gets one email (.eml) listing each problem
once, by the field's printed label, in plain words, with what to do and how to send the form
again; a held registration gets one saying why it waits and that nothing needs doing.

Notices are standard RFC 5322 messages built with the standard library's email package and
written to the outbox folder ``notices/``; ``psp-pipeline notices send`` delivers them later
(``pipeline.report.sending``). Everything in them that came from a document is plain text: the
body is ``text/plain`` and header values are stripped of line breaks and control characters.

A submitter's words never pass for the coordinator's: every value a notice quotes (the file's
name, whom the form is about, a value quoted in a finding's message) is shown on one line, cut to
``QUOTED_LIMIT`` characters and between “ ” quotes; every finding is one line. The To header is
the bare address (no display name that could show another address), ASCII only: a domain in
another script is written in IDNA, and an address that cannot be written so waits for a person.
No line of a notice exceeds SMTP's 998 octets: a body with a longer line goes quoted-printable.
"""

from __future__ import annotations

import re
import unicodedata
from email import errors
from email.headerregistry import BaseHeader, HeaderRegistry
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import formataddr, formatdate, make_msgid, parseaddr
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from pipeline.fileops import write_atomic
from pipeline.intake.forwarded import Office
from pipeline.model import FormId, Outcome
from pipeline.report.compiled_templates import BYTECODE_CACHE
from schemas.spec import load_form_spec

_TEXT_TEMPLATES = Environment(
    loader=PackageLoader("pipeline.report", "templates"),
    autoescape=False,  # plain-text email: nothing is interpreted as markup
    undefined=StrictUndefined,
    keep_trailing_newline=True,
    trim_blocks=True,
    lstrip_blocks=True,
    bytecode_cache=BYTECODE_CACHE,
)

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
    FormId.READINESS_PLAN: ("contact_email", "supervisor_email"),
    FormId.REGISTRATION_PACKET: ("supervisor_email", "psp_email"),
}
EMAIL_SHAPE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# What a To header holds as it is (RFC 5322 dot-atom local part, RFC 1035 host name), within
# RFC 5321's lengths; anything else (a quoted local part, non-ASCII letters before the @) waits
# for a person.
_LOCAL_PART = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_DOMAIN = re.compile(r"^(?=.{4,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z0-9-]{2,63}$")
_MAX_LOCAL_PART = 64
_MAX_ADDRESS = 254

# A value quoted in a notice is shown in at most this many characters (an ellipsis ends a cut one).
QUOTED_LIMIT = 80
# A finding's message in a notice, its values quoted and cut, is at most this long.
MESSAGE_LIMIT = 500
# RFC 5321/5322: no line of a message may be longer than this many octets (without CRLF).
SMTP_LINE_OCTETS = 998


# The outcomes that send a notice back, with the template of each.
NOTICE_TEMPLATES = {
    Outcome.REJECTED: "rejection_notice.txt.j2",
    Outcome.HELD: "held_notice.txt.j2",
}


@lru_cache(maxsize=1024)
def _address(text: str | None) -> str | None:
    """The bare address of a single well-formed address (``Name <a@b.org>`` gives ``a@b.org``),
    as a To header can hold it in ASCII (a domain in another script in IDNA), else None.

    The display name is left out: it is the submitter's text, and it could show an address the
    notice is not sent to (``"ceo@agency.org" <someone@else.example>``)."""
    if not text or any(unicodedata.category(ch)[0] == "C" for ch in text):
        return None
    _name, address = parseaddr(text)
    if not EMAIL_SHAPE.match(address) or _header_address(text) != address:
        return None  # not one address, or one the two parsers read differently: ambiguous
    local, _, domain = address.rpartition("@")
    if not domain.isascii():
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            return None
    if len(local) > _MAX_LOCAL_PART or not _LOCAL_PART.match(local) or not _DOMAIN.match(domain):
        return None
    address = f"{local}@{domain}"
    return address if len(address) <= _MAX_ADDRESS else None


def _header_address(text: str) -> str | None:
    """The one address the email package's header parser reads in ``text``, or None when it reads
    none, several, or finds the text malformed (``ceo@agency.org <someone@else.example>``)."""
    try:
        header = NOTICE_POLICY.header_factory("To", text)
        addresses = header.addresses
    except Exception:  # noqa: BLE001 - a parser failure is only an address we do not use
        return None
    if len(addresses) != 1 or any(isinstance(d, errors.InvalidHeaderDefect) for d in header.defects):
        return None
    return addresses[0].addr_spec


def notice_address(
    form_id: str | None, values: dict[str, Any], sender: str | None, *, office: Office = Office()
) -> str | None:
    """The sender of the email a form came in, otherwise the contact (plan) or the supervisor
    (packet) on the form; None when none of them is a usable address. The program office's own
    addresses never get a notice (``office``: a colleague who forwarded the form, a form whose
    contact is the office): with no other address the notice waits for a person."""
    candidates = [sender] + [values.get(key) for key in ADDRESS_FIELDS.get(form_id or "", ())]
    for candidate in candidates:
        if isinstance(candidate, str) and (address := _address(candidate.strip())) and not office.owns(address):
            return address
    return None


def header_text(text: str, limit: int = 120) -> str:
    """Text from a document made safe for a header: one line, no control characters, not too long."""
    return _cut(one_line(text), limit)


def one_line(text: str) -> str:
    """Text on one line: control characters, line and paragraph breaks and runs of spaces are one space."""
    flat = "".join(" " if unicodedata.category(ch)[0] in "CZ" else ch for ch in text)
    return " ".join(flat.split())


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def quoted(text: str, limit: int = QUOTED_LIMIT) -> str:
    """A submitter's value as a notice shows it: on one line, at most ``limit`` characters (an
    ellipsis ends a cut one), between “ ” quotes (quotes of that kind inside become plain ones)."""
    flat = one_line(text).replace("“", '"').replace("”", '"')
    return f"“{_cut(flat, limit)}”"


# A value a message quotes ('...', as schemas.values and the rules write them): the opening quote
# starts a word, the closing one ends it; an opening quote with no closing one quotes the rest.
_OPENING = r"(?:^|(?<=[\s(\[{:,;]))'"
_CLOSING = r"'(?=$|[\s;:,.!?)\]}])"
_QUOTED_IN_MESSAGE = re.compile(f"{_OPENING}(.*?){_CLOSING}|{_OPENING}(.*)$")
# A message is read this far (after the document's long values in it are cut): the rest could
# only be cut off, and quoted values are looked for in time proportional to this, not to the text.
_MESSAGE_READ = 2000


class _MessageValues:
    """What a notice needs to show its findings' messages: the document's values that are longer
    than a quoted value may be (each found in a message is cut as ``quoted`` cuts it), and those
    holding a quote (which the general pattern would end early), looked for first, longest first."""

    def __init__(self, values: dict[str, Any]) -> None:
        texts = {
            flat
            for value in values.values()
            for item in (value if isinstance(value, list) else [value])
            if isinstance(item, str) and (flat := one_line(item))
        }
        self.long = sorted(((t, _cut(t, QUOTED_LIMIT)) for t in texts if len(t) > QUOTED_LIMIT), key=lambda p: -len(p[0]))
        known = {_cut(t, QUOTED_LIMIT) for t in texts if "'" in t}
        if known:
            alternatives = "|".join(re.escape(k) for k in sorted(known, key=len, reverse=True))
            # A space either side inside the quotes: the value as read, before it was trimmed.
            self.pattern = re.compile(f"{_OPENING} ?({alternatives}) ?{_CLOSING}|{_QUOTED_IN_MESSAGE.pattern}")
        else:
            self.pattern = _QUOTED_IN_MESSAGE

    def shown(self, message: str) -> str:
        """A finding's message as a notice shows it: one line, each value it quotes shown as
        ``quoted`` shows it, at most ``MESSAGE_LIMIT`` characters. The stored finding is left as it is."""
        flat = one_line(message)
        for text, cut in self.long:
            flat = flat.replace(text, cut)
        flat = _cut(flat, _MESSAGE_READ)
        shown = self.pattern.sub(lambda m: quoted(next(g for g in m.groups() if g is not None)), flat)
        return _cut(shown, MESSAGE_LIMIT)


def notice_message(message: str, values: dict[str, Any] | None = None) -> str:
    """A finding's message as a notice shows it (``_MessageValues.shown``)."""
    return _MessageValues(values or {}).shown(message)


def _shown_findings(findings: list[dict[str, Any]], values: dict[str, Any]) -> list[dict[str, Any]]:
    """Findings as a notice lists them: label, message and rule each on one line."""
    messages = _MessageValues(values)
    return [
        {
            **finding,
            "label": _cut(one_line(str(finding.get("label") or "")), 200) or None,
            "message": messages.shown(str(finding.get("message") or "")),
            "rule": _cut(one_line(str(finding.get("rule") or "")), 40) or None,
        }
        for finding in findings
    ]


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
    else:
        name = text("cmhsp_name")
    return quoted(name) if one_line(name) else None


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
    findings = _shown_findings(distinct_findings(findings), values or {})
    form_version = header_text(form_version, limit=40) if form_version else spec.version
    to_address = _address(to_address)  # the bare address, or no To header at all
    deciding = "error" if outcome is Outcome.REJECTED else "hold"
    body = _TEXT_TEMPLATES.get_template(NOTICE_TEMPLATES[outcome]).render(
        form_title=spec.title,
        form_version=form_version,
        file_name=quoted(file_name),
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
    return notice_email(subject, body, to_address=to_address, coordinator=coordinator,
                        form=f"{form_id} {form_version}", kind=outcome.value)


def notice_email(subject: str, body: str, *, to_address: str | None, coordinator: dict[str, str], form: str,
                 kind: str) -> EmailMessage:
    """A notice's message around its plain-text ``body``: from the coordinator, to ``to_address``
    (a bare address as ``notice_address`` gives it; no To header without one), with the form and
    the kind of notice (``X-PSP-Notice``) in headers of its own."""
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
    message["X-PSP-Form"] = _fixed_header("X-PSP-Form", form)
    message["X-PSP-Notice"] = _fixed_header("X-PSP-Notice", kind)
    # 8bit keeps the draft readable in a text editor. A line longer than SMTP allows (998 octets)
    # would be refused by the server, so such a body goes quoted-printable: the email package
    # then breaks its lines (soft line breaks) and the reader sees the text unchanged.
    too_long = any(len(line.encode("utf-8")) > SMTP_LINE_OCTETS for line in body.splitlines())
    message.set_content(body, cte="quoted-printable" if too_long else "8bit")
    return message


def build_rejection_notice(**arguments: Any) -> EmailMessage:
    """The notice for a rejected document (``build_notice`` with ``Outcome.REJECTED``)."""
    return build_notice(Outcome.REJECTED, **arguments)


def write_notice(message: EmailMessage, path: Path) -> None:
    """Write the draft atomically: a half-written notice is never left in the outbox."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # Workers on several machines may write the same notice at once into a shared outbox: host and
    # process keep their temporary files apart (a name of our own costs a third of ``tempfile``'s).
    write_atomic(path, bytes(message))
