"""Fetching mail into the inbox exactly once, and marking it on its server only after its
documents are stored.

For each account and each of its rules' folders, a fetch

1. takes the new messages: the folder's UIDs the store does not know (at this UIDVALIDITY), whose
   sender and subject the rule takes. Each is downloaded without being marked read, saved whole
   into the inbox as ``<account>-<uidvalidity>-<uid>-<sha>.eml`` (atomically, dated when the
   server received it) and recorded as ``saved``. From there it is unpacked and judged like any
   email dropped into the inbox, under the same limits (size, nesting, attachments, time). One
   larger than the inbox takes is not downloaded: it goes to the rule's failed folder for a
   person. One whose bytes the store knows from this folder (the server renumbered it, or it was
   put back) is recognised by its sha256 and never imported again.
2. moves the messages whose documents are stored: every ``saved`` one whose ``.eml`` has left the
   inbox with its rows committed (``load.mail_messages.stored_outcomes``) goes to the rule's
   processed folder, or its failed folder when something of it waits for a person. Only then is
   it marked ``moved``. A process stopped between the move and the mark finds the message gone
   from its folder next time, and marks it.

So a crash anywhere loses nothing and imports nothing twice: a message not yet recorded is
fetched again into the same name, and one recorded is never fetched again. ``PSP_KILL_AT``
(``pipeline.faults``) stops the process at each step for the crash tests.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import Engine

from pipeline.errors import MailServerError
from pipeline.faults import checkpoint
from pipeline.fileops import atomic_file
from pipeline.load import mail_messages
from pipeline.load.mail_messages import MailStatus, Place, Tracked
from pipeline.mailbox import acknowledge
from pipeline.mailbox.accounts import Account, MailAccounts, Rule
from pipeline.mailbox.imap import Envelope, ImapSession
from pipeline.model import Outcome
from pipeline.settings import DataHome, Settings

log = logging.getLogger(__name__)


@dataclass
class MailSummary:
    """What a fetch did, in counts, and which accounts could not be reached (and why)."""

    saved: int = 0  # new messages saved into the inbox
    moved: int = 0  # messages whose documents are stored, moved to the processed or failed folder
    set_aside: int = 0  # too large to take: moved to the failed folder unread
    recognised: int = 0  # fetched before under another UID: not imported again
    left: int = 0  # not the rules' (sender, subject): left where they are, unanswered
    failures: list[str] = field(default_factory=list)  # one line per account that failed

    def line(self) -> str:
        """The summary in one line, for the command line and the run's log."""
        return (f"{self.saved} saved into the inbox, {self.moved} moved after their documents were stored, "
                f"{self.set_aside} set aside (too large), {self.recognised} recognised again, "
                f"{self.left} left (not the rules')")


@dataclass(frozen=True)
class FolderAtHand:
    """One rule's folder, open on its server: what every step in it needs."""

    session: ImapSession
    engine: Engine
    settings: Settings
    account: Account
    rule: Rule
    uidvalidity: int
    cmhsp_domains: frozenset[str]  # what ``cmhsp`` among the rule's sender domains stands for

    @property
    def home(self) -> DataHome:
        """The data home whose inbox the messages are saved into."""
        return self.settings.data_home

    @property
    def place(self) -> Place:
        """Where its messages are tracked in the store: this account's mailbox and folder."""
        return Place(self.account.name, self.account.mailbox, self.rule.folder)


def fetch_mail(settings: Settings, engine: Engine, *, environ: Mapping[str, str] = os.environ) -> MailSummary:
    """Take every account's new mail into the inbox and move what is stored (the steps above).

    An account that cannot be reached is said in ``failures`` and the others go on; what it
    left is taken up by the next fetch. ConfigurationError for an account without a password.
    """
    max_bytes = settings.max_file_mb * 1024 * 1024  # the inbox's limit, as the extraction pool counts it

    def take_then_move(folder: FolderAtHand, summary: MailSummary) -> None:
        _take_new(folder, max_bytes, summary)
        _move_stored(folder, summary)  # the new ones too, once a run has stored them

    summary = _each_folder(settings, engine, environ, take_then_move)
    acknowledge.send_due(settings, engine)  # at once, when an SMTP server is set; else by `notices send`
    return summary


def move_stored_mail(settings: Settings, engine: Engine, *, environ: Mapping[str, str] = os.environ) -> MailSummary:
    """Move the fetched messages whose documents are stored now (step 2 alone), for the end of a
    run; connects to no server when none waits."""
    if not mail_messages.any_waiting(engine):
        return MailSummary()
    return _each_folder(settings, engine, environ, _move_stored)


def _each_folder(settings: Settings, engine: Engine, environ: Mapping[str, str],
                 step: Callable[[FolderAtHand, MailSummary], None]) -> MailSummary:
    """``step`` in each rule's folder of each account, one connection per account."""
    accounts = MailAccounts(settings.data_home.root)
    summary = MailSummary()
    everyone = accounts.all()
    cmhsp_domains = acknowledge.cmhsp_domains(settings, [rule for account in everyone for rule in account.rules])
    for account in everyone:
        password = accounts.password(account, environ)
        try:
            with ImapSession.open(account, password) as session:
                for rule in account.rules:
                    uidvalidity = session.select(rule.folder)
                    step(FolderAtHand(session, engine, settings, account, rule, uidvalidity, cmhsp_domains), summary)
        except MailServerError as exc:
            log.error("%s", exc)
            summary.failures.append(str(exc))
    return summary


def _take_new(at: FolderAtHand, max_bytes: float, summary: MailSummary) -> None:
    known = mail_messages.known_uids(at.engine, at.place, at.uidvalidity)
    new = [uid for uid in at.session.uids() if uid not in known]
    for envelope in at.session.envelopes(new):
        if not at.rule.takes(envelope.sender, envelope.subject, at.cmhsp_domains):
            summary.left += 1
            continue
        if envelope.size > max_bytes:
            _set_aside(at, envelope)
            summary.set_aside += 1
            continue
        body = at.session.body(envelope.uid)
        if body is None:
            continue  # expunged meanwhile
        checkpoint("mail.fetched")
        sha256 = hashlib.sha256(body).hexdigest()
        earlier = mail_messages.same_message(at.engine, at.place, sha256)
        if earlier is not None:
            mail_messages.renumber(at.engine, earlier.id, at.uidvalidity, envelope.uid)
            log.info("mail account %s: a message fetched before (sha256 %s) is known again by a new UID",
                     at.account.name, sha256[:12])
            summary.recognised += 1
            continue
        name = f"{at.account.name}-{at.uidvalidity}-{envelope.uid}-{sha256[:8]}.eml"
        _save(at.home.inbox / name, body, envelope.arrived)
        checkpoint("mail.saved")
        owed = acknowledge.owed(at.settings, at.rule, at.cmhsp_domains, envelope, body, sha256)
        mail_messages.record(at.engine, at.place, at.uidvalidity, envelope.uid,
                             message_id=envelope.message_id, sha256=sha256, size=len(body), inbox_name=name,
                             status=MailStatus.SAVED, acknowledgement=owed)
        checkpoint("mail.recorded")
        log.info("mail account %s: saved a message into the inbox (sha256 %s)", at.account.name, sha256[:12])
        summary.saved += 1


def _save(path: Path, body: bytes, arrived: float | None) -> None:
    """The message saved whole (a reader never sees half of it), dated when its server received
    it: the inbox counts that as its arrival, not the night the run fetched it."""
    with atomic_file(path, private=True) as handle:
        handle.write(body)
        handle.flush()
        if arrived is not None:
            os.utime(handle.fileno(), (arrived, arrived))


def _set_aside(at: FolderAtHand, envelope: Envelope) -> None:
    at.session.move(envelope.uid, at.rule.failed_folder)
    mail_messages.record(at.engine, at.place, at.uidvalidity, envelope.uid,
                         message_id=envelope.message_id, sha256=None, size=envelope.size, inbox_name=None,
                         status=MailStatus.SET_ASIDE, destination=at.rule.failed_folder)
    log.warning("mail account %s: a message of %d MB is larger than the inbox takes; moved unread to %r for a person",
                at.account.name, envelope.size // 1_000_000, at.rule.failed_folder)


def _move_stored(at: FolderAtHand, summary: MailSummary) -> None:
    waiting = mail_messages.waiting(at.engine, at.place)
    if not waiting:
        return
    present = set(at.session.uids())
    for tracked in waiting:
        destination = _destination(at, tracked)
        if destination is None:
            continue  # its documents are not all stored yet
        checkpoint("mail.moving")
        here = tracked.uidvalidity == at.uidvalidity and tracked.uid in present
        if here:
            at.session.move(tracked.uid, destination)
            checkpoint("mail.moved")
        else:  # gone: moved before the process stopped, or by a person; nothing is imported again
            log.info("mail account %s: a stored message (sha256 %s) is no longer in %r; marked as moved",
                     at.account.name, (tracked.sha256 or "")[:12], at.rule.folder)
        mail_messages.mark_moved(at.engine, tracked.id, destination)
        checkpoint("mail.marked")
        summary.moved += 1


def _destination(at: FolderAtHand, tracked: Tracked) -> str | None:
    """Where the message goes now that its documents are stored: the failed folder when any of
    them waits for a person, else the processed one; None while they are not all stored (its
    ``.eml`` is still in the inbox, or nothing of it is committed)."""
    if tracked.inbox_name is None or (at.home.inbox / tracked.inbox_name).exists():
        return None
    outcomes = mail_messages.stored_outcomes(at.engine, tracked.inbox_name)
    if not outcomes:
        return None
    return at.rule.failed_folder if Outcome.NEEDS_REVIEW in outcomes else at.rule.processed_folder
