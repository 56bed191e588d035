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

from cli import app
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
            [sys.executable, "-m", "cli", "notices", "send"],
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
            [sys.executable, "-m", "cli", "notices", "send"],
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
    assert outbox.claim(engine, first.id, me) and outbox.mark_possibly_sent(engine, first.id, me, kind=first.kind)
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


# --- A notice rewritten for another outcome while its sender waits for the server ------------------
#
# A held notice was handed to the server and its sender waited for the answer to the end of it;
# meanwhile a reviewer rejected the packet, and writing the rejection notice rewrote the same row
# (and .eml) as the rejection, its claim and "possibly sent" cleared. The server's 250 then marked
# the row sent: the rejection was recorded as sent and never went out. Now a notice a sender holds
# is left as it is (the sender settles the message it handed over, and only that one: its claim,
# the kind it claimed); the rejection stays owed and goes out once written after that.


class _Deciding(_Handler):
    """Keeps each message, says so (``waiting``), then answers the end of it only when the test
    says (``go``): 250, a refusal, or no answer at all (the connection dropped)."""

    def __init__(self, server: SmtpTestServer, reply: str | None) -> None:
        super().__init__(server)
        self.reply = reply
        self.waiting = threading.Event()
        self.go = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.server.lock:
            self.server.received.append(Received(envelope.mail_from, tuple(envelope.rcpt_tos), envelope.original_content))
        self.waiting.set()
        while not self.go.is_set():
            await asyncio.sleep(0.02)
        if self.reply is None:
            server.transport.abort()
            return "421 4.3.0 gone"
        return self.reply


@pytest.fixture
def held_notice(settings, validation_context, tmp_path):
    """A fresh store with one held packet (its agency has no plan) and its notice written."""
    from pipeline.load import program, store
    from pipeline.model import Outcome
    from pipeline.service import write_missing_notices
    from tests.conftest import VALID_PACKET, make_document

    engine = open_store(settings.store_url)

    def destination(received, outcome):
        return tmp_path / "filed" / outcome.value / received.sha256

    document = make_document("PSP-REG", dict(VALID_PACKET), name="packet.pdf")
    (held,), _ = program.record_batch(engine, store.start_run(engine), [document], validation_context, destination)
    assert held.outcome is Outcome.HELD
    write_missing_notices(settings, engine, just_stored=[held])
    (notice,) = outbox.notices(engine)
    assert notice.kind == "held" and notice.due(utcnow())
    yield engine, held, notice, destination
    engine.dispose()


def _kinds(*servers: SmtpTestServer) -> list[str]:
    return [str(r.message["X-PSP-Notice"]) for server in servers for r in server.received]


@pytest.mark.parametrize("reply", ["250 2.0.0 accepted", "554 5.6.0 message refused", None],
                         ids=["accepted", "refused", "no answer"])
def test_a_notice_rejected_while_its_held_notice_waits_for_the_server_still_goes_out(settings, held_notice, reply):
    from pipeline.load import review
    from pipeline.service import write_missing_notices

    engine, held, notice, destination = held_notice
    outcome: dict[str, Any] = {}
    server = SmtpTestServer()
    handler = server.controller.handler = _Deciding(server, reply)
    with server:
        smtp = sending.SmtpServer(host="127.0.0.1", port=server.port, starttls=False, timeout=10, data_timeout=60)
        sender = threading.Thread(target=lambda: outcome.update(delivery=sending.send_notices(engine, smtp)))
        sender.start()
        try:
            assert handler.waiting.wait(30), "the sender never reached the end of the held notice"
            # The reviewer rejects the packet while the server holds the answer back, and its
            # notice is written as `review reject` does after its decision.
            review.reject(engine, held.received_file_id, actor="coordinator", reason="not employed by the agency",
                          destination=destination, message_to_agency="The PSP must be employed by the agency.")
            assert held.received_file_id in write_missing_notices(settings, engine)
            during = _item(engine, notice.id)
        finally:
            handler.go.set()
            sender.join(60)
    assert not sender.is_alive()
    after = _item(engine, notice.id)
    # The held notice, handed over, stays the held one (withdrawn by the rejection, its claim kept
    # while its sender waits); the server's answer is recorded on it, never on the rejection...
    assert (during.kind, during.status(utcnow()), during.possibly_sent_at is not None) == (
        "held", NoticeStatus.WITHDRAWN, True)
    assert during.claimed_by is not None and during.withdrawn_by == "coordinator"
    assert after.kind == "held" and after.claimed_by is None
    assert (after.sent_at is not None) is (reply is not None and reply.startswith("250"))
    # ... which is a notice of its own, written at once, and goes out, once.
    (rejection,) = [i for i in outbox.notices(engine) if i.kind == "rejected"]
    assert rejection.id != notice.id and rejection.sent_at is None
    assert [(i.id, i.kind) for i in _due(engine)] == [(rejection.id, "rejected")]
    with SmtpTestServer() as later:
        again = sending.send_notices(engine, sending.SmtpServer(host="127.0.0.1", port=later.port, starttls=False,
                                                                timeout=10))
    assert [i.id for i in again.sent] == [rejection.id]
    assert _kinds(server, later) == ["held", "rejected"]
    assert _item(engine, rejection.id).status(utcnow()) is NoticeStatus.SENT
    assert not _due(engine) and held.received_file_id not in outbox.missing_notices(engine)


def test_a_notice_withdrawn_once_claimed_is_not_handed_over_and_the_new_one_goes(settings, held_notice, smtp_server,
                                                                                  monkeypatch):
    """The reviewer rejects the packet just after a sender claimed its held notice, before the
    message goes to the server, and the rejection's notice is written meanwhile. The held notice
    no longer says what is true: withdrawn, it is not handed over (``mark_possibly_sent``), and
    the rejection, a notice of its own, goes out with the next sending, once."""
    from pipeline.load import review
    from pipeline.service import write_missing_notices

    engine, held, notice, destination = held_notice
    claim = outbox.claim

    def claimed_then_rejected(*args: Any, **kwargs: Any) -> bool:
        taken = claim(*args, **kwargs)
        review.reject(engine, held.received_file_id, actor="coordinator", reason="not employed by the agency",
                      destination=destination)
        assert held.received_file_id in write_missing_notices(settings, engine)
        return taken

    monkeypatch.setattr(outbox, "claim", claimed_then_rejected)
    smtp = sending.SmtpServer(host="127.0.0.1", port=smtp_server.port, starttls=False, timeout=10)
    first = sending.send_notices(engine, smtp)
    monkeypatch.setattr(outbox, "claim", claim)
    assert first.sent == [] and [i.id for i, _ in first.skipped] == [notice.id]
    assert _kinds(smtp_server) == []
    item = _item(engine, notice.id)
    assert (item.kind, item.sent_at, item.possibly_sent_at, item.status(utcnow())) == (
        "held", None, None, NoticeStatus.WITHDRAWN)
    write_missing_notices(settings, engine)
    (rejection,) = [i for i in outbox.notices(engine) if i.kind == "rejected"]
    again = sending.send_notices(engine, smtp)
    assert [i.id for i in again.sent] == [rejection.id]
    assert _kinds(smtp_server) == ["rejected"]


def test_a_notice_made_the_rejection_is_not_sent_before_its_file_is(settings, held_notice, smtp_server):
    """Between the writer's recording a notice as the rejection and its writing the file, the
    file still holds the held notice: it is not due then (else it would go out as the rejection)."""
    from pipeline.load import review
    from pipeline.service import write_missing_notices

    engine, held, notice, destination = held_notice
    review.reject(engine, held.received_file_id, actor="coordinator", reason="not employed by the agency",
                  destination=destination)
    (rejection_id,) = outbox.prepare_notices(engine, [(held.received_file_id, notice.to_address, notice.path,
                                                       "rejected")])
    item = _item(engine, rejection_id)
    assert (item.kind, item.status(utcnow())) == ("rejected", NoticeStatus.NOT_WRITTEN)
    assert _item(engine, notice.id).status(utcnow()) is NoticeStatus.WITHDRAWN  # the held one, never sent now
    smtp = sending.SmtpServer(host="127.0.0.1", port=smtp_server.port, starttls=False, timeout=10)
    assert sending.send_notices(engine, smtp).sent == [] and smtp_server.received == []
    write_missing_notices(settings, engine)
    assert [i.id for i in sending.send_notices(engine, smtp).sent] == [rejection_id]
    assert _kinds(smtp_server) == ["rejected"]
