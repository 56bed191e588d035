"""Notices sent twice: a server's reply to the end of a message that comes late, never, or while the sender is stopped or killed must never get the notice sent again without a person's say.

Issue 16, item 6. The reply to the end of DATA was waited for as long as any other command (30 s)
and a SIGTERM raised at once: a reply that came later, or a sender stopped while it waited, gave
the notice back to the outbox although the server had accepted it, and the next `notices send`
sent it again. Now the reply is waited for as RFC 5321 advises (PSP_SMTP_DATA_TIMEOUT, 10
minutes), SIGTERM finishes the notice in hand and then stops, and a notice is recorded as
possibly sent before DATA: if the answer never comes (no reply in time, a sender killed while it
waited) it stays so, shown by `notices list`, until `notices resend ID --by NAME`.

Against a real SMTP server (aiosmtpd on 127.0.0.1) whose handler keeps each message, then waits
before it answers the end of it.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.load import outbox
from pipeline.load.outbox import NoticeStatus
from pipeline.load.store import NoticeRow, open_store, transaction, utcnow
from pipeline.report import sending
from tests.report.conftest import demo_home, outbox_home, outbox_origin, smtp_server  # noqa: F401  (the demo's outbox)
from tests.report.smtp import Received, SmtpTestServer, _Handler

runner = CliRunner()


@pytest.fixture
def notices_home(outbox_home):  # noqa: F811
    """The demo's outbox (``outbox_home``), put back whole after the test: on PostgreSQL the
    store is shared by the tests, and ``outbox_home`` does not know the columns added here."""
    yield outbox_home
    if outbox_home.database_url is not None:
        engine = open_store(outbox_home.database_url)
        with engine.begin() as connection:
            connection.execute(text("UPDATE notices SET possibly_sent_at = NULL, resend_by = NULL, resend_at = NULL"))
        engine.dispose()


class _LateReply(_Handler):
    """Keeps each message as soon as it has all of it (the server has accepted it), says so,
    then waits ``delay`` seconds before it answers the end of it with ``reply``."""

    def __init__(self, server: SmtpTestServer, delay: float, reply: str = "250 2.0.0 accepted") -> None:
        super().__init__(server)
        self.delay = delay
        self.reply = reply
        self.waiting = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.server.lock:
            self.server.received.append(Received(envelope.mail_from, tuple(envelope.rcpt_tos), envelope.original_content))
        self.waiting.set()
        await asyncio.sleep(self.delay)
        return self.reply


@contextmanager
def late_server(delay: float, reply: str = "250 2.0.0 accepted") -> Iterator[tuple[SmtpTestServer, _LateReply]]:
    server = SmtpTestServer()
    handler = server.controller.handler = _LateReply(server, delay, reply)
    with server:
        yield server, handler


def _env(settings, server: SmtpTestServer, **extra: str) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("PSP_")},
        "PSP_HOME": str(settings.home),
        "PSP_SMTP_HOST": "127.0.0.1",
        "PSP_SMTP_PORT": str(server.port),
        "PSP_SMTP_STARTTLS": "false",
        **({"PSP_DATABASE_URL": settings.database_url} if settings.database_url else {}),
        **extra,
    }


def _notices(args: list[str], env: dict[str, str]):
    return runner.invoke(app, ["notices", *args], env=env)


def _message_id(item: outbox.OutboxItem) -> str:
    return str(sending._read(item)["Message-ID"])


def _deliveries(*servers: SmtpTestServer) -> Counter[str]:
    """How many times each message (by Message-ID) reached any of these servers."""
    return Counter(str(r.message["Message-ID"]) for server in servers for r in server.received)


def _due(engine) -> list[outbox.OutboxItem]:
    now = utcnow()
    return sorted((item for item in outbox.notices(engine) if item.due(now)), key=lambda i: i.id)


def _item(engine, notice_id: int) -> outbox.OutboxItem:
    return next(i for i in outbox.notices(engine) if i.id == notice_id)


def test_a_reply_later_than_the_command_timeout_is_waited_for_and_the_notice_goes_once(notices_home):
    engine = open_store(notices_home.store_url)
    due = _due(engine)
    first = due[0]
    # Each command may take 0.5 s; the server answers the end of the message after 1.5 s.
    with late_server(delay=1.5) as (late, _):
        result = _notices(["send", "--limit", "1"], _env(notices_home, late, PSP_SMTP_TIMEOUT="0.5",
                                                         PSP_SMTP_DATA_TIMEOUT="30"))
    with SmtpTestServer() as prompt:
        _notices(["send"], _env(notices_home, prompt))
    deliveries = _deliveries(late, prompt)
    assert deliveries[_message_id(first)] == 1, f"notice #{first.id} was sent {deliveries[_message_id(first)]} times"
    assert all(deliveries[_message_id(item)] == 1 for item in due)
    assert result.exit_code == 0, result.output
    assert _item(engine, first.id).status(utcnow()) is NoticeStatus.SENT
    engine.dispose()


def test_no_reply_in_time_leaves_the_notice_possibly_sent_until_a_person_puts_it_back(notices_home):
    engine = open_store(notices_home.store_url)
    due = _due(engine)
    first = due[0]
    with late_server(delay=3) as (late, _):
        result = _notices(["send"], _env(notices_home, late, PSP_SMTP_TIMEOUT="0.5", PSP_SMTP_DATA_TIMEOUT="0.5"))
    with SmtpTestServer() as after:
        again = _notices(["send"], _env(notices_home, after))
        listed = _notices(["list"], _env(notices_home, after))
    # Not sent again by the next `notices send`...
    assert _deliveries(late, after)[_message_id(first)] == 1
    assert result.exit_code == 6, result.output
    assert f"POSSIBLY SENT #{first.id}" in result.output and "no reply to the end of the message" in result.output
    assert len(late.received) == 1  # a server that does not answer: no next notice is started
    assert again.exit_code == 0, again.output
    assert sorted(_deliveries(after)) == sorted(_message_id(item) for item in due[1:])
    # ... shown by `notices list`, with what to do ...
    assert f"#{first.id}" in listed.output and "POSSIBLY SENT" in listed.output
    assert f"notices resend {first.id} --by NAME" in listed.output
    item = _item(engine, first.id)
    assert item.status(utcnow()) is NoticeStatus.POSSIBLY_SENT and item.claimed_by is None
    assert not outbox.claim(engine, first.id, "another sender")

    # ... until a person says it goes again.
    with SmtpTestServer() as third:
        put_back = _notices(["resend", str(first.id), "--by", "Pat Coordinator"], _env(notices_home, third))
        assert put_back.exit_code == 0, put_back.output
        relisted = _notices(["list"], _env(notices_home, third))
        assert "put back to send again by Pat Coordinator" in relisted.output
        sent = _notices(["send"], _env(notices_home, third))
        assert sent.exit_code == 0, sent.output
        assert list(_deliveries(third)) == [_message_id(first)]
    item = _item(engine, first.id)
    assert item.status(utcnow()) is NoticeStatus.SENT and item.resend_by == "Pat Coordinator"
    engine.dispose()


def test_sigterm_while_waiting_for_the_reply_finishes_that_notice_then_stops(notices_home):
    engine = open_store(notices_home.store_url)
    due = _due(engine)
    first = due[0]
    with late_server(delay=2) as (late, handler):
        sender = subprocess.Popen(
            [sys.executable, "-m", "pipeline.cli", "notices", "send"],
            env=_env(notices_home, late, PSP_SMTP_DATA_TIMEOUT="30"),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        assert handler.waiting.wait(60), "the sender never reached the end of its first message"
        sender.send_signal(signal.SIGTERM)
        out, err = sender.communicate(timeout=60)
    with SmtpTestServer() as after:
        _notices(["send"], _env(notices_home, after))
    deliveries = _deliveries(late, after)
    assert deliveries[_message_id(first)] == 1, f"notice #{first.id} was sent {deliveries[_message_id(first)]} times"
    assert all(deliveries[_message_id(item)] == 1 for item in due)
    # The notice in hand was finished (its reply waited for), and no other was started.
    assert sender.returncode == 143, (out, err)
    assert len(late.received) == 1 and f"sent #{first.id}" in out and "stopped (SIGTERM)" in err
    engine.dispose()


def test_a_sender_killed_while_waiting_leaves_the_notice_possibly_sent_even_past_its_lease(notices_home):
    engine = open_store(notices_home.store_url)
    due = _due(engine)
    first = due[0]
    with late_server(delay=60) as (late, handler):
        sender = subprocess.Popen(
            [sys.executable, "-m", "pipeline.cli", "notices", "send"],
            env=_env(notices_home, late), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        assert handler.waiting.wait(60), "the sender never reached the end of its first message"
        sender.kill()
        sender.wait(timeout=30)
    # The dead sender's claim runs out: still the notice is not sent again.
    with transaction(engine) as session:
        session.get_one(NoticeRow, first.id).claimed_at = utcnow() - outbox.CLAIM_LEASE - timedelta(minutes=1)
    with SmtpTestServer() as after:
        again = _notices(["send"], _env(notices_home, after))
        listed = _notices(["list"], _env(notices_home, after))
    assert _deliveries(late, after)[_message_id(first)] == 1
    assert again.exit_code == 0, again.output
    assert f"#{first.id}" in listed.output and "POSSIBLY SENT" in listed.output
    assert _item(engine, first.id).status(utcnow()) is NoticeStatus.POSSIBLY_SENT

    # Within the lease too a person may put it back, once that sender has ended (here: killed).
    with transaction(engine) as session:
        session.get_one(NoticeRow, first.id).claimed_at = utcnow()
    put_back = _notices(["resend", str(first.id), "--by", "Pat Coordinator"], _env(notices_home, after))
    assert put_back.exit_code == 0, put_back.output
    assert _item(engine, first.id).status(utcnow()) is NoticeStatus.PENDING
    engine.dispose()


def test_resend_refuses_a_notice_being_sent_and_one_that_needs_no_say(notices_home, smtp_server):
    engine = open_store(notices_home.store_url)
    first, second, *_ = _due(engine)
    me = sending.sender_id()  # this process: alive
    assert outbox.claim(engine, first.id, me) and outbox.mark_possibly_sent(engine, first.id, me)
    env = _env(notices_home, smtp_server)
    busy = _notices(["resend", str(first.id), "--by", "Pat"], env)
    assert busy.exit_code == 2 and "being sent by" in busy.output
    pending = _notices(["resend", str(second.id), "--by", "Pat"], env)
    assert pending.exit_code == 2 and "not possibly sent" in pending.output
    assert _notices(["resend", "999999", "--by", "Pat"], env).exit_code == 2
    assert _item(engine, first.id).status(utcnow()) is NoticeStatus.POSSIBLY_SENT
    engine.dispose()


def test_a_message_refused_at_its_end_was_not_delivered_and_is_tried_again(notices_home):
    engine = open_store(notices_home.store_url)
    first = _due(engine)[0]
    with late_server(delay=0, reply="554 5.6.0 message refused") as (refusing, _):
        result = _notices(["send", "--limit", "1"], _env(notices_home, refusing))
    assert result.exit_code == 6 and "554" in result.output
    item = _item(engine, first.id)
    assert item.status(utcnow()) is NoticeStatus.FAILED and item.possibly_sent_at is None
    with SmtpTestServer() as after:
        assert _notices(["send", "--limit", "1"], _env(notices_home, after)).exit_code == 0
        assert list(_deliveries(after)) == [_message_id(first)]
    engine.dispose()
