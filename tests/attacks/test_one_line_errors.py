"""Attacks the command line with a world that fails: a corrupt store, a role without CREATE, a
read-only data home, a full disk, an unreachable Prefect server, a 30-digit id, an export into no
folder, a run on a data home never made.

Issue 16, item 13: each of these printed a traceback (301 lines for a store error under Prefect)
and exited 1, or, for a run on a data home never initialised, made one and reported "0 files
processed". Each now prints one line saying what went wrong and what to do, and exits with its
own status (``pipeline.errors.ExitCode``): 2 a wrong argument, 4 the data home (never
initialised, read-only), 5 the store (damaged, a role that may not create its tables, the same
under Prefect), 69 Prefect's server out of reach, 74 a full disk, after which nothing is lost and
the next run finishes what was left.

Every test runs the real ``psp-pipeline`` in a process of its own, with this tree's code first on
its path. A full disk cannot be made here (no small file system can be mounted): the run's
process gets a ``sitecustomize`` that makes every write into one folder of the data home fail
with ENOSPC, as the kernel does when the disk is full, below the pipeline's code (its
``open()``, ``os.open()`` and temporary files alike). A read-only data home does not stop root,
which these tests run as: the command then runs as ``nobody`` (``setpriv``) in a home of its own.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import textwrap
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from pipeline.load import queries, store
from samples.stage import expected_cases, stage

REPO = Path(__file__).resolve().parents[2]
CLI = Path(sys.executable).with_name("psp-pipeline")
CASES = {expected["file"]: expected for _, expected in expected_cases()}
THIRTY_DIGITS = "123456789012345678901234567890"
# The exit statuses, as numbers (``pipeline.errors.ExitCode`` names them): a scheduler sees these.
BAD_INPUT, CONFIGURATION, STORE, PREFECT_UNAVAILABLE, DISK_FULL = 2, 4, 5, 69, 74


def psp(*args: str, env: dict[str, str] | None = None, path_first: Path | None = None, user: str | None = None,
        cwd: Path | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    """``psp-pipeline *args`` in a process of its own: this tree's code, no PSP_ or PREFECT_
    setting of the caller's, SQLite in the data home unless ``env`` says otherwise."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("PSP_", "PREFECT_"))}
    environment["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(path_first) if path_first else "", str(REPO), os.environ.get("PYTHONPATH", "")) if p
    )
    environment.update(env or {})
    command = [str(CLI), *args]
    if user is not None:
        entry = pwd.getpwnam(user)
        command = ["setpriv", f"--reuid={entry.pw_uid}", f"--regid={entry.pw_gid}", "--clear-groups", *command]
    return subprocess.run(command, env=environment, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          check=False)


def one_line(result: subprocess.CompletedProcess, status: int, *said: str) -> str:
    """The command failed with ``status`` and said so on one line of stderr holding each of ``said``."""
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr[-3000:]
    assert result.returncode == status, (result.returncode, result.stderr)
    assert lines[0].startswith("psp-pipeline: "), lines[0]
    for words in said:
        assert words in lines[0], (words, lines[0])
    return lines[0]


def initialised(home: Path, env: dict[str, str] | None = None) -> Path:
    made = psp("init", "--home", str(home), env=env)
    assert made.returncode == 0, made.stderr
    return home


# --- the store ---------------------------------------------------------------------------------


@pytest.fixture
def corrupt_home(tmp_path: Path) -> Path:
    """An initialised data home (SQLite) whose store.sqlite is random bytes, a form in its inbox."""
    home = initialised(tmp_path / "home")
    for leftover in home.glob("store.sqlite-*"):
        leftover.unlink()
    (home / "store.sqlite").write_bytes(os.urandom(64 * 1024))
    shutil.copy(next(iter(expected_cases()))[0], home / "inbox")
    return home


@pytest.mark.parametrize("command", [["status"], ["run", "--without-prefect"], ["review", "list"],
                                     ["export", "--format", "csv"], ["init"]])
def test_a_corrupt_store_is_one_line_and_exit_5(corrupt_home, command):
    before = (corrupt_home / "store.sqlite").read_bytes()
    inbox = sorted(p.name for p in (corrupt_home / "inbox").iterdir())

    result = psp(*command, "--home", str(corrupt_home))

    one_line(result, STORE, str(corrupt_home / "store.sqlite"), "not a database", "backup")
    assert (corrupt_home / "store.sqlite").read_bytes() == before
    assert sorted(p.name for p in (corrupt_home / "inbox").iterdir()) == inbox


@pytest.mark.flow
def test_a_store_error_under_prefect_is_the_same_one_line_and_exit_5(corrupt_home, tmp_path):
    """The StoreError raised in the flow's first task reaches the command as it would without
    Prefect: Prefect's tracebacks of the failed task and flow runs stay out of the console."""
    without = psp("run", "--without-prefect", "--home", str(corrupt_home))
    line = one_line(without, STORE, "not a database")

    under_prefect = psp("run", "--home", str(corrupt_home), env={"PREFECT_HOME": str(tmp_path / "prefect")})

    assert one_line(under_prefect, STORE) == line
    assert [p.name for p in (corrupt_home / "inbox").iterdir()] == [next(iter(CASES))]


@pytest.fixture
def role_without_create(postgres_database: str | None) -> Iterator[str]:
    """A database of its own and a role that may connect to it but create nothing in it."""
    if postgres_database is None:
        pytest.skip("PSP_TEST_POSTGRES_URL is not set: no PostgreSQL server to make a role on")
    server_url = make_url(os.environ["PSP_TEST_POSTGRES_URL"])
    suffix = uuid.uuid4().hex[:8]
    role, database = f"psp_no_create_{suffix}", f"psp_no_create_{suffix}"
    server = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(text(f'CREATE ROLE "{role}" LOGIN'))
        connection.execute(text(f'CREATE DATABASE "{database}"'))
    inside = create_engine(server_url.set(database=database), isolation_level="AUTOCOMMIT")
    with inside.connect() as connection:  # as PostgreSQL 15 has it, whatever the server's version
        connection.execute(text("REVOKE CREATE ON SCHEMA public FROM PUBLIC"))
    inside.dispose()
    try:
        yield server_url.set(username=role, password=None, database=database).render_as_string(hide_password=False)
    finally:
        with server.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
            connection.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        server.dispose()


@pytest.mark.parametrize("command", [["init"], ["run", "--without-prefect"], ["status"]])
def test_a_postgres_role_without_create_is_one_line_and_exit_5(role_without_create, tmp_path, command):
    home = tmp_path / "home"
    (home / "inbox").mkdir(parents=True)

    result = psp(*command, "--home", str(home), env={"PSP_DATABASE_URL": role_without_create})

    one_line(result, STORE, "permission denied for schema public", "GRANT CREATE ON SCHEMA")


# --- the data home -----------------------------------------------------------------------------


@pytest.fixture
def read_only_home() -> Iterator[tuple[Path, str | None]]:
    """An initialised data home (SQLite) with a form in its inbox, everything in it its user's,
    the home itself read-only to that user (mode 0o500): as ``chmod 0o500`` does to one's own
    folder. Root is not stopped by modes, so as root the user is ``nobody``, through setpriv."""
    user = None
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv: permissions would not bite")
        user = "nobody"
    # Not under pytest's tmp_path: its folders are root's only, and nobody could not reach the home.
    base = Path(tempfile.mkdtemp(prefix="psp-read-only-"))
    base.chmod(0o755)
    home = initialised(base / "home")
    shutil.copy(next(iter(expected_cases()))[0], home / "inbox")
    if user is not None:
        entry = pwd.getpwnam(user)
        for path in [home, *home.rglob("*")]:
            os.chown(path, entry.pw_uid, entry.pw_gid)
    home.chmod(0o500)
    try:
        yield home, user
    finally:
        home.chmod(0o700)
        shutil.rmtree(base)


@pytest.mark.parametrize("command", [["run", "--without-prefect"], ["run"], ["status"], ["init"], ["review", "list"]])
def test_a_read_only_data_home_is_one_line_and_exit_4(read_only_home, command):
    home, user = read_only_home
    store_before = (home / "store.sqlite").read_bytes()

    result = psp(*command, "--home", str(home), user=user, cwd=home.parent,
                 env={"HOME": str(home.parent), "PREFECT_HOME": str(home.parent / "prefect")})

    line = one_line(result, CONFIGURATION, str(home), "writable by the user who runs psp-pipeline")
    assert "read-only" in line or "cannot be written" in line
    assert (home / "store.sqlite").read_bytes() == store_before
    assert [p.name for p in (home / "inbox").iterdir()] == [next(iter(CASES))]


@pytest.mark.parametrize("command", [["run", "--without-prefect"], ["run"], ["serve"]])
def test_a_run_on_a_data_home_never_initialised_says_to_run_init_and_makes_nothing(tmp_path, command):
    home = tmp_path / "never-made"

    result = psp(*command, "--home", str(home), env={"PREFECT_API_URL": "http://127.0.0.1:9/api"}
                 if command == ["serve"] else {"PREFECT_HOME": str(tmp_path / "prefect")})

    one_line(result, CONFIGURATION, str(home), f"psp-pipeline init --home {home}")
    assert not home.exists()
    if command != ["run", "--without-prefect"]:
        return
    # An inbox made by hand is enough to run: the tests and benchmarks make homes that way.
    stage(home / "inbox")
    ran = psp("run", "--without-prefect", "--home", str(home))
    assert ran.returncode == 0, ran.stderr
    assert f"Run 1: {len(CASES)} files processed." in ran.stdout


# --- a full disk -------------------------------------------------------------------------------

FULL_DISK = textwrap.dedent('''
    """Test instrument: every write into the folders of $PSP_TEST_FULL_FOLDERS fails with ENOSPC."""
    import builtins, errno, io, os

    _FULL = tuple(os.path.abspath(p) for p in os.environ.get("PSP_TEST_FULL_FOLDERS", "").split(os.pathsep) if p)

    def _full(path):
        path = os.path.abspath(os.fspath(path))
        return any(path == folder or path.startswith(folder + os.sep) for folder in _FULL)

    class _FullFile:
        def __init__(self, handle, where):
            self._handle, self._where = handle, where
        def write(self, data):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), self._where)
        def writelines(self, lines):
            self.write(b"")
        def __getattr__(self, name):
            return getattr(self._handle, name)
        def __iter__(self):
            return iter(self._handle)
        def __enter__(self):
            return self
        def __exit__(self, *exc):
            self._handle.close()

    if _FULL:
        _io_open, _os_open, _writing = io.open, os.open, {}

        def _open_fd(path, flags, mode=0o777, *, dir_fd=None):
            fd = _os_open(path, flags, mode, dir_fd=dir_fd)
            if flags & (os.O_WRONLY | os.O_RDWR) and dir_fd is None and _full(path):
                _writing[fd] = os.fspath(path)
            return fd

        def _open(file, mode="r", *args, **kwargs):
            handle = _io_open(file, mode, *args, **kwargs)
            if isinstance(file, int):
                where = _writing.pop(file, None)
            else:
                where = os.fspath(file) if set(mode) & set("wax+") and _full(file) else None
            return _FullFile(handle, where) if where else handle

        os.open, io.open, builtins.open = _open_fd, _open, _open
''')


@pytest.mark.parametrize("full", ["notices", "reports"])
def test_a_full_disk_is_one_line_exit_74_and_the_next_run_finishes_what_was_left(tmp_path, database_url, full):
    """The disk fills while the run writes its notices (or its report), after its first batch was
    recorded and filed: one line, exit 74; every file is either still in the inbox or recorded
    with its original kept; once there is space, the next run finishes everything, once."""
    shim = tmp_path / "shim"
    shim.mkdir()
    (shim / "sitecustomize.py").write_text(FULL_DISK, "utf-8")
    env = {"PSP_DATABASE_URL": database_url, "PSP_BATCH_SIZE": "5", "PSP_WORKERS": "2"}
    home = initialised(tmp_path / "home", env)
    staged = sorted(p.name for p in stage(home / "inbox"))

    failed = psp("run", "--without-prefect", "--home", str(home), path_first=shim,
                 env={**env, "PSP_TEST_FULL_FOLDERS": str(home / full)})

    one_line(failed, DISK_FULL, "No space left on device", str(home / full), "Free space")
    engine = store.open_store(database_url)
    recorded = [row["file"] for row in queries.export_rows(engine)]
    waiting = sorted(p.name for p in (home / "inbox").iterdir())
    assert recorded, "the first batch was recorded before the disk filled"
    assert sorted(recorded + waiting) == staged  # each file in one place, none lost
    kept = sorted(p.name for p in (home / "originals").rglob("*") if p.is_file())
    assert kept == sorted(recorded)

    finished = psp("run", "--without-prefect", "--home", str(home), env=env)

    assert finished.returncode == 0, finished.stderr
    rows = list(queries.export_rows(engine))
    assert Counter(row["file"] for row in rows) == Counter(staged)
    assert {row["file"]: row["outcome"] for row in rows} == {name: case["outcome"] for name, case in CASES.items()}
    assert not list((home / "inbox").iterdir())
    assert sorted(p.name for p in (home / "originals").rglob("*") if p.is_file()) == staged
    owed = sum(1 for case in CASES.values() if case["outcome"] in ("rejected", "held"))
    assert len(list((home / "notices").rglob("*.eml"))) == owed
    with Session(engine) as session:
        statuses = sorted(session.scalars(select(store.Run.status).order_by(store.Run.id)))
        reports = [Path(p) for p in session.scalars(select(store.Run.report_path))]
    assert statuses == ["completed", "interrupted"]  # the run the disk stopped got its report after
    assert all(p.is_file() for p in reports)
    engine.dispose()


# --- Prefect, arguments ------------------------------------------------------------------------


def test_an_unreachable_prefect_server_is_one_line_and_exit_69(tmp_path):
    home = initialised(tmp_path / "home")
    shutil.copy(next(iter(expected_cases()))[0], home / "inbox")

    result = psp("run", "--home", str(home), env={"PREFECT_API_URL": "http://127.0.0.1:9/api",
                                                  "PREFECT_HOME": str(tmp_path / "prefect")}, timeout=120)

    one_line(result, PREFECT_UNAVAILABLE, "http://127.0.0.1:9/api", "PREFECT_API_URL", "--without-prefect")
    assert [p.name for p in (home / "inbox").iterdir()] == [next(iter(CASES))]


@pytest.mark.parametrize("command", [
    ["review", "show", THIRTY_DIGITS],
    ["review", "accept", THIRTY_DIGITS, "--reason", "x"],
    ["review", "correct", THIRTY_DIGITS, "psp_phone", "5175550150", "--reason", "x"],
    ["psp", "withdraw", THIRTY_DIGITS, "--reason", "x"],
    ["psp", "update", THIRTY_DIGITS, "--coaching-months", "1"],
])
def test_a_thirty_digit_id_is_one_line_and_exit_2(tmp_path, command):
    home = initialised(tmp_path / "home")

    result = psp(*command, "--home", str(home))

    one_line(result, BAD_INPUT, "there is no", "ids run from 1 to 2147483647", "list`")


@pytest.mark.parametrize("format", ["csv", "json", "xlsx"])
def test_an_export_into_a_folder_that_cannot_be_made_is_one_line_and_exit_2(tmp_path, format):
    # A folder that does not exist is made (tests/test_cli.py); one where a file is in the way cannot be.
    home = initialised(tmp_path / "home")
    in_the_way = tmp_path / "a-file"
    in_the_way.write_text("not a folder")
    target = in_the_way / "exports" / f"export.{format}"

    result = psp("export", "--home", str(home), "--format", format, "--output", str(target))

    one_line(result, BAD_INPUT, str(target.parent), "cannot be made", "--output")
    assert in_the_way.read_text() == "not a folder"
