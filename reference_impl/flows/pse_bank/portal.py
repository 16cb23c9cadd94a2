"""The network portal's users (PSE-06): who may log in, with which password, and where their
one-time codes go. Role: logic (pure values and CPU work, no I/O, no clock).

Passwords are kept only as **scrypt** hashes (``hashlib.scrypt``, n=2^14, r=8, p=1, a random
16-byte salt per user, 32-byte key): a slow, salted hash, so a copy of the directory does not give
the passwords away. The world's portal users are hashed once when the switch starts
(:meth:`PortalDirectory.from_world`); a world with more than :data:`EAGER_HASH_MAX` portal users
(the generated load worlds) hashes each user on its first login instead, so the switch starts at
once. Checking a password costs one scrypt (≈ 0.1 s of CPU on purpose): the service runs it in a
thread, never on the event loop. Comparisons are constant time.

The portal keeps the member's registered e-mail and mobile (the registration at the portal is
where they come from); the pages show them only masked.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from dataclasses import dataclass
from typing import Final

from sandbox.world.model import World

SCRYPT_N: Final = 2**14
SCRYPT_R: Final = 8
SCRYPT_P: Final = 1
KEY_BYTES: Final = 32
SALT_BYTES: Final = 16
EAGER_HASH_MAX: Final = 64
"""Worlds with up to this many portal users are hashed at start; larger ones user by user."""


def hash_password(password: str, salt: bytes) -> bytes:
    return hashlib.scrypt(
        password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=KEY_BYTES, maxmem=64 * 1024 * 1024
    )


@dataclass(frozen=True, slots=True)
class PasswordHash:
    salt: bytes
    key: bytes

    @classmethod
    def of(cls, password: str) -> PasswordHash:
        salt = secrets.token_bytes(SALT_BYTES)
        return cls(salt, hash_password(password, salt))

    def matches(self, candidate: str) -> bool:
        return hmac.compare_digest(self.key, hash_password(candidate, self.salt))


@dataclass(frozen=True, slots=True)
class PortalUser:
    username: str
    document_type: str
    document_number: str
    full_name: str
    email: str
    mobile: str


class PortalDirectory:
    """The portal's users by user name (lower case), with their password hashes."""

    def __init__(self, users: dict[str, tuple[PortalUser, str | None]], *, eager: bool) -> None:
        self._users = {name: user for name, (user, _) in users.items()}
        self._pending: dict[str, str] = {}
        self._hashes: dict[str, PasswordHash] = {}
        self._lock = threading.Lock()
        for name, (_, password) in users.items():
            if password is None:
                continue
            if eager:
                self._hashes[name] = PasswordHash.of(password)
            else:
                self._pending[name] = password

    @classmethod
    def from_world(cls, world: World) -> PortalDirectory:
        users: dict[str, tuple[PortalUser, str | None]] = {}
        for m in world.members:
            if m.portal is None:
                continue
            user = PortalUser(m.portal.username.lower(), m.document_type.value, m.document_number, m.full_name,
                              m.email, m.mobile)  # fmt: skip
            users[user.username] = (user, m.portal.password)
        return cls(users, eager=len(users) <= EAGER_HASH_MAX)

    def __len__(self) -> int:
        return len(self._users)

    def user(self, username: str) -> PortalUser | None:
        return self._users.get(username.strip().lower())

    def check(self, username: str, password: str) -> PortalUser | None:
        """The user when the password is right (CPU-heavy: call from a thread); None otherwise.
        An unknown user costs one scrypt too, so timing does not tell which users exist."""
        name = username.strip().lower()
        stored = self._hash_of(name)
        if stored is None:
            PasswordHash(b"\0" * SALT_BYTES, b"\0" * KEY_BYTES).matches(password)
            return None
        return self._users[name] if stored.matches(password) else None

    def _hash_of(self, name: str) -> PasswordHash | None:
        found = self._hashes.get(name)
        if found is not None:
            return found
        with self._lock:
            plain = self._pending.pop(name, None)
            if plain is None:
                return self._hashes.get(name)
            found = self._hashes[name] = PasswordHash.of(plain)
            return found
