"""The review desk's accounts: who may sign in to ``psp-pipeline desk``, as what, with their
password's argon2 hash (never the password). They live in the store, beside the decisions they
sign, so that a decision made in the desk names the account that made it.

The table joins the store's metadata when ``pipeline.load.store`` is imported (its last line), so
that the migrations and their test see it; revision 0004 creates it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String, Text, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, Session, mapped_column

from pipeline.errors import BadInputError
from pipeline.load.roles import Role
from pipeline.load.store import Base, _stored_enum, transaction, utcnow

NAME_LIMIT = 64


class AccountRow(Base):
    """One person who signs in to the desk."""

    __tablename__ = "desk_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LIMIT), unique=True)
    role: Mapped[Role] = mapped_column(_stored_enum(Role, 20, "ck_desk_accounts_role"))
    password_hash: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(Text)


@dataclass(frozen=True)
class Account:
    """An account as the desk works with it (the hash stays in the store's layer)."""

    name: str
    role: Role


def checked_name(name: str) -> str:
    """An account name as it is kept: trimmed, printable, without spaces, not too long (it is shown in
    the audit trail and typed at the login). BadInputError otherwise."""
    name = name.strip()
    if not name or len(name) > NAME_LIMIT or not name.isprintable() or any(ch.isspace() for ch in name):
        raise BadInputError(f"an account name must be 1 to {NAME_LIMIT} printable characters without spaces.",
                            hint="Choose a name such as avery.sample.")
    return name


def add_account(engine: Engine, name: str, role: Role, password_hash: str, *, by: str) -> Account:
    """Record a new account; BadInputError when the name is taken (names are compared as typed)."""
    name = checked_name(name)
    with transaction(engine) as session:
        if session.scalar(select(AccountRow.id).where(AccountRow.name == name)) is not None:
            raise BadInputError(f"there is an account named {name!r} already.", hint="Choose another name.")
        session.add(AccountRow(name=name, role=role, password_hash=password_hash, created_at=utcnow(), created_by=by))
    return Account(name, role)


def password_hash_of(engine: Engine, name: str) -> tuple[Account, str] | None:
    """The account of that name and its stored hash, for checking a password; None when there is none."""
    with Session(engine) as session:
        row = session.scalar(select(AccountRow).where(AccountRow.name == name))
        return (Account(row.name, row.role), row.password_hash) if row is not None else None


def set_password_hash(engine: Engine, name: str, password_hash: str) -> None:
    """Replace an account's hash: argon2 asks for it when its parameters were raised since."""
    with transaction(engine) as session:
        row = session.scalar(select(AccountRow).where(AccountRow.name == name))
        if row is not None:
            row.password_hash = password_hash


def list_accounts(engine: Engine) -> list[dict[str, object]]:
    """Every account by name, with its role and who made it when (no hash)."""
    with Session(engine) as session:
        return [
            {"name": row.name, "role": row.role, "created_at": row.created_at, "created_by": row.created_by}
            for row in session.scalars(select(AccountRow).order_by(AccountRow.name))
        ]
