"""Charger passwords: Odoo's PBKDF2 format, checked at the edge, remembered once right."""

import hashlib

import pytest

from arthexis_bridge import passwords
from arthexis_bridge.passwords import PasswordChecker, hash_password, verify_password

# Made by hand with hashlib, as Odoo stores it (docs/events.md):
# hashlib.pbkdf2_hmac("sha256", "Borne-7 mot de passe".encode(), bytes.fromhex(SALT), 100000)
SALT = "a1b2c3d4e5f60718293a4b5c6d7e8f90"
ODOO_HASH = (
    f"pbkdf2_sha256$100000${SALT}$fddb7105229fc31125e9fabf945f72a89860a21d2b86a7418df4d38ce156654c"
)
# The same salt, 1000 iterations, password "pw": cheap enough for many tests.
CHEAP_HASH = (
    f"pbkdf2_sha256$1000${SALT}$84e7478838cbbeabb3e9ea15c0e2da809f80c898a4ff11631a66759faef9bd5d"
)


def test_a_hash_in_odoos_format_verifies_its_password_only():
    assert verify_password("Borne-7 mot de passe", ODOO_HASH)
    assert not verify_password("borne-7 mot de passe", ODOO_HASH)
    assert not verify_password("", ODOO_HASH)


def test_hashes_made_here_have_odoos_format_and_a_fresh_salt():
    first, second = hash_password("pw", iterations=1000), hash_password("pw", iterations=1000)
    algorithm, iterations, salt, digest = first.split("$")
    assert (algorithm, iterations, len(bytes.fromhex(salt))) == ("pbkdf2_sha256", "1000", 16)
    expected = hashlib.pbkdf2_hmac("sha256", b"pw", bytes.fromhex(salt), 1000).hex()
    assert digest == expected
    assert first != second
    assert hash_password("pw", salt=bytes.fromhex(SALT), iterations=1000) == CHEAP_HASH
    assert hash_password("x").split("$")[1] == str(passwords.ITERATIONS) == "100000"


@pytest.mark.parametrize(
    "encoded",
    [
        "",
        "pw",
        "md5$1000$00$00",
        f"pbkdf2_sha256$1000${SALT}",
        f"pbkdf2_sha256$x${SALT}$00",
        f"pbkdf2_sha256$0${SALT}$00",
        "pbkdf2_sha256$1000$zz$00",
        f"pbkdf2_sha256$1000${SALT}$",
    ],
)
def test_a_malformed_hash_matches_no_password(encoded):
    assert not passwords.is_hash(encoded)
    assert not verify_password("pw", encoded)


async def test_the_checker_computes_pbkdf2_once_per_charger_and_password():
    checker = PasswordChecker()
    for _ in range(3):
        assert await checker.check("CP-1", "pw", CHEAP_HASH)
    assert checker.computed == 1
    # Failures are computed every time and never remembered.
    assert not await checker.check("CP-1", "wrong", CHEAP_HASH)
    assert not await checker.check("CP-1", "wrong", CHEAP_HASH)
    assert checker.computed == 3
    # Another charger with the same password hash is checked on its own.
    assert await checker.check("CP-2", "pw", CHEAP_HASH)
    assert checker.computed == 4


async def test_a_remembered_password_no_longer_counts_once_the_hash_changes():
    checker = PasswordChecker()
    assert await checker.check("CP-1", "pw", CHEAP_HASH)
    changed = hash_password("new", iterations=1000)
    assert not await checker.check("CP-1", "pw", changed)
    assert await checker.check("CP-1", "new", changed)


async def test_the_checker_keeps_at_most_max_entries():
    checker = PasswordChecker(max_entries=2)
    for cp_id in ("A", "B", "C"):
        assert await checker.check(cp_id, "pw", CHEAP_HASH)
    assert await checker.check("C", "pw", CHEAP_HASH)
    assert checker.computed == 3
    assert await checker.check("A", "pw", CHEAP_HASH)  # the oldest was forgotten
    assert checker.computed == 4
