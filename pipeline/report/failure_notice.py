"""The coordinator's email when a scheduled run fails: which run, when (the office's time, with its
zone) and what to do, in plain words and never a field value.

Sent over the program's own SMTP settings (PSP_SMTP_*) with the connection notices go out on
(``pipeline.report.sending``), from and to the coordinator's address (PSP_COORDINATOR_EMAIL). It
is not an outbox notice: the store may be what failed, and a failure is told once, when it
happens. When it cannot be sent (no SMTP server configured, the server unreachable), one warning
line says so and why; the failure itself stays in Prefect's record of the run.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid

from pipeline.clock import shown_time
from pipeline.errors import ConfigurationError, expected_error
from pipeline.report.sending import InDoubt, SmtpConnection, SmtpServer
from pipeline.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FailedRun:
    """A run that failed, as the scheduler knows it: its name and id, when it failed, what went
    wrong (``failure_reason``: never a field value) and where to look at it (None when unknown)."""

    name: str
    run_id: str
    failed_at: datetime
    reason: str
    link: str | None = None


def failure_reason(error: BaseException | None) -> str:
    """What went wrong, in one line a coordinator can act on (``error`` None: the run's process
    stopped before it could say): the program's own message for an error it expects (a full disk, a store it cannot write, a setting), else only the kind of
    error, since an unexpected error's message may quote anything, a form's values included."""
    if error is None:
        return "the run's process stopped before the run finished (it was killed, ran out of memory, or the machine stopped)."
    expected = expected_error(error)
    if expected is not None:
        return str(expected)
    return f"an unexpected error in the program ({type(error).__name__}); the full error is in the run's log."


def failure_message(settings: Settings, failed: FailedRun) -> EmailMessage:
    """The email to the coordinator about ``failed``."""
    when = shown_time(failed.failed_at, settings.zone)
    home = settings.data_home.root
    look = f"Its log and what it did are in Prefect: {failed.link}" if failed.link else (
        "Its log and what it did are in Prefect's UI, under Runs.")
    body = "\n".join([
        f"The scheduled run of the PSP forms inbox failed at {when}.",
        "",
        f"Run: {failed.name} ({failed.run_id})",
        f"Data home: {home}",
        f"What went wrong: {failed.reason}",
        "",
        look,
        "",
        "What to do:",
        "1. Fix what the line above says (or, for an unexpected error, send the run's log to whoever "
        "looks after the program).",
        f"2. Then run it by hand: psp-pipeline run --home {home}",
        "   Nothing already recorded is lost or recorded twice: that run finishes what this one left.",
        "3. Until then the files stay in the inbox, and the next scheduled run takes them too.",
        "",
        "This message was sent by the PSP forms pipeline. It holds no form's contents.",
    ])
    message = EmailMessage()
    sender = formataddr((settings.coordinator_name, settings.coordinator_email))
    message["From"] = sender
    message["To"] = sender
    message["Subject"] = f"PSP forms: the scheduled run failed at {when}"
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=settings.coordinator_email.rpartition("@")[2] or None)
    message.set_content(body + "\n")
    return message


def send_failure_notice(
    settings: Settings,
    failed: FailedRun,
    *,
    ssl_context: ssl.SSLContext | None = None,
    smtp_factory: Callable[..., smtplib.SMTP] = smtplib.SMTP,
) -> bool:
    """Email the coordinator that ``failed`` failed; whether the SMTP server accepted it. Never
    raises for a server that is missing, unreachable or refuses it: one warning line says why."""
    try:
        server = SmtpServer.from_settings(settings)
    except ConfigurationError as exc:
        log.warning("the coordinator was not told that run %s failed: %s (%s)", failed.name, exc.message, exc.hint)
        return False
    # The connection notices go out on: STARTTLS, login and the message's encoding as for them.
    connection = SmtpConnection(server, ssl_context, smtp_factory)
    try:
        connection.send(failure_message(settings, failed), settings.coordinator_email)
    except (smtplib.SMTPException, OSError, InDoubt) as exc:
        log.warning("the coordinator was not told that run %s failed: the SMTP server %s:%d did not take the "
                    "email (%s); check PSP_SMTP_*", failed.name, server.host, server.port, str(exc) or type(exc).__name__)
        return False
    finally:
        connection.drop()
    log.info("the coordinator was told by email that run %s failed", failed.name)
    return True
