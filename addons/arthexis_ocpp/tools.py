"""Small helpers shared by the charging models."""

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
