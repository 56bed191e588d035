"""A real Dovecot IMAP server for the mail intake's tests, started as the user who runs them.

Debian's ``dovecot-imapd`` (``make system-deps``), with a throwaway configuration: it listens on
127.0.0.1 only, on free ports (IMAP with STARTTLS, and IMAPS), with a certificate made for the
session, and keeps each user's mail in a Maildir of its own. Any user name logs in with
``PASSWORD``: each test takes a fresh name, and so a mailbox of its own, from one server.

Its runtime folder (sockets, Maildirs) is a short temporary folder removed when the server stops:
a Unix socket's path may be at most 107 bytes, more than pytest's folders leave. Run as root (CI),
Dovecot refuses to read mail as root, so the Maildirs belong to ``nobody`` there.
"""

from __future__ import annotations

import grp
import imaplib
import os
import pwd
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

DOVECOT = shutil.which("dovecot") or next(
    (p for p in ("/usr/sbin/dovecot", "/usr/local/sbin/dovecot") if Path(p).is_file()), None
)
PASSWORD = "test-password-not-secret"

CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {runtime}/run
state_dir = {runtime}/state
log_path = {log}
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal_user}
default_internal_group = {internal_group}
default_login_user = {login_user}
first_valid_uid = {uid}
mail_location = maildir:{runtime}/mail/%u
mail_max_userip_connections = 100
passdb {{
  driver = static
  args = password={password}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={runtime}/mail/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
"""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost: the client is given it as its CA."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True, capture_output=True,
    )
    return cert, key


@dataclass
class Dovecot:
    """A running Dovecot: where it listens, and how a test puts mail in and looks at it."""

    runtime: Path
    imap_port: int
    imaps_port: int
    ca_file: Path
    log: Path
    process: subprocess.Popen

    def new_user(self) -> str:
        """A user name no test used before: its mailbox is empty."""
        return f"coordinator-{uuid.uuid4().hex[:10]}"

    def client(self, user: str) -> imaplib.IMAP4:
        """A plain IMAP connection logged in as ``user``, for the test's own looking and putting."""
        connection = imaplib.IMAP4("127.0.0.1", self.imap_port, timeout=30)
        connection.login(user, PASSWORD)
        return connection

    def deliver(self, user: str, message: bytes, folder: str = "INBOX") -> int:
        """Put ``message`` into ``folder`` (created when missing, in the server's own naming: ``.``
        separates levels); its UID."""
        with _session(self, user) as connection:
            connection.create(_quote(folder))
            status, data = connection.append(_quote(folder), None, None, message)
            assert status == "OK", data
            return int(data[0].split(b"]")[0].split()[-1])  # [APPENDUID <uidvalidity> <uid>]

    def uids(self, user: str, folder: str = "INBOX") -> list[int]:
        """The UIDs of the messages in ``folder`` (empty when there is no such folder)."""
        with _session(self, user) as connection:
            status, _ = connection.select(_quote(folder), readonly=True)
            if status != "OK":
                return []
            _, data = connection.uid("SEARCH", "ALL")
            return [int(uid) for uid in data[0].split()]

    def messages(self, user: str, folder: str = "INBOX") -> list[bytes]:
        """The messages in ``folder``, whole, in UID order."""
        with _session(self, user) as connection:
            status, _ = connection.select(_quote(folder), readonly=True)
            if status != "OK":
                return []
            _, data = connection.uid("SEARCH", "ALL")
            found = []
            for uid in data[0].split():
                _, fetched = connection.uid("FETCH", uid, "(BODY.PEEK[])")
                found.append(fetched[0][1])
            return found

    def renumber(self, user: str, folder: str) -> None:
        """Give ``folder`` a new UIDVALIDITY, its messages new UIDs, as a server does when a mailbox
        is rebuilt or moved: the folder is renamed away and its messages copied into a new one."""
        aside = f"{folder}-rebuilt-{uuid.uuid4().hex[:6]}"
        with _session(self, user) as connection:
            time.sleep(1.1)  # Dovecot's UIDVALIDITY is a time in seconds: a new one needs a new second
            assert connection.rename(_quote(folder), _quote(aside))[0] == "OK"
            assert connection.create(_quote(folder))[0] == "OK"
            connection.select(_quote(aside))
            _, data = connection.uid("SEARCH", "ALL")
            if data[0]:
                connection.uid("COPY", b",".join(data[0].split()).decode(), _quote(folder))
            connection.close()
            connection.delete(_quote(aside))

    def stop(self) -> None:
        """Stop the server and remove its runtime folder."""
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.runtime, ignore_errors=True)


class _session:
    """A logged-in connection as ``user`` that logs out at the end of a ``with``."""

    def __init__(self, server: Dovecot, user: str) -> None:
        self.connection = server.client(user)

    def __enter__(self) -> imaplib.IMAP4:
        return self.connection

    def __exit__(self, *exc: object) -> None:
        try:
            self.connection.logout()
        except (imaplib.IMAP4.error, OSError):
            pass


def _quote(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _wait_until_listening(port: int, process: subprocess.Popen, log: Path, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"dovecot stopped at once:\n{log.read_text() if log.exists() else ''}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as probe:
                if probe.recv(64).startswith(b"* OK"):
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"dovecot did not answer on port {port}:\n{log.read_text() if log.exists() else ''}")


def start_dovecot(log_folder: Path) -> Dovecot:
    """Start Dovecot (``DOVECOT``) for the tests; its log in ``log_folder``."""
    assert DOVECOT is not None
    runtime = Path(tempfile.mkdtemp(prefix="psp-dovecot-"))
    runtime.chmod(0o755)  # Dovecot's login and internal users reach its sockets through it
    (runtime / "mail").mkdir()
    if os.geteuid() == 0:
        internal, internal_group, login = "dovecot", "dovecot", "dovenull"
        nobody = pwd.getpwnam("nobody")
        uid, gid = nobody.pw_uid, nobody.pw_gid
        os.chown(runtime / "mail", uid, gid)
    else:
        internal = login = pwd.getpwuid(os.geteuid()).pw_name
        internal_group = grp.getgrgid(os.getegid()).gr_name
        uid, gid = os.geteuid(), os.getegid()
    cert, key = _make_certificate(log_folder)
    log = log_folder / "dovecot.log"
    imap_port, imaps_port = free_port(), free_port()
    config = log_folder / "dovecot.conf"
    config.write_text(CONFIG.format(
        runtime=runtime, log=log, cert=cert, key=key, internal_user=internal,
        internal_group=internal_group,
        login_user=login, uid=uid, gid=gid, password=PASSWORD, imap_port=imap_port, imaps_port=imaps_port,
    ))
    process = subprocess.Popen([DOVECOT, "-F", "-c", str(config)], stdout=subprocess.DEVNULL,
                               stderr=(log_folder / "dovecot.stderr").open("wb"))
    try:
        _wait_until_listening(imap_port, process, log)
    except BaseException:
        process.kill()
        shutil.rmtree(runtime, ignore_errors=True)
        raise
    return Dovecot(runtime, imap_port, imaps_port, cert, log, process)


def tls_context(server: Dovecot) -> ssl.SSLContext:
    """A client context that trusts the server's own certificate."""
    return ssl.create_default_context(cafile=str(server.ca_file))


def _cut(*ends: socket.socket) -> None:
    """Shut and close these sockets (each may be closed already)."""
    for end in ends:
        try:
            end.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        end.close()


class DroppingProxy:
    """A TCP proxy to the server that drops the connection once it has passed ``limit`` bytes from
    the server to the client: a connection lost in the middle of a download."""

    def __init__(self, port: int, limit: int) -> None:
        self.target, self.limit, self.passed = port, limit, 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        try:
            client, _ = self.listener.accept()
        except OSError:
            return
        server = socket.create_connection(("127.0.0.1", self.target))
        threading.Thread(target=self._pipe, args=(client, server, False), daemon=True).start()
        self._pipe(server, client, True)

    def _pipe(self, source: socket.socket, target: socket.socket, counted: bool) -> None:
        try:
            while data := source.recv(65536):
                if counted and self.passed + len(data) > self.limit:
                    target.sendall(data[: self.limit - self.passed])
                    break
                target.sendall(data)
                self.passed += len(data) if counted else 0
        except OSError:
            pass
        _cut(source, target)

    def close(self) -> None:
        """Stop listening."""
        self.listener.close()


class RelayProxy:
    """A TCP relay to the server for many connections, that a test can cut (``drop``: every
    connection through it closed at once, as a network failure or a server restart does) and
    make refuse new ones for a while (``refusing``)."""

    def __init__(self, port: int) -> None:
        self.target = port
        self.refusing = False
        self.accepted = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.refusing:
                client.close()
                continue
            server = socket.create_connection(("127.0.0.1", self.target))
            with self._lock:
                self.accepted += 1
                self._open += [client, server]
            threading.Thread(target=self._pipe, args=(client, server), daemon=True).start()
            threading.Thread(target=self._pipe, args=(server, client), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        _cut(source, target)

    def drop(self) -> None:
        """Cut every connection through the relay now."""
        with self._lock:
            ends, self._open = self._open, []
        _cut(*ends)

    def close(self) -> None:
        """Cut every connection and stop listening."""
        self.listener.close()
        self.drop()
