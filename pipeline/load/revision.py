"""The migration this code's tables are at, and whether a store is there already.

A store at this revision opens without importing Alembic and reading every migration
(``pipeline.load.migrate``), which was a quarter of an empty run by hand
(``benchmarks/run_by_hand.py``). ``tests/load/test_migrate.py`` holds ``SCHEMA_REVISION`` to the
newest migration in ``migrations/versions``: a new migration changes it.
"""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

SCHEMA_REVISION = "0010"


def at_schema_revision(engine: Engine) -> bool:
    """Whether the store says it is at ``SCHEMA_REVISION`` (one query); False for a new store, or
    one that cannot be read, which ``migrate.upgrade`` then creates or names the trouble of."""
    try:
        with engine.connect() as connection:
            return connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == SCHEMA_REVISION
    except DBAPIError:
        return False
