"""Small helpers shared by the charging models."""

import csv
import hashlib
import hmac
import io
import operator
import secrets
from datetime import datetime, timezone


def parse_time(value):
    """An ISO 8601 time from the bridge or a charger, as Odoo's naive UTC datetime."""
    if not isinstance(value, str):
        raise ValueError(f"time {value!r} is not an ISO 8601 string")
    if value[-1:] in ("Z", "z"):  # Python 3.10's fromisoformat does not read "Z"
        value = value[:-1] + "+00:00"
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


# Charger passwords (OCPP security profile 1) are hashed with the standard
# library only, so the bridge checks them without Odoo's dependencies. The
# format is documented in docs/events.md ("Charger settings").
PASSWORD_ITERATIONS = 100_000


def hash_password(password, salt=None, iterations=PASSWORD_ITERATIONS):
    """'pbkdf2_sha256$<iterations>$<salt hex>$<hash hex>' for a charger password."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    return f"pbkdf2_sha256${iterations}${salt.hex()}${digest.hex()}"


def verify_password(password, encoded):
    algorithm, iterations, salt, _digest = encoded.split("$")
    if algorithm != "pbkdf2_sha256":
        return False
    expected = hash_password(password, bytes.fromhex(salt), int(iterations))
    return hmac.compare_digest(expected, encoded)


def insert_rows(env, table, columns, rows):
    """One COPY of all rows: the bulk path of ingestion.

    Raw SQL only on the measured hot paths (benchmarks/ingest.py): COPY takes a
    batch faster than a multi-row INSERT, and the csv module writes it in C.
    In CSV an empty field is NULL, so an empty string is stored as NULL (Odoo
    shows both as empty). The ORM is flushed first, and callers invalidate what
    they cached of these tables.
    """
    if not rows:
        return
    env.flush_all()
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(map(operator.itemgetter(*columns), rows))
    buffer.seek(0)
    env.cr._obj.copy_expert(
        f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)", buffer
    )
