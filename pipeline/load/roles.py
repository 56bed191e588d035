"""What a review desk account may do: its own module, without the store, because the command line
names the roles in ``users add --role`` and must not import SQLAlchemy to start."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """What an account may do: reviewers decide documents; coordinators also send notices, manage
    the accounts and run ``forget``."""

    REVIEWER = "reviewer"
    COORDINATOR = "coordinator"
