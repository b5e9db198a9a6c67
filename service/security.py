"""Passwords (argon2id) and bearer tokens (random, stored as a keyed digest, with expiry)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from qmsgap.errors import QmsGapError
from qmsgap.settings import Settings

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
_TOKEN_BYTES = 32


class WeakPassword(QmsGapError):
    code = "weak_password"
    http_status = 422


def check_password_policy(password: str) -> None:
    """Raises WeakPassword when ``password`` is too short or too long."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise WeakPassword(f"the password may have at most {MAX_PASSWORD_LENGTH} characters")


class Passwords:
    """argon2id hashing with the library's current parameters; verification also tells when a
    stored hash should be upgraded."""

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self._hasher = hasher or PasswordHasher()
        self._dummy = self._hasher.hash(secrets.token_urlsafe(16))

    @classmethod
    def from_settings(cls, settings: Settings) -> Passwords:
        server = settings.server
        return cls(
            PasswordHasher(
                time_cost=server.password_hash_iterations,
                memory_cost=server.password_hash_memory_kib,
                parallelism=2,
            )
        )

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, stored: str | None, password: str) -> bool:
        """True when ``password`` matches ``stored``. With ``stored=None`` (unknown user) a
        dummy hash is checked so the answer takes as long as for a real user."""
        try:
            return self._hasher.verify(stored or self._dummy, password) and stored is not None
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        return self._hasher.check_needs_rehash(stored)


@dataclass(frozen=True)
class IssuedToken:
    token: str
    digest: str


class TokenDigester:
    """Tokens are 256 random bits; the database keeps only HMAC-SHA256(secret_key, token), so
    a copy of the database alone cannot be used to log in."""

    def __init__(self, secret_key: str) -> None:
        self._key = secret_key.encode()

    def issue(self) -> IssuedToken:
        token = secrets.token_urlsafe(_TOKEN_BYTES)
        return IssuedToken(token, self.digest(token))

    def digest(self, token: str) -> str:
        return hmac.new(self._key, token.encode(), hashlib.sha256).hexdigest()
