"""An email is archived under originals/emails/<day>/ once all its attachments are filed; a run
that stopped before that is finished by the next one. An email without forms goes to a person."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

from pipeline.load.emails import archive_emails
from pipeline.run import process
from samples.renditions import write_eml

SUBMISSIONS = Path(__file__).resolve().parents[2] / "samples" / "submissions"
SENT = datetime(2026, 12, 1, 9, 30, tzinfo=timezone(timedelta(hours=-5)))


def test_the_email_moves_only_when_every_attachment_is_filed(settings, collect):
    home = settings.data_home
    home.inbox.mkdir(parents=True)
    write_eml(home.inbox / "mail.eml", "Avery <avery.sample@example.org>", SENT,
              [("a.pdf", (SUBMISSIONS / "orp_valid_cei.pdf").read_bytes()), ("b.pdf", (SUBMISSIONS / "reg_r01_no_child_condition.pdf").read_bytes())])
    parts = collect(home.inbox)
    parts[0].path.unlink()
    assert archive_emails(home, settings.zone) == 0 and (home.inbox / "mail.eml").is_file()
    parts[1].path.unlink()
    assert archive_emails(home, settings.zone) == 1
    assert (home.originals / "emails" / "2026-12-01" / "mail.eml").is_file()
    assert list(home.staging.iterdir()) == [] and list(home.inbox.iterdir()) == []


def test_a_run_reads_the_attachments_and_sends_to_a_person_an_email_without_forms(settings):
    home = settings.data_home
    home.inbox.mkdir(parents=True)
    write_eml(home.inbox / "forms.eml", "Avery Sample <avery.sample@example.org>", SENT, [
        ("plan.pdf", (SUBMISSIONS / "orp_valid_cei.pdf").read_bytes()),
        ("missing.pdf", (SUBMISSIONS / "orp_r01_missing_fields.pdf").read_bytes()),
    ])
    write_eml(home.inbox / "hello.eml", "Avery Sample <avery.sample@example.org>", SENT + timedelta(hours=1), [])
    summary = process(settings)
    outcomes = {d.file: d.outcome for d in summary.documents}
    assert outcomes == {"forms.eml/plan.pdf": "accepted", "forms.eml/missing.pdf": "rejected", "hello.eml": "needs_review"}
    rejected = next(d for d in summary.documents if d.outcome == "rejected")
    assert rejected.notice.to == "avery.sample@example.org"
    waiting = {w["file"]: w["reason"] for w in summary.waiting}
    assert "has no attachment" in waiting["hello.eml"]
    assert (home.originals / "emails" / "2026-12-01" / "forms.eml").is_file()
    assert (home.originals / "needs_review" / "2026-12-01" / "hello.eml").is_file()
    assert list(home.inbox.iterdir()) == []


def test_an_email_left_by_a_stopped_run_is_archived_not_read_again(settings, collect):
    home = settings.data_home
    home.inbox.mkdir(parents=True)
    write_eml(home.inbox / "mail.eml", "Avery <avery.sample@example.org>", SENT,
              [("a.pdf", (SUBMISSIONS / "orp_valid_cei.pdf").read_bytes())])
    for part in collect(home.inbox):
        shutil.move(part.path, home.root / part.path.name)  # filed, then the run stopped
    summary = process(settings)
    assert summary.documents == []
    assert (home.originals / "emails" / "2026-12-01" / "mail.eml").is_file()
