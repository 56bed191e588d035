"""`forget` leaving the person behind: every copy of a PSP's packets (the saved email that carried
one among other people's forms, a reviewer's reason in a later run's report, Prefect's artifacts)
must go, the reports they shared with others must stay, rewritten without them, and a file that
cannot be deleted, or a forget that stops half-way, must not leave the job undoable.

Before: the archived email kept the packet; the run reports that showed it were deleted whole,
with the 25 other people in them; Prefect's artifacts kept the file names; a file that could not
be deleted stopped the command with a traceback after the store had forgotten the person, so that
running it again said "no registration packet names ..." and never finished.
"""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
import shutil
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import MetaData, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from cli import app
from pipeline.load import store
from pipeline.run import process
from samples.renditions import write_eml
from samples.stage import expected_cases

REPO = Path(__file__).resolve().parents[2]
SUBMISSIONS = REPO / "samples" / "submissions"
EMAIL = "jordan.example@example.org"  # reg_valid_cei, and reg_r12_registered_again
NAME = "Jordan Example"
MAIL = "cei-forms.eml"
ATTACHMENT = "jordan-registration.docx"  # Jordan's packet, in the email with two other people's forms
IN_THE_EMAIL = {"reg_valid_isk.pdf": "isk-registration.pdf", "orp_valid_kalamazoo.docx": "kalamazoo-plan.docx"}
REVIEW_REASON = "Jordan Example phoned: the second packet is a resend"
# Dana's packet (reg_r10_no_plan_yet) is signed "Jordan Example": another person's record that names them.
OTHERS_NAMING_THEM = "reg_r10_no_plan_yet.pdf"

runner = CliRunner()


def _stamp(path: Path, moment: datetime) -> None:
    os.utime(path, (moment.timestamp(), moment.timestamp()))


def scene(settings) -> dict[str, int]:
    """Every sample submission, Jordan's first packet in a saved email with two other people's
    forms; a run; a reviewer rejects Jordan's second packet with a reason naming them; a second
    run, whose report shows that decision. Returns the received file ids by name."""
    inbox = settings.data_home.inbox
    inbox.mkdir(parents=True, exist_ok=True)
    cases = {source.name: (source, case) for source, case in expected_cases()}
    sent = datetime.fromisoformat(cases["reg_valid_cei.docx"][1]["received_at"])
    attachments = [(ATTACHMENT, (SUBMISSIONS / "reg_valid_cei.docx").read_bytes())]
    attachments += [(shown, (SUBMISSIONS / name).read_bytes()) for name, shown in IN_THE_EMAIL.items()]
    write_eml(inbox / MAIL, "Avery Sample <avery.sample@example.org>", sent, attachments)
    _stamp(inbox / MAIL, sent + timedelta(minutes=5))
    for name, (source, case) in cases.items():
        if name in IN_THE_EMAIL or name == "reg_valid_cei.docx":
            continue
        shutil.copyfile(source, inbox / name)
        _stamp(inbox / name, datetime.fromisoformat(case["received_at"]))
    first = process(settings)
    ids = {d.file: d.id for d in first.documents}
    rejected = runner.invoke(app, ["review", "reject", str(ids["reg_r12_registered_again.docx"]), "--reason",
                                   REVIEW_REASON, "--by", "reviewer", "--home", str(settings.data_home.root)],
                             env={"PSP_DATABASE_URL": settings.store_url})
    assert rejected.exit_code == 0, rejected.output
    process(settings)  # its report shows the decision since the last run, with its reason
    return ids


def forget(settings, *extra: str):
    return runner.invoke(
        app, ["forget", "--psp-email", EMAIL, "--reason", "request 2026-12-09", "--by", "coordinator",
              "--home", str(settings.data_home.root), *extra],
        env={"PSP_DATABASE_URL": settings.store_url, "PREFECT_HOME": str(settings.data_home.prefect)},
    )


def theirs(ids: dict[str, int]) -> set[int]:
    return {ids[f"{MAIL}/{ATTACHMENT}"], ids["reg_r12_registered_again.docx"]}


def twin(settings, run_id: int) -> dict:
    return json.loads((settings.data_home.reports / f"run-{run_id:05d}.json").read_text("utf-8"))


def page_documents(page: Path) -> dict[int, dict]:
    """The documents the page's script draws, by id, each value's place spelt out."""
    text = page.read_text("utf-8")
    start = text.index('<script type="application/json" id="psp-report-data">') + len('<script type="application/json" id="psp-report-data">')
    data = json.loads(text[start : text.index("</script>", start)])
    documents = {}
    for document in data["docs"]:
        values = [[v[0], data["places"][v[1]], *v[2:]] for v in document["values"]]
        documents[document["id"]] = {**document, "values": values}
    return documents


def strong_values() -> list[bytes]:
    """What only Jordan's own records hold: their email and their files' names."""
    names = [EMAIL, ATTACHMENT, "reg_r12_registered_again.docx", f"{MAIL}__{ATTACHMENT}"]
    return [n.lower().encode() for n in names]


def files_holding(root: Path, needles: list[bytes]) -> dict[str, set[bytes]]:
    found = {}
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes().lower() + str(path.relative_to(root)).lower().encode()
            hits = {n for n in needles if n in data}
            if hits:
                found[str(path.relative_to(root))] = hits
    return found


def store_values(settings) -> list[str]:
    """Every value of every row of the store, as text."""
    engine = store.open_store(settings.store_url)
    values = []
    try:
        metadata = MetaData()
        metadata.reflect(engine)
        with Session(engine) as session:
            for table in metadata.sorted_tables:
                for row in session.execute(select(table)):
                    values += [json.dumps(v, default=str) if isinstance(v, dict | list) else str(v) for v in row]
    finally:
        engine.dispose()
    return values


def snapshot(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and p.name != "run.lock"}


def test_forget_finds_every_copy_and_rewrites_the_shared_reports(settings):
    ids = scene(settings)
    reports = settings.data_home.reports
    before = {run: twin(settings, run) for run in (1, 2)}
    pages = {run: page_documents(reports / f"run-{run:05d}.html") for run in (1, 2)}
    assert any(d["id"] in theirs(ids) for d in before[1]["documents"])
    assert any(REVIEW_REASON == d["reason"] for d in before[2]["decisions"])
    archived = list((settings.data_home.originals / "emails").rglob("*.eml"))
    assert [p.name for p in archived] == [MAIL]

    result = forget(settings)

    assert result.exit_code == 0, result.output
    assert "Deleted 2 document(s), 1 registration(s)" in result.output
    # The email held the packet: it went, and the command says what else it carried.
    assert not archived[0].exists()
    carried = f"#{ids[f'{MAIL}/isk-registration.pdf']} {MAIL}/isk-registration.pdf"
    assert carried in result.output and "their own originals are kept" in result.output
    engine = store.open_store(settings.store_url)
    with Session(engine) as session:
        for shown in IN_THE_EMAIL.values():
            receipt = session.get_one(store.ReceivedFileRow, ids[f"{MAIL}/{shown}"])
            assert Path(receipt.stored_path).is_file()  # the other documents' originals stay
    engine.dispose()

    # The reports are there still, without Jordan, and the other entries as they were.
    for run in (1, 2):
        after = twin(settings, run)
        kept = [d for d in before[run]["documents"] if d["id"] not in theirs(ids)]
        assert after["documents"] == kept
        assert after["waiting"] == [w for w in before[run]["waiting"] if w["id"] not in theirs(ids)]
        assert after["decisions"] == [d for d in before[run]["decisions"] if d["id"] not in theirs(ids)]
        assert sum(after["counts"].values()) == len(kept)
        shown = page_documents(reports / f"run-{run:05d}.html")
        assert shown == {i: d for i, d in pages[run].items() if i not in theirs(ids)}
    assert REVIEW_REASON not in (reports / "run-00002.html").read_text("utf-8")
    assert (reports / "latest.html").read_bytes() == (reports / "run-00002.html").read_bytes()

    # Nothing of their own anywhere: files (names and contents), the store's rows, its file.
    assert files_holding(settings.data_home.root, strong_values()) == {}
    store_file = Path(settings.store_url.removeprefix("sqlite:///")) if settings.store_url.startswith("sqlite") else None
    if store_file is not None:
        for path in (store_file, Path(f"{store_file}-wal")):
            if path.exists():
                data = path.read_bytes().lower()
                assert not [n for n in strong_values() if n in data], path
    values = " ".join(store_values(settings)).lower()
    assert not [n for n in strong_values() if n.decode() in values]
    assert REVIEW_REASON.lower() not in values
    # Their name is left only in Dana's record (a co-signature), and the self-check says so.
    named = files_holding(settings.data_home.root, [NAME.lower().encode()])
    assert named and all(p.startswith(("originals/held/", "reports/")) for p in named), named
    for run in (1, 2):
        for document in twin(settings, run)["documents"]:
            if NAME in json.dumps(document):
                assert document["file"] == OTHERS_NAMING_THEM
    assert "nothing of theirs is left" in result.output
    assert OTHERS_NAMING_THEM in result.output.split("other people's records")[1]


class _Refused:
    """``Path.unlink`` refusing one file, as a read-only folder or a file in use would."""

    def __init__(self, monkeypatch, target: Path, error: BaseException) -> None:
        self.target, self.error, self.calls = target, error, 0
        self.real = pathlib.Path.unlink
        monkeypatch.setattr(pathlib.Path, "unlink", self)

    def __get__(self, path, owner=None):  # noqa: ANN001, ANN204 - a method, bound as functions are
        return lambda *args, **kwargs: self(path, *args, **kwargs)

    def __call__(self, path, *args, **kwargs):  # noqa: ANN001, ANN204
        if Path(path) == self.target:
            self.calls += 1
            raise self.error
        return self.real(path, *args, **kwargs)


def _original_of(settings, received_file_id: int) -> Path:
    engine = store.open_store(settings.store_url)
    with Session(engine) as session:
        path = Path(session.get_one(store.ReceivedFileRow, received_file_id).stored_path)
    engine.dispose()
    return path


def test_a_file_that_cannot_be_deleted_is_one_line_and_the_next_forget_finishes(settings, monkeypatch):
    ids = scene(settings)
    stuck = _original_of(settings, ids[f"{MAIL}/{ATTACHMENT}"])
    refused = _Refused(monkeypatch, stuck, PermissionError(13, "Permission denied", str(stuck)))

    result = forget(settings)

    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code != 0 and refused.calls == 1
    said = [line for line in result.output.splitlines() if stuck.name in line and "could not delete" in line]
    assert len(said) == 1 and "run the same forget again" in said[0], result.output
    # The rest went on: the email, the other file, the reports.
    assert not list((settings.data_home.originals / "emails").rglob("*.eml"))
    assert not _original_of(settings, ids["reg_r12_registered_again.docx"]).exists()
    assert not any(d["id"] in theirs(ids) for d in twin(settings, 1)["documents"])
    assert stuck.is_file()

    monkeypatch.setattr(pathlib.Path, "unlink", refused.real)
    again = forget(settings)

    assert again.exit_code == 0, again.output
    assert not stuck.exists()
    assert "nothing of theirs is left" in again.output
    assert files_holding(settings.data_home.root, strong_values()) == {}


@pytest.mark.parametrize("where", ["deleting the files", "writing the overview"])
def test_a_forget_interrupted_is_finished_by_the_next(settings, monkeypatch, where):
    ids = scene(settings)
    if where == "deleting the files":
        _Refused(monkeypatch, _original_of(settings, ids["reg_r12_registered_again.docx"]), KeyboardInterrupt())
    else:
        import pipeline.report.overview

        def interrupted(*args, **kwargs):  # noqa: ANN002, ANN003
            raise KeyboardInterrupt

        monkeypatch.setattr(pipeline.report.overview, "write_overview", interrupted)

    try:
        stopped = forget(settings)  # Click makes Ctrl-C an exit ("Aborted!")
    except KeyboardInterrupt:
        stopped = None
    assert stopped is None or stopped.exit_code != 0
    monkeypatch.undo()
    again = forget(settings)

    assert again.exit_code == 0, again.output
    assert files_holding(settings.data_home.root, strong_values()) == {}
    assert NAME not in (settings.data_home.reports / "overview.html").read_text("utf-8")
    assert "nothing of theirs is left" in again.output


def test_dry_run_lists_what_would_go_and_changes_nothing(settings):
    ids = scene(settings)
    files, values = snapshot(settings.data_home.root), store_values(settings)

    result = forget(settings, "--dry-run")

    assert result.exit_code == 0, result.output
    assert snapshot(settings.data_home.root) == files and store_values(settings) == values
    listed = result.output
    for rid in theirs(ids):
        assert str(_original_of(settings, rid).relative_to(settings.data_home.root)) in listed
    assert "originals/emails/" in listed and MAIL in listed
    assert "reports/run-00001.html" in listed and "reports/run-00002.html" in listed
    assert "nothing was changed" in listed


@pytest.mark.flow
def test_prefect_artifacts_of_a_real_flow_run_lose_the_person(settings, tmp_path):
    """One real flow run through ``psp-pipeline run`` (a temporary Prefect server on
    ``$PREFECT_HOME/prefect.db``), then forget: Prefect's database keeps the others' rows only."""
    inbox = settings.data_home.inbox
    inbox.mkdir(parents=True)
    for source, case in expected_cases():
        shutil.copyfile(source, inbox / source.name)
        _stamp(inbox / source.name, datetime.fromisoformat(case["received_at"]))
    prefect_home = settings.data_home.prefect
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PSP_DATABASE_URL=settings.store_url, PREFECT_HOME=str(prefect_home), DO_NOT_TRACK="1",
               PREFECT_SERVER_ANALYTICS_ENABLED="false", PYTHONPATH=str(REPO))
    command = [str(Path(sys.executable).parent / "psp-pipeline")]
    ran = subprocess.run([*command, "run", "--home", str(settings.data_home.root)], env=env, capture_output=True,
                         text=True, timeout=600)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    database = prefect_home / "prefect.db"

    def artifacts() -> dict[str, str]:
        with sqlite3.connect(database) as connection:
            return {key: json.loads(data) for key, data in connection.execute("SELECT key, data FROM artifact")}

    before = artifacts()
    mine = ["reg_valid_cei.docx", "reg\\_valid\\_cei.docx", "reg_r12_registered_again.docx",
            "reg\\_r12\\_registered\\_again.docx"]
    assert any(name in before["psp-run-documents"] for name in mine)

    forgot = subprocess.run([*command, "forget", "--psp-email", EMAIL, "--reason", "request", "--home",
                             str(settings.data_home.root)], env=env, capture_output=True, text=True, timeout=600)

    assert forgot.returncode == 0, forgot.stdout + forgot.stderr
    after = artifacts()
    rows = json.loads(after["psp-run-documents"])
    assert len(rows) == len(json.loads(before["psp-run-documents"])) - 2
    assert not any(row["file"] in ("reg_valid_cei.docx", "reg_r12_registered_again.docx") for row in rows)
    assert "reg\\_r04\\_other\\_credential.docx" in after["psp-run-summary"]  # the others stay
    with sqlite3.connect(database) as connection:
        everything = " ".join(str(v) for table in ("artifact", "artifact_collection", "events")
                              for row in connection.execute(f"SELECT * FROM {table}") for v in row)  # noqa: S608
    assert not [name for name in mine if name in everything]
    for path in (database, Path(f"{database}-wal")):  # nor in the file's free pages or its log
        if path.exists():
            data = path.read_bytes()
            assert not [name for name in mine if name.encode() in data], path


def test_an_overview_that_cannot_be_written_again_is_no_clean_forget(settings, monkeypatch):
    """The overview showed the person: a forget that cannot write it again says so, on stderr,
    and exits non-zero; the same forget again, once it can, writes it and ends clean."""
    scene(settings)
    import pipeline.report.overview

    def disk_full(*args, **kwargs):  # noqa: ANN002, ANN003
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pipeline.report.overview, "write_overview", disk_full)
    stopped = forget(settings)
    assert stopped.exit_code != 0 and "overview.html could not be written again" in stopped.output
    monkeypatch.undo()

    again = forget(settings)
    assert again.exit_code == 0, again.output
    assert "Wrote the overview again" in again.output and "nothing of theirs is left" in again.output
    assert EMAIL not in (settings.data_home.reports / "overview.html").read_text("utf-8")
