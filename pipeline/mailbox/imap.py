"""An IMAP session with one account's server, over the standard library's ``imaplib``: connect
(IMAPS, STARTTLS, or plain to the loopback address), list a folder's messages, read their
envelopes and bodies without marking them read, and move one to another folder.

Folder names travel as the rules write them (``PSP/Needs attention``) and are put in the server's
own terms here: its hierarchy delimiter (``.`` on Dovecot's Maildir, ``/`` on Exchange and Gmail),
IMAP's modified UTF-7 for letters beyond ASCII, and quoted. Every failure of the server or of the
connection is a ``MailServerError`` naming the account and what was being done, never a password
or anything a message holds.
"""

from __future__ import annotations

import base64
import functools
import imaplib
import re
import select
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from email.utils import getaddresses
from typing import Any, TypeVar

from pydantic import SecretStr

from pipeline.errors import MailServerError
from pipeline.mailbox.accounts import Account, Security, is_loopback

T = TypeVar("T")
ENVELOPE_FIELDS = "(UID RFC822.SIZE INTERNALDATE BODY.PEEK[HEADER.FIELDS (FROM SUBJECT MESSAGE-ID)])"
ENVELOPES_AT_ONCE = 200  # UIDs per FETCH command: a command line stays short
_UID = re.compile(rb"\bUID (\d+)")
_SIZE = re.compile(rb"\bRFC822\.SIZE (\d+)")
_EXISTS = re.compile(rb"^\* \d+ EXISTS\b", re.IGNORECASE)
WAKE_SECONDS = 0.5  # how often an IDLE looks at its stop event while the server says nothing
_LIST_LINE = re.compile(rb'^\((?P<flags>[^)]*)\) (?P<delimiter>NIL|"(?:\\.|[^"])*") ')


@dataclass(frozen=True)
class Envelope:
    """What a rule looks at before a message is downloaded: its size, sender, subject and id."""

    uid: int
    size: int
    arrived: float | None  # when the server received it (INTERNALDATE), seconds since the epoch
    sender: str | None
    subject: str | None
    message_id: str | None


def modified_utf7(name: str) -> str:
    """``name`` in IMAP's modified UTF-7 (RFC 3501 5.1.3): ASCII as itself, ``&`` as ``&-``, any
    other letters as base64 of their UTF-16 between ``&`` and ``-``."""
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            encoded = base64.b64encode("".join(pending).encode("utf-16-be")).decode("ascii")
            out.append("&" + encoded.rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for char in name:
        if 0x20 <= ord(char) <= 0x7E:
            flush()
            out.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    return "".join(out)


def quoted(text: str) -> str:
    """``text`` as an IMAP quoted string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _header_value(headers: Any, name: str) -> str | None:
    try:
        value = headers[name]
        return str(value).strip() if value is not None else None
    except (ValueError, TypeError, IndexError, LookupError):  # a header too broken to parse
        return None


def _guarded(doing: str) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """A session method whose failures of the server or the connection are MailServerErrors
    saying which account, and what it was ``doing``."""

    def wrap(method: Callable[..., T]) -> Callable[..., T]:
        @functools.wraps(method)
        def call(self: ImapSession, *args: Any, **kwargs: Any) -> T:
            with _talking(self.account, doing):
                return method(self, *args, **kwargs)

        return call

    return wrap


def _first_address(value: str | None) -> str | None:
    for _, address in getaddresses([value or ""]):
        if "@" in address:
            return address.strip()
    return None


class ImapSession:
    """A logged-in connection to one account's server. Use ``ImapSession.open`` in a ``with``."""

    def __init__(self, connection: imaplib.IMAP4, account: Account) -> None:
        self.connection = connection
        self.account = account
        self._delimiter: str | None = None
        self.capabilities: frozenset[str] = frozenset()

    @classmethod
    def open(cls, account: Account, password: SecretStr) -> ImapSession:
        """Connect to ``account``'s server, secured as the account says, and log in.

        MailServerError when the server cannot be reached, will not secure the connection, or
        refuses the login."""
        if account.security is Security.PLAIN and not (account.insecure_plain and is_loopback(account.host)):
            raise MailServerError(f"mail account {account.name!r}: plain IMAP is allowed only to the loopback address.")
        context = ssl.create_default_context(cafile=str(account.ca_file) if account.ca_file else None)
        with _talking(account, "connecting"):
            if account.security is Security.IMAPS:
                connection: imaplib.IMAP4 = imaplib.IMAP4_SSL(account.host, account.port, ssl_context=context,
                                                              timeout=account.timeout_seconds)
            else:
                connection = imaplib.IMAP4(account.host, account.port, timeout=account.timeout_seconds)
        session = cls(connection, account)
        try:
            with _talking(account, "logging in"):
                if account.security is Security.STARTTLS:
                    if "STARTTLS" not in connection.capabilities:
                        raise MailServerError(f"mail account {account.name!r}: the server does not offer STARTTLS.",
                                              hint="Use --security imaps, or another server.")
                    connection.starttls(context)
                connection.login(account.user, password.get_secret_value())
                _, data = connection.capability()
                session.capabilities = frozenset(data[0].decode("ascii", "replace").upper().split())
        except BaseException:
            session.close()
            raise
        return session

    def __enter__(self) -> ImapSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Log out; a connection that is gone already is closed quietly."""
        try:
            self.connection.logout()
        except (imaplib.IMAP4.error, OSError, ValueError):
            try:
                self.connection.shutdown()
            except (OSError, ValueError, AttributeError):
                pass

    @property
    @_guarded('asking for the folder delimiter')
    def delimiter(self) -> str:
        """The server's hierarchy delimiter, asked once (``LIST "" ""``)."""
        if self._delimiter is None:
            data = self._ok("LIST", self.connection.list('""', '""'))
            match = _LIST_LINE.match(data[0] or b"") if data else None
            raw = match.group("delimiter") if match else b"NIL"
            self._delimiter = "/" if raw == b"NIL" else raw.strip(b'"').replace(b"\\\\", b"\\").decode()
        return self._delimiter

    def server_name(self, path: str) -> str:
        """The folder ``path`` (levels separated by ``/``) as this server names it, quoted."""
        levels = path.split("/")
        return quoted(modified_utf7(self.delimiter.join(levels)))

    @_guarded('opening a folder')
    def select(self, path: str) -> int:
        """Open the folder ``path`` for reading and moving; its UIDVALIDITY."""
        self._ok(f"SELECT {path}", self.connection.select(self.server_name(path)))
        _, values = self.connection.response("UIDVALIDITY")
        if not values or values[0] is None:
            raise MailServerError(f"mail account {self.account.name!r}: the server gave folder {path!r} no UIDVALIDITY.")
        return int(values[0])

    @_guarded('looking at a folder')
    def next_uid(self, path: str) -> tuple[int, int]:
        """Open the folder ``path`` read-only (EXAMINE); its UIDVALIDITY and UIDNEXT (the UID its
        next message will get): a message arrived when UIDNEXT grew."""
        self._ok(f"EXAMINE {path}", self.connection.select(self.server_name(path), readonly=True))
        validity = self.connection.response("UIDVALIDITY")[1]
        following = self.connection.response("UIDNEXT")[1]
        if not validity or validity[0] is None or not following or following[0] is None:
            raise MailServerError(f"mail account {self.account.name!r}: the server gave folder {path!r} no "
                                  "UIDVALIDITY or UIDNEXT.")
        return int(validity[0]), int(following[0])

    @_guarded('waiting for new mail (IDLE)')
    def idle(self, seconds: float, stop: threading.Event | None = None) -> bool:
        """IDLE (RFC 2177) in the open folder until the server says a message arrived (EXISTS),
        ``seconds`` pass, or ``stop`` is set; whether a message arrived. The server's other news
        (flags, expunges, "still here") is read and let go.

        Over imaplib's own socket and reader (its ``idle()`` came only with Python 3.14): the
        reader is read only when a line is waiting (``_line_waiting``), never with a socket
        timeout, which would leave it unusable."""
        connection = self.connection
        tag = connection._new_tag()
        try:
            connection.send(tag + b" IDLE\r\n")
            arrived = False
            while not (line := connection._get_line()).startswith(b"+"):  # the server's "+ idling"
                if line.startswith(tag):
                    raise MailServerError(f"mail account {self.account.name!r}: the server refused IDLE "
                                          f"({_short(line.decode('ascii', 'replace'))}).")
                arrived = arrived or bool(_EXISTS.match(line))
            deadline = time.monotonic() + seconds
            while not arrived and not (stop is not None and stop.is_set()):
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                if self._line_waiting(min(left, WAKE_SECONDS)):
                    arrived = bool(_EXISTS.match(connection._get_line()))
            connection.send(b"DONE\r\n")
            while not (line := connection._get_line()).startswith(tag):
                arrived = arrived or bool(_EXISTS.match(line))
            if not line[len(tag):].lstrip().upper().startswith(b"OK"):
                raise MailServerError(f"mail account {self.account.name!r}: the server ended IDLE with "
                                      f"{_short(line.decode('ascii', 'replace'))}.")
            return arrived
        finally:
            connection.tagged_commands.pop(tag, None)

    def _line_waiting(self, seconds: float) -> bool:
        """Whether the server has sent something to read, waiting up to ``seconds``: bytes already
        in imaplib's reader or the TLS layer, else the socket becoming readable."""
        sock = self.connection.sock
        if isinstance(sock, ssl.SSLSocket) and sock.pending():
            return True
        before = sock.gettimeout()
        sock.setblocking(False)  # a peek at the reader's buffer that never waits
        try:
            if self.connection.file.peek(1):
                return True
        except (BlockingIOError, ssl.SSLWantReadError):
            pass
        finally:
            sock.settimeout(before)
        return bool(select.select([sock], [], [], seconds)[0])

    @_guarded('listing messages')
    def uids(self) -> list[int]:
        """The UIDs of the open folder's messages not marked deleted, in order."""
        data = self._ok("SEARCH", self.connection.uid("SEARCH", "UNDELETED"))
        return sorted(int(uid) for uid in (data[0] or b"").split())

    @_guarded('reading envelopes')
    def envelopes(self, uids: list[int]) -> list[Envelope]:
        """Each of these messages' size, sender, subject and Message-ID, without downloading it."""
        found: list[Envelope] = []
        parser = BytesHeaderParser(policy=default_policy)
        for start in range(0, len(uids), ENVELOPES_AT_ONCE):
            chunk = ",".join(str(uid) for uid in uids[start : start + ENVELOPES_AT_ONCE])
            for head, headers in self._fetched(self.connection.uid("FETCH", chunk, ENVELOPE_FIELDS)):
                uid, size = _UID.search(head), _SIZE.search(head)
                if uid is None or size is None:
                    continue
                parsed = parser.parsebytes(headers)
                arrived = imaplib.Internaldate2tuple(head)
                found.append(Envelope(int(uid.group(1)), int(size.group(1)), time.mktime(arrived) if arrived else None,
                                      _first_address(_header_value(parsed, "From")),
                                      _header_value(parsed, "Subject"), _header_value(parsed, "Message-ID")))
        return sorted(found, key=lambda e: e.uid)

    @_guarded('downloading a message')
    def body(self, uid: int) -> bytes | None:
        """The whole message ``uid`` as the server keeps it, not marked read; None when it is gone."""
        for head, data in self._fetched(self.connection.uid("FETCH", str(uid), "(UID BODY.PEEK[])")):
            if (found := _UID.search(head)) and int(found.group(1)) == uid:
                return data
        return None

    @_guarded('searching by Message-ID')
    def find(self, message_id: str) -> list[int]:
        """The UIDs in the open folder of messages whose Message-ID is ``message_id``."""
        data = self._ok("SEARCH", self.connection.uid("SEARCH", "HEADER", "Message-ID", quoted(message_id)))
        return sorted(int(uid) for uid in (data[0] or b"").split())

    @_guarded('creating a folder')
    def ensure_folder(self, path: str) -> None:
        """Create the folder ``path`` (and subscribe to it, so that mail clients show it) when the
        server does not have it."""
        name = self.server_name(path)
        listed = self._ok("LIST", self.connection.list('""', name))
        if any(item for item in listed if item):
            return
        self._ok(f"CREATE {path}", self.connection.create(name))
        self.connection.subscribe(name)

    @_guarded('moving a message')
    def move(self, uid: int, path: str) -> None:
        """Move message ``uid`` of the open folder to the folder ``path`` (created when missing):
        MOVE where the server has it, else COPY, flag deleted and expunge."""
        self.ensure_folder(path)
        name = self.server_name(path)
        if "MOVE" in self.capabilities:
            self._ok(f"MOVE to {path}", self.connection.uid("MOVE", str(uid), name))
            return
        self._ok(f"COPY to {path}", self.connection.uid("COPY", str(uid), name))
        self._ok("STORE", self.connection.uid("STORE", str(uid), "+FLAGS.SILENT", r"(\Deleted)"))
        if "UIDPLUS" in self.capabilities:
            self._ok("EXPUNGE", self.connection.uid("EXPUNGE", str(uid)))
        else:  # without UIDPLUS only the whole folder's deleted messages can be expunged
            self._ok("EXPUNGE", self.connection.expunge())

    def _fetched(self, answer: tuple[str, list[Any]]) -> Iterator[tuple[bytes, bytes]]:
        for item in self._ok("FETCH", answer):
            if isinstance(item, tuple) and len(item) == 2:
                yield item[0], item[1]

    def _ok(self, what: str, answer: tuple[str, list[Any]]) -> list[Any]:
        status, data = answer
        if status != "OK":
            said = data[-1] if data and isinstance(data[-1], bytes) else b""
            raise MailServerError(f"mail account {self.account.name!r}: the server refused {what} "
                                  f"({_short(said.decode('ascii', 'replace'))}).")
        return data


@contextmanager
def _talking(account: Account, doing: str) -> Iterator[None]:
    """The failures of a conversation with the server as one MailServerError."""
    try:
        yield
    except MailServerError:
        raise
    except imaplib.IMAP4.abort as exc:
        raise MailServerError(f"mail account {account.name!r}: the connection to {account.host} was dropped "
                              f"while {doing} ({_short(exc)}).", hint="The next fetch takes up from here.") from exc
    except imaplib.IMAP4.error as exc:
        raise MailServerError(f"mail account {account.name!r}: {account.host} refused {doing} ({_short(exc)}).",
                              hint="Check the account's user, password and folders (psp-pipeline mail list).") from exc
    except ssl.SSLError as exc:
        raise MailServerError(f"mail account {account.name!r}: the TLS connection to {account.host} failed "
                              f"({exc.reason or type(exc).__name__}).",
                              hint="Check the server's certificate, or give the account its CA with --ca-file.") from exc
    except (OSError, socket.timeout) as exc:
        raise MailServerError(f"mail account {account.name!r}: {account.host}:{account.port} could not be reached "
                              f"while {doing} ({exc.strerror or type(exc).__name__}).",
                              hint="Check the host, the port and the network; the next fetch tries again.") from exc


def _short(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200]
