"""Who may use the desk: accounts' passwords (argon2), sign-in throttling, and the sessions of
those signed in, each with its CSRF token.

Sessions live in the desk's process (a restart signs everyone out): the desk is one process
beside its data home. Every failed sign-in counts against the name tried and against the
address it came from, so that guessing one account's password and trying one password on many
accounts are both slowed down.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.engine import Engine

from pipeline.errors import BadInputError
from pipeline.load import accounts
from pipeline.load.accounts import Account, Role

PASSWORD_LEAST = 10  # characters
FAILURES_ALLOWED = 5  # failed sign-ins per name, and per address, within the window
FAILURE_WINDOW_SECONDS = 15 * 60
SESSION_IDLE_SECONDS = 8 * 3600  # a working day without a request signs out

_HASHER = PasswordHasher()
# Checked against when the name is unknown, so that an unknown name takes as long as a wrong password.
_DECOY_HASH = _HASHER.hash(secrets.token_urlsafe(16))


def add_user(engine: Engine, name: str, role: Role, password: str, *, by: str) -> Account:
    """Make an account with the password's argon2 hash; BadInputError for a name taken or a
    password too short."""
    if len(password) < PASSWORD_LEAST:
        raise BadInputError(f"the password is {len(password)} characters long.",
                            hint=f"Choose one of at least {PASSWORD_LEAST} characters.")
    return accounts.add_account(engine, name, role, _HASHER.hash(password), by=by)


def check_password(engine: Engine, name: str, password: str) -> Account | None:
    """The account when ``password`` is its password; None otherwise (unknown name included). A
    hash made with weaker parameters than today's is replaced on the way."""
    found = accounts.password_hash_of(engine, name.strip())
    if found is None:
        try:
            _HASHER.verify(_DECOY_HASH, password)
        except VerificationError:
            pass
        return None
    account, stored = found
    try:
        _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if _HASHER.check_needs_rehash(stored):
        accounts.set_password_hash(engine, account.name, _HASHER.hash(password))
    return account


def new_token() -> str:
    """A random token (a session's cookie, a CSRF token)."""
    return secrets.token_urlsafe(32)


class Throttle:
    """Failed sign-ins per key (a name, an address) within a sliding window: past
    ``FAILURES_ALLOWED``, that key waits until its oldest failure leaves the window."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, key: str) -> deque[float]:
        failures = self._failures[key]
        while failures and failures[0] <= self._clock() - FAILURE_WINDOW_SECONDS:
            failures.popleft()
        return failures

    def wait_seconds(self, *keys: str) -> int:
        """How long any of ``keys`` must still wait before trying again (0: it may try now)."""
        with self._lock:
            waits = [
                failures[0] + FAILURE_WINDOW_SECONDS - self._clock()
                for failures in map(self._recent, keys)
                if len(failures) >= FAILURES_ALLOWED
            ]
        return max((int(wait) + 1 for wait in waits), default=0)

    def failed(self, *keys: str) -> None:
        """Count a failed sign-in against each of ``keys``."""
        with self._lock:
            for key in keys:
                self._recent(key).append(self._clock())

    def succeeded(self, key: str) -> None:
        """A sign-in of that name succeeded: its failures are forgotten (not its address's)."""
        with self._lock:
            self._failures.pop(key, None)


@dataclass(frozen=True)
class SignedIn:
    """One signed-in session: whose, and the token every form it posts must carry."""

    account: Account
    csrf_token: str


class Sessions:
    """The sessions of this desk process, by their cookie's random token."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._sessions: dict[str, tuple[SignedIn, float]] = {}
        self._lock = threading.Lock()

    def open(self, account: Account) -> str:
        """A new session for ``account``; returns the token its cookie carries."""
        token = new_token()
        with self._lock:
            self._sessions[token] = (SignedIn(account, new_token()), self._clock())
        return token

    def find(self, token: str | None) -> SignedIn | None:
        """The session of that cookie, kept alive; None for no cookie, an unknown or an idle one."""
        if not token:
            return None
        with self._lock:
            found = self._sessions.get(token)
            if found is None:
                return None
            signed_in, last_seen = found
            if self._clock() - last_seen > SESSION_IDLE_SECONDS:
                del self._sessions[token]
                return None
            self._sessions[token] = (signed_in, self._clock())
            return signed_in

    def close(self, token: str | None) -> None:
        """Sign that session out (nothing happens for one that is not open)."""
        with self._lock:
            self._sessions.pop(token or "", None)


def same_token(given: str | None, expected: str | None) -> bool:
    """Whether a posted CSRF token is the expected one (compared in constant time; none never is)."""
    return bool(given) and bool(expected) and secrets.compare_digest(str(given), str(expected))
