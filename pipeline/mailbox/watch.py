"""Watching the mail accounts' folders and starting a run when new mail came
(``psp-pipeline mail watch``).

One thread per rule's folder keeps a connection of its own to its server and looks at the
folder's UIDNEXT (the UID its next message will get): a message arrived when it grew. Between
looks it waits with IMAP IDLE where the server offers it (it wakes at the server's word that a
message exists, and IDLEs again every ``IDLE_RENEW_SECONDS``, as RFC 2177 asks), or for
``mail_poll_seconds`` where it does not (or ``mail_idle`` is off). At its first look a folder
holding messages the store does not know (mail that came while nobody watched) counts as new
mail too.

New mail starts a run (the same one ``psp-pipeline run`` does: fetch first, through the same
library path, ``run``) once no more came for ``mail_quiet_seconds``, so that a burst of mail
is one run; mail that keeps coming delays it at most ``QUIET_CAP`` times that. Mail that came
during a run starts another after it.

A connection that drops or is refused is tried again after a wait that doubles from
``mail_reconnect_first_seconds`` up to ``mail_reconnect_max_seconds``, each said in the log
(the account, folder and error: never anything a message holds). SIGINT and SIGTERM set
``stop``: the watcher ends after the run in hand, and the folders' connections log out.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine

from pipeline.errors import ConfigurationError, PipelineError
from pipeline.load import mail_messages
from pipeline.load.mail_messages import Place
from pipeline.mailbox.accounts import Account, MailAccounts
from pipeline.mailbox.imap import ImapSession
from pipeline.settings import Settings

log = logging.getLogger(__name__)

IDLE_RENEW_SECONDS = 25 * 60  # RFC 2177: a server may end an IDLE after 29 minutes
QUIET_CAP = 10  # a run waits at most this many quiet periods for mail that keeps coming
STOP_WAIT_SECONDS = 10  # how long a stop waits for a folder's thread to log out (they are daemons)


def backoff_seconds(attempt: int, first: float, longest: float) -> float:
    """The wait before try ``attempt`` (0: the first after a drop) to connect again: ``first``,
    doubled at each try, never more than ``longest``."""
    return min(longest, first * 2 ** min(attempt, 60))


@dataclass
class WatchCounts:
    """What a watcher did, for its caller and its tests."""

    runs: int = 0  # runs started
    failed_runs: int = 0  # runs that ended on an error (logged)
    signals: int = 0  # times a folder said new mail came
    reconnects: int = 0  # connections made again after a drop
    polled: set[str] = field(default_factory=set)  # folders watched by polling (no IDLE)
    idled: set[str] = field(default_factory=set)  # folders watched with IDLE


class MailWatcher:
    """The folders' threads and the loop that turns their news into runs (``watch``)."""

    def __init__(self, settings: Settings, engine: Engine, run: Callable[[], object], *,
                 stop: threading.Event | None = None, environ: Mapping[str, str] = os.environ,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings
        self.engine = engine
        self.run = run
        self.stop = stop or threading.Event()
        self.environ = environ
        self.clock = clock
        self.counts = WatchCounts()
        self._news = threading.Condition()
        self._first_news: float | None = None  # when the first mail not yet run for was seen
        self._last_news: float | None = None
        self._threads: list[threading.Thread] = []
        self._retry: threading.Timer | None = None  # a failed run tried again

    def watch(self) -> WatchCounts:
        """Watch every account's folders until ``stop`` is set; what was done. ConfigurationError
        when there is no account, or one has no password."""
        accounts = MailAccounts(self.settings.data_home.root)
        watched = accounts.all()
        if not watched:
            raise ConfigurationError("there is no mail account to watch.",
                                     hint="Add one: psp-pipeline mail add NAME --host H --user U --password-stdin")
        for account in watched:
            accounts.password(account, self.environ)  # a missing password is said now, not in a thread
            for rule in account.rules:
                thread = threading.Thread(target=self._watch_folder, args=(accounts, account, rule.folder),
                                          name=f"mail-watch-{account.name}", daemon=True)
                self._threads.append(thread)
                thread.start()
        log.info("mail watch: watching %d folder(s) of %d account(s)", len(self._threads), len(watched))
        try:
            while not self.stop.is_set():
                if self._wait_for_quiet():
                    self._run_once()
        finally:
            self.stop.set()
            if self._retry is not None:
                self._retry.cancel()
            with self._news:
                self._news.notify_all()
            for thread in self._threads:  # each notices ``stop`` within WAKE_SECONDS, unless mid-connect
                thread.join(timeout=STOP_WAIT_SECONDS)
        log.info("mail watch: stopped after %d run(s)", self.counts.runs)
        return self.counts

    def new_mail(self) -> None:
        """A folder's news: mail came. The run waits for the quiet period from now."""
        with self._news:
            now = self.clock()
            self._first_news = now if self._first_news is None else self._first_news
            self._last_news = now
            self.counts.signals += 1
            self._news.notify_all()

    def _wait_for_quiet(self) -> bool:
        """Wait for news, then until none came for the quiet period (at most ``QUIET_CAP`` of them
        from the first); whether a run is due (False: stopped)."""
        quiet = self.settings.mail_quiet_seconds
        with self._news:
            while not self.stop.is_set():
                if self._first_news is None or self._last_news is None:
                    self._news.wait(timeout=1.0)
                    continue
                now = self.clock()
                due = min(self._last_news + quiet, self._first_news + quiet * QUIET_CAP)
                if now >= due:
                    self._first_news = self._last_news = None
                    return True
                self._news.wait(timeout=min(due - now, 1.0))
        return False

    def _run_once(self) -> None:
        self.counts.runs += 1
        log.info("mail watch: new mail; starting a run")
        try:
            self.run()
        except PipelineError as exc:
            self.counts.failed_runs += 1
            log.error("mail watch: the run failed: %s", exc)
            # The mail is still there (another run held the inbox, the store was out of reach): try
            # again after the poll interval, or sooner when more mail comes.
            self._retry = threading.Timer(self.settings.mail_poll_seconds, self.new_mail)
            self._retry.daemon = True
            self._retry.start()

    def _watch_folder(self, accounts: MailAccounts, account: Account, folder: str) -> None:
        """One folder's thread: connect, look, wait (IDLE or poll), look again; reconnect after drops."""
        attempt = 0
        seen: tuple[int, int] | None = None  # the folder's UIDVALIDITY and UIDNEXT at the last look
        where = f"mail account {account.name}, folder {folder!r}"
        while not self.stop.is_set():
            try:
                with ImapSession.open(account, accounts.password(account, self.environ)) as session:
                    session.ensure_folder(folder)  # one the coordinator's filter will fill, made now
                    seen = self._look(session, account, folder, seen)
                    if attempt:
                        self.counts.reconnects += 1
                        log.warning("mail watch: %s: connected again after %d failed tr%s", where, attempt,
                                    "y" if attempt == 1 else "ies")
                    attempt = 0
                    use_idle = self.settings.mail_idle and "IDLE" in session.capabilities
                    (self.counts.idled if use_idle else self.counts.polled).add(f"{account.name}/{folder}")
                    while not self.stop.is_set():
                        if use_idle:
                            session.idle(IDLE_RENEW_SECONDS, self.stop)
                        elif self.stop.wait(self.settings.mail_poll_seconds):
                            break
                        seen = self._look(session, account, folder, seen)
            except PipelineError as exc:  # the server (MailServerError), or the account's password
                delay = backoff_seconds(attempt, self.settings.mail_reconnect_first_seconds,
                                        self.settings.mail_reconnect_max_seconds)
                attempt += 1
                log.warning("mail watch: %s: %s; trying again in %.0f s", where, str(exc).rstrip("."), delay)
                self.stop.wait(delay)

    def _look(self, session: ImapSession, account: Account, folder: str,
              seen: tuple[int, int] | None) -> tuple[int, int]:
        """The folder's UIDVALIDITY and UIDNEXT now, saying new mail when UIDNEXT grew since
        ``seen``; at the first look, or when the folder was renumbered (a new UIDVALIDITY), when it
        holds messages the store does not know."""
        now = session.next_uid(folder)
        if seen is None or seen[0] != now[0]:
            known = mail_messages.known_uids(self.engine, Place(account.name, account.mailbox, folder), now[0])
            if any(uid not in known for uid in session.uids()):
                self.new_mail()
        elif now[1] > seen[1]:
            self.new_mail()
        return now


def stop_on_signals(stop: threading.Event) -> Callable[[], None]:
    """SIGINT and SIGTERM set ``stop`` (the watcher ends after the run in hand); returns what puts
    the handlers before back. From the main thread only."""
    import signal

    def handler(signum: int, _frame: object) -> None:
        log.warning("mail watch: %s received; stopping after the run in hand", signal.Signals(signum).name)
        stop.set()

    before = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}

    def restore() -> None:
        for sig, old in before.items():
            signal.signal(sig, old)

    return restore

