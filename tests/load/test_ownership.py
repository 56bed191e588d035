"""pipeline.load.ownership: the store records the data home it belongs to (path, host, the token of
its home.id) and refuses any other, but the same folder shared at the same path, a SQLite store
that goes where its home goes, and a move made deliberately (PSP_TAKE_OVER_STORE). The whole story,
through runs and the command line, is attacked in tests/attacks/test_two_homes_one_store.py."""

from __future__ import annotations

import socket

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from pipeline.errors import ConfigurationError
from pipeline.load import ownership, store
from pipeline.settings import Settings


@pytest.fixture
def home(tmp_path, database_url):
    """``home(name, **settings)``: the settings of a data home (made) at ``<tmp>/<name>/psp`` on the test's store."""

    def make(name: str, **options) -> Settings:
        settings = Settings(home=tmp_path / name / "psp", database_url=database_url, **options)
        settings.data_home.root.mkdir(parents=True, exist_ok=True)
        return settings

    return make


def owner(engine) -> store.StoreHomeRow:
    with Session(engine) as session:
        return session.get(store.StoreHomeRow, 1)


def test_a_home_id_is_a_token_or_nothing(tmp_path):
    assert ownership.read_home_id(tmp_path) is None
    (tmp_path / ownership.HOME_ID_FILE).write_text("not a token\n")
    assert ownership.read_home_id(tmp_path) is None
    (tmp_path / ownership.HOME_ID_FILE).write_text("0123456789abcdef" * 2 + "\n")
    assert ownership.read_home_id(tmp_path) == "0123456789abcdef" * 2


def test_the_first_home_to_open_the_store_owns_it_and_gets_an_id(engine, home):
    first = home("a")
    ownership.check(engine, first)
    recorded = owner(engine)
    token = ownership.read_home_id(first.data_home.root)
    assert (recorded.path, recorded.host, recorded.home_id) == (str(first.data_home.root), socket.gethostname(), token)
    assert (first.data_home.root / ownership.HOME_ID_FILE).stat().st_mode & 0o777 == 0o600
    ownership.check(engine, first)  # its own store: accepted, nothing changed
    assert owner(engine).recorded_at == recorded.recorded_at


def test_a_home_not_made_yet_owns_nothing(engine, tmp_path, database_url):
    ownership.check(engine, Settings(home=tmp_path / "never-made", database_url=database_url))
    assert owner(engine) is None and not (tmp_path / "never-made").exists()


def test_another_home_is_refused_naming_the_owner_and_what_to_do(engine, home):
    first, second = home("a"), home("b")
    ownership.check(engine, first)
    with pytest.raises(ConfigurationError) as refused:
        ownership.check(engine, second)
    message = str(refused.value)
    assert f"belongs to the data home {first.data_home.root} on {socket.gethostname()}" in message
    assert f"not to {second.data_home.root}" in message and f"PSP_TAKE_OVER_STORE={second.data_home.root}" in message
    assert refused.value.exit_code == 4
    assert owner(engine).path == str(first.data_home.root)


def test_the_same_path_is_the_same_home_only_with_the_same_home_id(engine, home, monkeypatch):
    shared = home("shared")
    ownership.check(engine, shared)
    monkeypatch.setattr(socket, "gethostname", lambda: "worker-2.example.org")
    ownership.check(engine, shared)  # the same folder, mounted on another worker
    (shared.data_home.root / ownership.HOME_ID_FILE).write_text("f" * 32 + "\n")
    with pytest.raises(ConfigurationError, match="another folder of the same name \\(its home.id differs\\)"):
        ownership.check(engine, shared)


def test_a_store_is_taken_over_only_by_the_home_the_setting_names(engine, home):
    first = home("a")
    ownership.check(engine, first)
    with pytest.raises(ConfigurationError, match="PSP_TAKE_OVER_STORE is set to .*which is not this data home"):
        ownership.check(engine, home("b", take_over_store=first.data_home.root))
    moving = home("b", take_over_store=home("b").data_home.root)
    ownership.check(engine, moving)
    assert owner(engine).path == str(moving.data_home.root)
    with pytest.raises(ConfigurationError):
        ownership.check(engine, first)


def test_a_sqlite_store_inside_its_home_goes_where_the_home_goes(tmp_path):
    original = Settings(home=tmp_path / "a", database_url=None)
    original.data_home.root.mkdir()
    engine = store.open_store(original.store_url)
    assert ownership.store_in_home(engine, original.data_home.root)
    ownership.check(engine, original)
    moved = Settings(home=tmp_path / "b", database_url=original.store_url)  # the same file, seen from elsewhere
    assert not ownership.store_in_home(engine, moved.data_home.root)
    engine.dispose()


@pytest.mark.parametrize(("url", "inside"), [
    ("sqlite:///{root}/store.sqlite", True), ("sqlite:///{root}/../store.sqlite", False), ("sqlite://", False),
    ("postgresql+psycopg://psp@db.example.org/psp", False),
], ids=["in-the-home", "beside-the-home", "in-memory", "postgresql"])
def test_only_a_sqlite_file_under_the_home_is_the_homes_own(tmp_path, url, inside, request):
    root = tmp_path / "home"
    engine = create_engine(url.format(root=root))
    assert ownership.store_in_home(engine, root) is inside
    engine.dispose()


def test_a_store_reached_through_dot_dot_is_not_taken_over(tmp_path):
    first = Settings(home=tmp_path / "a", database_url=f"sqlite:///{tmp_path / 'shared.sqlite'}")
    second = Settings(home=tmp_path / "b", database_url=f"sqlite:///{tmp_path / 'b' / '..' / 'shared.sqlite'}")
    for settings in (first, second):
        settings.data_home.root.mkdir()
    engine, other = store.open_store(first.store_url), store.open_store(second.store_url)
    ownership.check(engine, first)
    try:
        with pytest.raises(ConfigurationError, match="belongs to the data home"):
            ownership.check(other, second)
    finally:
        engine.dispose()
        other.dispose()


def test_a_command_opens_only_its_own_homes_store(home):
    first = home("a")
    engine = ownership.open_own_store(first)
    assert owner(engine).path == str(first.data_home.root)
    engine.dispose()
    with pytest.raises(ConfigurationError):
        ownership.open_own_store(home("b"))

