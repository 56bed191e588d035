"""Fetched mail in the tracking store: one row per message taken from a mail account's folder.

A message is known by its account, folder, UIDVALIDITY and UID (what names it on its server) in
the account's mailbox (``user@host``: an account re-pointed at another mailbox under the same name
knows none of the new one's messages, revision 0008), by
its Message-ID (to find it again when the server renumbers the folder) and by the sha256 of its
bytes (what makes it the same message whatever its UID). Its row says where it is in its way:

- ``saved``: its ``.eml`` is in the inbox; its documents are not known to be stored yet;
- ``moved``: its documents are stored and it was moved on the server to the rule's processed (or
  failed) folder;
- ``set_aside``: it was larger than the inbox takes, moved to the failed folder unread.

The table is in the store's metadata (``pipeline.load.store`` imports this module), and revision
0005 creates it. The acknowledgement owed for each message a rule takes (``AcknowledgementRow``)
is recorded in the same transaction as the message (``record``), so that no crash loses it and
no re-fetch makes a second one (revision 0008; ``pipeline.mailbox.acknowledge`` sends it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    or_,
    select,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, Session, mapped_column

from pipeline.load.store import Base, ReceivedFileRow, _stored_enum, transaction, utcnow
from pipeline.model import Outcome


class MailStatus(StrEnum):
    """Where a fetched message is in its way from its server to the store and back."""

    SAVED = "saved"
    MOVED = "moved"
    SET_ASIDE = "set_aside"


class MailMessageRow(Base):
    """One message fetched (or set aside) from a mail account's folder."""

    __tablename__ = "mail_messages"
    __table_args__ = (UniqueConstraint("account", "mailbox", "folder", "uidvalidity", "uid",
                                       name="uq_mail_messages_uid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account: Mapped[str] = mapped_column(String(64))
    folder: Mapped[str] = mapped_column(Text)  # as the rule names it, levels separated by "/"
    uidvalidity: Mapped[int] = mapped_column(BigInteger)  # IMAP's are unsigned 32-bit numbers
    uid: Mapped[int] = mapped_column(BigInteger)
    mailbox: Mapped[str | None] = mapped_column(Text)  # user@host, lowercased; None: from before 0008
    message_id: Mapped[str | None] = mapped_column(Text, index=True)
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)  # None: set aside unread
    size: Mapped[int] = mapped_column(Integer)
    inbox_name: Mapped[str | None] = mapped_column(Text)  # the .eml's name in the inbox
    status: Mapped[MailStatus] = mapped_column(_stored_enum(MailStatus, 16, "ck_mail_messages_status"))
    destination: Mapped[str | None] = mapped_column(Text)  # the folder it was moved to
    fetched_at: Mapped[datetime]
    moved_at: Mapped[datetime | None]


class AcknowledgementRow(Base):
    """The receipt owed to the agency that sent a message: one per message (its Message-ID, or
    the sha256 of its bytes without one), sent once by the claims of ``pipeline.mailbox.acknowledge``."""

    __tablename__ = "acknowledgements"
    __table_args__ = (Index("uq_acknowledgements_message_key", "message_key", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mail_message_id: Mapped[int | None] = mapped_column(ForeignKey("mail_messages.id"))
    message_key: Mapped[str] = mapped_column(Text)
    account: Mapped[str] = mapped_column(String(64))
    to_address: Mapped[str] = mapped_column(Text)
    files: Mapped[list[Any]]  # the names of the files the message held, as they were attached
    received_at: Mapped[datetime]
    in_reply_to: Mapped[str | None] = mapped_column(Text)  # the message's own Message-ID
    own_message_id: Mapped[str] = mapped_column(Text)  # the receipt's, the same at every try
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
    claimed_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    possibly_sent_at: Mapped[datetime | None]


@dataclass(frozen=True)
class Owed:
    """An acknowledgement to record with its message (``record``)."""

    message_key: str
    to_address: str
    files: list[str]
    received_at: datetime
    in_reply_to: str | None
    own_message_id: str


@dataclass(frozen=True)
class Tracked:
    """A fetched message as the store knows it."""

    id: int
    uidvalidity: int
    uid: int
    message_id: str | None
    sha256: str | None
    inbox_name: str | None
    status: MailStatus


def _tracked(row: MailMessageRow) -> Tracked:
    return Tracked(row.id, row.uidvalidity, row.uid, row.message_id, row.sha256, row.inbox_name, row.status)


@dataclass(frozen=True)
class Place:
    """A rule's folder in one mailbox: an account's name, its mailbox (``user@host``) and the folder."""

    account: str
    mailbox: str
    folder: str

    def rows(self) -> tuple[Any, ...]:
        """The conditions of its rows: this account's and folder's, of this mailbox or from
        before mailboxes were recorded."""
        return (MailMessageRow.account == self.account, MailMessageRow.folder == self.folder,
                or_(MailMessageRow.mailbox == self.mailbox, MailMessageRow.mailbox.is_(None)))


def known_uids(engine: Engine, place: Place, uidvalidity: int) -> set[int]:
    """The UIDs of this folder (at this UIDVALIDITY) the store knows: never fetched again."""
    with Session(engine) as session:
        return set(session.scalars(select(MailMessageRow.uid).where(
            *place.rows(), MailMessageRow.uidvalidity == uidvalidity)))


def same_message(engine: Engine, place: Place, sha256: str) -> Tracked | None:
    """The message of this folder with these very bytes, fetched before under another UID (the
    server renumbered the folder, or the message was put back)."""
    with Session(engine) as session:
        row = session.scalars(select(MailMessageRow).where(
            *place.rows(), MailMessageRow.sha256 == sha256).order_by(MailMessageRow.id)).first()
        return _tracked(row) if row else None


def record(engine: Engine, place: Place, uidvalidity: int, uid: int, *, message_id: str | None,
           sha256: str | None, size: int, inbox_name: str | None, status: MailStatus,
           destination: str | None = None, acknowledgement: Owed | None = None) -> None:
    """Record a message fetched (``saved``) or set aside (``set_aside``, with where it went),
    and in the same transaction the ``acknowledgement`` it is owed, unless one was recorded for
    the same message before (fetched from another folder, or sent again by the agency)."""
    now = utcnow()
    with transaction(engine) as session:
        row = MailMessageRow(
            account=place.account, mailbox=place.mailbox, folder=place.folder, uidvalidity=uidvalidity, uid=uid,
            message_id=message_id, sha256=sha256, size=size, inbox_name=inbox_name, status=status,
            destination=destination, fetched_at=now, moved_at=now if destination else None)
        session.add(row)
        if acknowledgement is None:
            return
        known = session.scalars(select(AcknowledgementRow.id).where(
            AcknowledgementRow.message_key == acknowledgement.message_key)).first()
        if known is None:
            session.flush()
            session.add(AcknowledgementRow(
                mail_message_id=row.id, account=place.account, created_at=now, attempts=0,
                **{name: getattr(acknowledgement, name) for name in Owed.__dataclass_fields__}))


def renumber(engine: Engine, tracked_id: int, uidvalidity: int, uid: int) -> None:
    """The message is the same, its server calls it by a new UIDVALIDITY and UID now. One moved
    already that is back in its folder waits to be moved again (never imported again)."""
    with transaction(engine) as session:
        row = session.get_one(MailMessageRow, tracked_id)
        row.uidvalidity, row.uid = uidvalidity, uid
        if row.status is MailStatus.MOVED:
            row.status, row.destination, row.moved_at = MailStatus.SAVED, None, None


def waiting(engine: Engine, place: Place) -> list[Tracked]:
    """The messages of this folder saved into the inbox and not yet moved on their server."""
    with Session(engine) as session:
        rows = session.scalars(select(MailMessageRow).where(
            *place.rows(), MailMessageRow.status == MailStatus.SAVED).order_by(MailMessageRow.id))
        return [_tracked(row) for row in rows]


def any_waiting(engine: Engine) -> bool:
    """Whether any fetched message waits to be moved on its server."""
    with Session(engine) as session:
        return session.scalars(select(MailMessageRow.id).where(MailMessageRow.status == MailStatus.SAVED)).first() \
            is not None


def mark_moved(engine: Engine, tracked_id: int, destination: str) -> None:
    """Record that the message was moved on its server to ``destination``."""
    with transaction(engine) as session:
        row = session.get_one(MailMessageRow, tracked_id)
        row.status, row.destination, row.moved_at = MailStatus.MOVED, destination, utcnow()


def stored_outcomes(engine: Engine, inbox_name: str) -> list[Outcome]:
    """The outcomes of what the store received from the saved email ``inbox_name``: the email
    itself (no form in it, or unreadable) or each of its attachments (``<name>/<attachment>``).
    Empty while none of it is committed."""
    with Session(engine) as session:
        return list(session.scalars(select(ReceivedFileRow.outcome).where(or_(
            ReceivedFileRow.original_name == inbox_name,
            ReceivedFileRow.original_name.startswith(f"{inbox_name}/", autoescape=True)))))
