"""``mail watch`` against a real Dovecot: new mail starts one run after the quiet period, a burst
is one run, a dropped connection is made again (mail that came meanwhile is not missed), a server
without IDLE is polled, and SIGTERM stops the command."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from pydantic import SecretStr

from pipeline.errors import InboxBusyError
from pipeline.mailbox.accounts import MailAccounts, Security
from pipeline.mailbox.fetch import fetch_mail
from pipeline.mailbox.watch import MailWatcher, backoff_seconds
from pipeline.run import process
from pipeline.service import open_desk, prepare_home
from pipeline.settings import Settings
from tests.mailbox.conftest import FOLDER, account_for, inbox_files, message
from tests.mailserver import PASSWORD, RelayProxy

CLI = Path(sys.executable).with_name("psp-pipeline")
QUICK = dict(mail_quiet_seconds=1.0, mail_poll_seconds=0.3, mail_reconnect_first_seconds=0.1,
             mail_reconnect_max_seconds=0.4)


def quick(settings: Settings, **changes) -> Settings:
    """``settings`` with the watch's waits made short for a test."""
    return settings.model_copy(update={**QUICK, **changes})


class Runs:
    """A run as the watcher starts one, counted: here the fetch alone (what every run does first)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.started: list[float] = []

    def __call__(self) -> None:
        self.started.append(time.monotonic())
        desk = open_desk(self.settings)
        try:
            fetch_mail(self.settings, desk.engine)
        finally:
            desk.close()


def wait_for(condition: Callable[[], bool], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@contextmanager
def watching(settings: Settings, run: Callable[[], object]) -> Iterator[MailWatcher]:
    """A watcher running in a thread, its folders connected; stopped at the end."""
    desk = open_desk(settings)
    watcher = MailWatcher(settings, desk.engine, run)
    thread = threading.Thread(target=watcher.watch, daemon=True)
    thread.start()
    try:
        wait_for(lambda: watcher.counts.idled or watcher.counts.polled)
        yield watcher
    finally:
        watcher.stop.set()
        thread.join(timeout=30)
        desk.close()
        assert not thread.is_alive()


def test_the_reconnect_wait_doubles_up_to_its_cap():
    assert [backoff_seconds(n, 5, 60) for n in range(6)] == [5, 10, 20, 40, 60, 60]
    assert backoff_seconds(10_000, 5, 600) == 600


def test_a_message_delivered_while_watching_starts_one_run_that_takes_it(mail_settings, dovecot, mailbox_user):
    settings = quick(mail_settings)
    runs: list[int] = []

    def real_run() -> None:  # the run `psp-pipeline run --without-prefect` does
        runs.append(process(settings).run_id)

    with watching(settings, real_run) as watcher:
        assert watcher.counts.idled == {f"agencies/{FOLDER}"}  # Dovecot offers IDLE
        time.sleep(0.5)
        assert runs == []  # an empty folder starts nothing
        dovecot.deliver(mailbox_user, message(), FOLDER)
        wait_for(lambda: dovecot.uids(mailbox_user, "PSP.Processed"))
        time.sleep(settings.mail_quiet_seconds + 0.5)
    assert len(runs) == 1
    assert dovecot.uids(mailbox_user, FOLDER) == [] and inbox_files(settings) == []


def test_a_burst_of_mail_within_the_quiet_period_is_one_run(mail_settings, dovecot, mailbox_user):
    settings = quick(mail_settings, mail_quiet_seconds=2.0)
    run = Runs(settings)
    with watching(settings, run) as watcher:
        first = time.monotonic()
        for _ in range(3):
            dovecot.deliver(mailbox_user, message(), FOLDER)
            time.sleep(0.6)
        wait_for(lambda: run.started)
        time.sleep(settings.mail_quiet_seconds + 1)
        assert watcher.counts.signals >= 2  # the server told of the burst more than once
    assert len(run.started) == 1
    assert run.started[0] - first >= 1.2 + settings.mail_quiet_seconds  # after the last message's quiet period
    assert len(inbox_files(settings)) == 3


def test_mail_waiting_when_the_watch_starts_is_taken_by_a_first_run(mail_settings, dovecot, mailbox_user):
    dovecot.deliver(mailbox_user, message(), FOLDER)
    settings = quick(mail_settings, mail_quiet_seconds=0.2)
    run = Runs(settings)
    with watching(settings, run):
        wait_for(lambda: run.started)
        time.sleep(1)
    assert len(run.started) == 1 and len(inbox_files(settings)) == 1


def test_a_dropped_connection_is_made_again_and_mail_that_came_meanwhile_is_taken(
        mail_settings, dovecot, mailbox_user, caplog):
    relay = RelayProxy(dovecot.imap_port)
    settings = quick(mail_settings, mail_quiet_seconds=0.3)
    MailAccounts(settings.data_home.root).save(account_for(dovecot, mailbox_user, port=relay.port),
                                               SecretStr(PASSWORD))
    run = Runs(settings)
    caplog.set_level(logging.INFO, logger="pipeline")
    try:
        with watching(settings, run) as watcher:
            relay.refusing = True
            relay.drop()  # the server gone, and not taking connections for a while
            sent = message(subject="Readiness plan from Example County")
            dovecot.deliver(mailbox_user, sent, FOLDER)
            time.sleep(1.0)  # several tries refused, each waiting longer, up to the cap
            assert run.started == []
            relay.refusing = False
            wait_for(lambda: watcher.counts.reconnects >= 1)
            wait_for(lambda: run.started)
            time.sleep(0.5)
    finally:
        relay.close()
    assert len(run.started) == 1 and len(inbox_files(settings)) == 1
    lines = caplog.text
    assert "connected again after" in lines and "trying again in" in lines
    assert "Example County" not in lines and "avery.sample" not in lines  # no field value, no sender


def test_a_run_that_fails_is_tried_again_after_the_poll_interval(mail_settings, dovecot, mailbox_user, caplog):
    settings = quick(mail_settings, mail_quiet_seconds=0.2, mail_poll_seconds=1.0)
    run = Runs(settings)
    failed: list[float] = []

    def busy_once() -> None:
        if not failed:
            failed.append(time.monotonic())
            raise InboxBusyError("another run holds the inbox.")
        run()

    with watching(settings, busy_once) as watcher:
        dovecot.deliver(mailbox_user, message(), FOLDER)
        wait_for(lambda: run.started)
        time.sleep(0.5)
        assert (watcher.counts.runs, watcher.counts.failed_runs) == (2, 1)
    assert run.started[0] - failed[0] >= 1.0 and len(inbox_files(settings)) == 1
    assert "the run failed: another run holds the inbox." in caplog.text


@pytest.mark.parametrize("security", [Security.IMAPS, Security.STARTTLS])
def test_idle_over_tls_wakes_at_new_mail(security, mail_settings, dovecot, mailbox_user):
    settings = quick(mail_settings, mail_quiet_seconds=0.2)
    port = dovecot.imaps_port if security is Security.IMAPS else dovecot.imap_port
    account = account_for(dovecot, mailbox_user, security=security, port=port, insecure_plain=False,
                          ca_file=dovecot.ca_file)
    MailAccounts(settings.data_home.root).save(account, SecretStr(PASSWORD))
    run = Runs(settings)
    with watching(settings, run) as watcher:
        assert watcher.counts.idled
        time.sleep(0.3)
        dovecot.deliver(mailbox_user, message(), FOLDER)
        wait_for(lambda: run.started, 10)  # IDLE woke at the server's word (it renews every 25 minutes)
        time.sleep(0.5)
    assert len(run.started) == 1 and len(inbox_files(settings)) == 1


def test_a_server_without_idle_is_polled(mail_settings, dovecot, mailbox_user):
    settings = quick(mail_settings, mail_idle=False, mail_quiet_seconds=0.2)
    run = Runs(settings)
    with watching(settings, run) as watcher:
        assert watcher.counts.polled == {f"agencies/{FOLDER}"} and not watcher.counts.idled
        dovecot.deliver(mailbox_user, message(), FOLDER)
        wait_for(lambda: run.started)
        time.sleep(0.8)  # more looks find nothing new
    assert len(run.started) == 1 and len(inbox_files(settings)) == 1


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_the_command_stops_cleanly_on_a_signal(mail_settings, signum):
    prepare_home(mail_settings)
    env = {**os.environ, "PSP_HOME": str(mail_settings.data_home.root), "PSP_DATABASE_URL": mail_settings.store_url}
    command = [str(CLI), "mail", "watch", "--without-prefect"]
    process_ = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: process_.poll() is not None or _said_watching(process_), 60)
        time.sleep(0.5)
        process_.send_signal(signum)
        out, err = process_.communicate(timeout=30)
    finally:
        if process_.poll() is None:
            process_.kill()
    assert process_.returncode == 0, err
    assert "Stopped after 0 run(s)." in out


def _said_watching(process_: subprocess.Popen) -> bool:
    line = process_.stdout.readline() if process_.stdout else ""
    return "Watching the mail accounts" in line
