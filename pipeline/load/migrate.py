"""Schema migrations of the tracking store (Alembic), applied by every command that opens it:
``psp-pipeline init`` creates the schema, and a newer version of the pipeline upgrades it.

A new table or column in ``store.py`` needs a migration:
``python -m pipeline.load.migrate revision "what changed"`` writes one, compared against a
store at the current head.
"""

from __future__ import annotations

import sys
import tempfile
from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection, Engine


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


def upgrade(engine: Engine) -> None:
    """Bring the store's schema to the newest revision; does nothing when it is there already."""
    if current_revision(engine) == head_revision():
        return
    with engine.begin() as connection:
        command.upgrade(_config(connection), "head")


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
