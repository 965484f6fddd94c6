"""Charger passwords (OCPP security profiles 1 and 2): hashing and checking.

A hash is ``pbkdf2_sha256$<iterations>$<salt hex>$<digest hex>``: PBKDF2-HMAC-SHA256
of the UTF-8 password with the hex-decoded salt, the format Odoo stores and
``chargers()`` hands to the bridge (docs/events.md, "Charger settings the
bridge pulls"). The standard library computes it on both sides, so a hash made
by Odoo checks here and one made by ``arthexis-bridge chargers add`` checks in
Odoo.

At 100,000 iterations one check costs tens of milliseconds of CPU: chargers
reconnecting together after a power cut would queue behind each other.
:class:`PasswordChecker` runs checks in worker threads, off the event loop, and
remembers the ones that succeeded, so a charger that reconnects with the
password it used before is let in without PBKDF2.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from collections import OrderedDict

ALGORITHM = "pbkdf2_sha256"
ITERATIONS = 100_000  # as Odoo (arthexis_ocpp)
SALT_BYTES = 16


def _encode(password: str) -> bytes:
    # HTTP Basic credentials that are not UTF-8 arrive with surrogate escapes
    # (websockets.headers.parse_authorization_basic): hash the bytes as sent.
    return password.encode("utf-8", "surrogateescape")


def hash_password(password: str, *, salt: bytes | None = None, iterations: int = ITERATIONS) -> str:
    """The stored form of a password, with a fresh random salt unless one is given."""
    if iterations < 1:
        raise ValueError("iterations must be at least 1")
    salt = secrets.token_bytes(SALT_BYTES) if salt is None else salt
    digest = hashlib.pbkdf2_hmac("sha256", _encode(password), salt, iterations)
    return f"{ALGORITHM}${iterations}${salt.hex()}${digest.hex()}"


def is_hash(encoded: object) -> bool:
    """True if ``encoded`` has the stored form (whatever password it is of)."""
    return _parse(encoded) is not None


def verify_password(password: str, encoded: str) -> bool:
    """True if the password is the one hashed; False for another one or a malformed hash."""
    parsed = _parse(encoded)
    if parsed is None:
        return False
    iterations, salt, expected = parsed
    digest = hashlib.pbkdf2_hmac("sha256", _encode(password), salt, iterations, len(expected))
    return hmac.compare_digest(digest, expected)


def _parse(encoded: object) -> tuple[int, bytes, bytes] | None:
    if not isinstance(encoded, str):
        return None
    parts = encoded.split("$")
    if len(parts) != 4 or parts[0] != ALGORITHM or not parts[1].isdigit():
        return None
    try:
        salt, digest = bytes.fromhex(parts[2]), bytes.fromhex(parts[3])
    except ValueError:
        return None
    iterations = int(parts[1])
    if iterations < 1 or not digest:
        return None
    return iterations, salt, digest


class PasswordChecker:
    """Checks charger passwords off the event loop, remembering the successes.

    A success is kept under (charge point id, SHA-256 of the password), with
    the hash it matched: it counts again only while the registry still holds
    that hash, so a password changed in Odoo is never let in from memory.
    Failures are not kept (nothing for a guesser to fill memory with), and at
    most ``max_entries`` successes are, the least recently used leaving first.
    """

    def __init__(self, max_entries: int = 10_000) -> None:
        self._max_entries = max_entries
        self._verified: OrderedDict[tuple[str, bytes], str] = OrderedDict()
        #: PBKDF2 computations made (successes from memory do not count).
        self.computed = 0

    async def check(self, charge_point_id: str, password: str, encoded: str) -> bool:
        key = (charge_point_id, hashlib.sha256(_encode(password)).digest())
        remembered = self._verified.get(key)
        if remembered is not None and remembered == encoded:
            self._verified.move_to_end(key)
            return True
        self.computed += 1
        if not await asyncio.to_thread(verify_password, password, encoded):
            return False
        self._verified[key] = encoded
        self._verified.move_to_end(key)
        while len(self._verified) > self._max_entries:
            self._verified.popitem(last=False)
        return True
