"""Delivering notices over SMTP to a real server on 127.0.0.1: each notice that is due goes out
exactly once, also when `notices send` runs twice at once, is interrupted, or dies holding a
claim; failures stay in the outbox for the next try."""

from __future__ import annotations

import os
import smtplib
import ssl
import subprocess
import sys
from datetime import timedelta

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from cli import app
from pipeline.errors import DeliveryError
from pipeline.load import outbox
from pipeline.load.outbox import NoticeStatus
from pipeline.load.store import NoticeRow, open_store, transaction, utcnow
from pipeline.report import sending
from pipeline.report.sending import SmtpServer, send_notices
from tests.report.smtp import SmtpTestServer, free_port, self_signed_certificate


def _plain(server: SmtpTestServer) -> SmtpServer:
    return SmtpServer(host="127.0.0.1", port=server.port, starttls=False, timeout=5)


def _due(engine) -> list[outbox.OutboxItem]:
    now = utcnow()
    return [item for item in outbox.notices(engine) if item.due(now)]


def _env(settings, server: SmtpTestServer) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("PSP_")},
        "PSP_HOME": str(settings.home),
        "PSP_SMTP_HOST": "127.0.0.1",
        "PSP_SMTP_PORT": str(server.port),
        "PSP_SMTP_STARTTLS": "false",
        **({"PSP_DATABASE_URL": settings.database_url} if settings.database_url else {}),
    }


def test_each_due_notice_is_sent_once_to_its_address(outbox_home, smtp_server):
    engine = open_store(outbox_home.store_url)
    due = _due(engine)
    assert len(due) >= 10
    delivery = send_notices(engine, _plain(smtp_server))
    assert sorted(i.id for i in delivery.sent) == sorted(i.id for i in due)
    assert not delivery.failed
    assert sorted(smtp_server.recipients()) == sorted(i.to_address for i in due)
    for item, received in zip(sorted(due, key=lambda i: i.id), smtp_server.received, strict=True):
        # Sent as written: the very message of the outbox file.
        assert received.message["Message-ID"] == sending._read(item)["Message-ID"]
        assert received.mail_from == "psp-coordinator@example.org"
    statuses = {i.id: i.status(utcnow()) for i in outbox.notices(engine)}
    assert set(statuses.values()) == {NoticeStatus.SENT}
    # Nothing is due any more: a second run sends nothing.
    again = send_notices(engine, _plain(smtp_server))
    assert again.sent == [] and len(smtp_server.received) == len(due)
    engine.dispose()


def test_dry_run_sends_and_changes_nothing(outbox_home, smtp_server):
    result = CliRunner().invoke(app, ["notices", "send", "--dry-run"], env=_env(outbox_home, smtp_server))
    assert result.exit_code == 0, result.output
    assert "would send #" in result.output and "nothing was sent" in result.output
    assert smtp_server.received == []
    engine = open_store(outbox_home.store_url)
    assert all(i.attempts == 0 and i.claimed_at is None for i in outbox.notices(engine))
    engine.dispose()


def test_cli_list_then_send_then_list(outbox_home, smtp_server):
    runner, env = CliRunner(), _env(outbox_home, smtp_server)
    listed = runner.invoke(app, ["notices", "list"], env=env)
    assert listed.exit_code == 0, listed.output
    assert "to send" in listed.output and ".eml" in listed.output
    sent = runner.invoke(app, ["notices", "send"], env=env)
    assert sent.exit_code == 0, sent.output
    assert f"Sent {len(smtp_server.received)};" in sent.output
    assert runner.invoke(app, ["notices", "list"], env=env).output.strip().endswith("0 notices.")
    after = runner.invoke(app, ["notices", "list", "--all"], env=env)
    assert after.exit_code == 0 and f"{len(smtp_server.received)} sent." in after.output


def test_two_senders_at_once_send_each_notice_once(outbox_home):
    """Two `psp-pipeline notices send` processes over the same outbox, against a slow server."""
    with SmtpTestServer(delay=0.05) as server:
        engine = open_store(outbox_home.store_url)
        due = _due(engine)
        command = [sys.executable, "-m", "cli", "notices", "send"]
        runs = [
            subprocess.Popen(command, env=_env(outbox_home, server), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)
        ]
        outputs = [run.communicate(timeout=60) for run in runs]
        assert [run.returncode for run in runs] == [0, 0], outputs
        assert sorted(server.recipients()) == sorted(i.to_address for i in due)  # each exactly once
        assert all(i.sent_at is not None for i in outbox.notices(engine))
        # Both did part of the work (the server is slow enough for them to overlap).
        assert all("sent #" in out for out, _ in outputs), outputs
        engine.dispose()


def test_an_interrupted_send_settles_what_it_held_and_the_next_run_finishes(outbox_home, smtp_server, monkeypatch):
    engine = open_store(outbox_home.store_url)
    due = _due(engine)
    real_send = sending.SmtpConnection.send
    calls = []

    def interrupted_on_the_third(self, message, to_address):
        calls.append(to_address)
        if len(calls) == 3:
            raise KeyboardInterrupt
        real_send(self, message, to_address)

    monkeypatch.setattr(sending.SmtpConnection, "send", interrupted_on_the_third)
    with pytest.raises(KeyboardInterrupt):
        send_notices(engine, _plain(smtp_server))
    by_id = {i.id: i for i in outbox.notices(engine)}
    ordered = sorted(due, key=lambda i: i.id)
    assert [by_id[i.id].sent_at is not None for i in ordered[:3]] == [True, True, False]
    third = by_id[ordered[2].id]
    assert third.claimed_at is None and third.attempts == 1 and "interrupted" in third.last_error
    assert all(by_id[i.id].attempts == 0 for i in ordered[3:])
    assert len(smtp_server.received) == 2

    monkeypatch.setattr(sending.SmtpConnection, "send", real_send)
    send_notices(engine, _plain(smtp_server))
    assert sorted(smtp_server.recipients()) == sorted(i.to_address for i in due)
    engine.dispose()


def test_a_claim_left_by_a_dead_sender_waits_for_its_lease_then_is_sent_once(outbox_home, smtp_server):
    engine = open_store(outbox_home.store_url)
    first, *rest = sorted(_due(engine), key=lambda i: i.id)
    assert outbox.claim(engine, first.id, "dead-sender")
    assert not outbox.claim(engine, first.id, "another")  # held: nobody else takes it
    delivery = send_notices(engine, _plain(smtp_server))
    assert sorted(smtp_server.recipients()) == sorted(i.to_address for i in rest)
    assert any(item.id == first.id and "being sent by dead-sender" in reason for item, reason in delivery.skipped)

    # The dead sender's lease runs out: the notice is due again, and goes out once.
    with transaction(engine) as session:
        session.get_one(NoticeRow, first.id).claimed_at = utcnow() - outbox.CLAIM_LEASE - timedelta(minutes=1)
    send_notices(engine, _plain(smtp_server))
    assert sorted(smtp_server.recipients()) == sorted(i.to_address for i in [first, *rest])
    notice = next(i for i in outbox.notices(engine) if i.id == first.id)
    assert notice.sent_at is not None and notice.attempts == 2 and notice.claimed_by is None
    engine.dispose()


def test_a_refused_recipient_is_kept_for_the_next_try(outbox_home):
    engine = open_store(outbox_home.store_url)
    due = _due(engine)
    refused = due[0].to_address
    with SmtpTestServer(refuse=(refused,)) as server:
        result = CliRunner().invoke(app, ["notices", "send"], env=_env(outbox_home, server))
        assert result.exit_code == 6, result.output
        assert "FAILED" in result.output and "550" in result.output
        assert refused not in server.recipients()
    failed = [i for i in outbox.notices(engine) if i.to_address == refused]
    assert all(i.status(utcnow()) is NoticeStatus.FAILED and i.attempts == 1 and "550" in i.last_error for i in failed)
    with SmtpTestServer() as server:
        send_notices(engine, _plain(server))
        assert sorted(server.recipients()) == [refused] * len(failed)
    engine.dispose()


def test_an_unreachable_server_stops_the_delivery_and_keeps_every_notice(outbox_home):
    engine = open_store(outbox_home.store_url)
    before = len(_due(engine))
    with pytest.raises(DeliveryError, match="cannot reach"):
        send_notices(engine, SmtpServer(host="127.0.0.1", port=free_port(), starttls=False, timeout=2))
    assert len(_due(engine)) == before
    engine.dispose()


def test_starttls_and_login(outbox_home, tmp_path):
    certificate = self_signed_certificate(tmp_path)
    with SmtpTestServer(certificate=certificate, login=("psp", "s3cret")) as server:
        engine = open_store(outbox_home.store_url)
        server_settings = SmtpServer(host="127.0.0.1", port=server.port, starttls=True, user="psp", password="s3cret", timeout=5)
        trusted = ssl.create_default_context(cafile=str(certificate[0]))
        delivery = send_notices(engine, server_settings, limit=2, ssl_context=trusted)
        assert len(delivery.sent) == 2 and server.logins == ["psp"]
        # A wrong password is refused: the delivery stops, the notice stays.
        wrong = SmtpServer(host="127.0.0.1", port=server.port, starttls=True, user="psp", password="nope", timeout=1)
        with pytest.raises(DeliveryError, match="log in"):
            send_notices(engine, wrong, ssl_context=trusted)
        # Without STARTTLS this server refuses to take mail at all.
        with pytest.raises(DeliveryError):
            send_notices(engine, SmtpServer(host="127.0.0.1", port=server.port, starttls=False, timeout=5))
        assert len(server.received) == 2
        engine.dispose()


def test_a_notice_whose_document_changed_outcome_is_not_sent(outbox_home, smtp_server):
    engine = open_store(outbox_home.store_url)
    first = min(_due(engine), key=lambda i: i.id)
    with engine.begin() as connection:
        connection.execute(text("UPDATE received_files SET outcome = 'accepted' WHERE id = :id"), {"id": first.received_file_id})
    delivery = send_notices(engine, _plain(smtp_server))
    assert first.id not in {i.id for i in delivery.sent}
    assert any(i.id == first.id and "accepted now" in reason for i, reason in delivery.skipped)
    engine.dispose()


def test_a_notice_rewritten_for_another_outcome_is_sent_again(outbox_home, smtp_server):
    engine = open_store(outbox_home.store_url)
    held = next(i for i in outbox.notices(engine) if i.kind == "held")
    send_notices(engine, _plain(smtp_server), limit=100)
    assert next(i for i in outbox.notices(engine) if i.id == held.id).sent_at is not None
    # A reviewer rejects the held registration: its notice is rewritten as a rejection.
    with engine.begin() as connection:
        connection.execute(text("UPDATE received_files SET outcome = 'rejected' WHERE id = :id"), {"id": held.received_file_id})
    outbox.set_kind(engine, held.id, "rejected")
    again = send_notices(engine, _plain(smtp_server))
    assert [i.id for i in again.sent] == [held.id]
    engine.dispose()


def test_no_smtp_host_is_a_configuration_error(outbox_home, smtp_server):
    env = {k: v for k, v in _env(outbox_home, smtp_server).items() if not k.startswith("PSP_SMTP")}
    result = CliRunner().invoke(app, ["notices", "send"], env=env)
    assert result.exit_code == 4
    assert "PSP_SMTP_HOST" in result.output


def test_the_password_never_shows(outbox_home):
    from pipeline.settings import Settings

    settings = Settings(home=outbox_home.home, smtp_host="h", smtp_password="s3cret")
    assert "s3cret" not in repr(settings) and "s3cret" not in repr(SmtpServer.from_settings(settings))
    assert SmtpServer.from_settings(settings).password == "s3cret"


def test_a_server_without_8bitmime_gets_quoted_printable(outbox_home, smtp_server, monkeypatch):
    engine = open_store(outbox_home.store_url)
    monkeypatch.setattr(smtplib.SMTP, "has_extn", lambda self, name: False if name == "8bitmime" else name in self.esmtp_features)
    send_notices(engine, _plain(smtp_server), limit=1)
    received = smtp_server.received[0]
    assert received.data.isascii() and b"quoted-printable" in received.data
    assert "·" in received.message.get_content()
    engine.dispose()
