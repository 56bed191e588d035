"""Schema migrations of the tracking store (Alembic), applied by every command that opens it:
``psp-pipeline init`` creates the schema, and a newer version of the pipeline upgrades it.

A new table or column in ``store.py`` needs a migration:
``python -m pipeline.load.migrate revision "what changed"`` writes one, compared against a
store at the current head.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection, Engine

from pipeline.errors import StoreError


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(resources.files("pipeline.load") / "migrations"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    """The newest revision among the migrations shipped with the pipeline."""
    return ScriptDirectory.from_config(_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The revision the store's schema is at; None for a store never migrated (a new one)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the store's schema to the newest revision (or to ``revision``, an older one: the tests
    make stores as an earlier version left them); does nothing when it is there already."""
    if revision == "head" and current_revision(engine) == head_revision():
        return
    _migrate(engine, command.upgrade, revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Take the store's schema back to ``revision``, undoing each newer one: for an older version of
    the pipeline to open it again."""
    _migrate(engine, command.downgrade, revision)


def _migrate(engine: Engine, step: Callable[[Config, str], None], revision: str) -> None:
    """``step`` (Alembic's upgrade or downgrade) to ``revision``, in one transaction."""
    with engine.connect() as connection, _foreign_keys_unenforced(connection), connection.begin():
        step(_config(connection), revision)
        _refuse_broken_references(connection)


@contextmanager
def _foreign_keys_unenforced(connection: Connection) -> Iterator[None]:
    """SQLite's foreign keys unenforced while ``connection`` migrates: a batch migration copies a
    table, drops it and renames the copy, and dropping a table other rows refer to fails while
    they are enforced. SQLite changes this only outside a transaction, so it is set on the driver's
    connection before the migration's transaction begins, and set back after it ends."""
    if connection.dialect.name != "sqlite":
        yield
        return
    driver_connection = connection.connection.driver_connection
    driver_connection.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        driver_connection.execute("PRAGMA foreign_keys=ON")


def _refuse_broken_references(connection: Connection) -> None:
    """On SQLite, the check its own documentation asks for after such a migration, before it is
    committed: every row's foreign keys still name a row (StoreError, and nothing is committed)."""
    if connection.dialect.name == "sqlite" and connection.exec_driver_sql("PRAGMA foreign_key_check").first():
        raise StoreError("upgrading the store left rows that refer to rows it does not have; nothing was changed.",
                         hint="Report this: the store is as it was before the upgrade.")


def write_revision(message: str) -> None:
    """Autogenerate a migration from the difference between the models and the current head."""
    with tempfile.TemporaryDirectory() as folder:
        engine = create_engine(f"sqlite:///{Path(folder) / 'head.sqlite'}")
        upgrade(engine)
        with engine.begin() as connection:
            command.revision(_config(connection), message=message, autogenerate=True)
        engine.dispose()


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "revision":
        sys.exit('usage: python -m pipeline.load.migrate revision "what changed"')
    write_revision(sys.argv[2])
