"""Structured log lines: logfmt (``key=value``, the default) or JSON, one record a line.

Every line has ``ts``, ``level``, ``logger``, ``event`` and ``msg``; then the
record's own fields, given as ``extra=`` by the code that logs it, such as
``charger`` (charge point id), ``action``, ``message_id``, ``code`` or
``lane``. ``event`` names what happened (``connected``, ``call_error``,
``sync_failed``...), so that a log search or alert need not parse sentences;
records that do not name one get ``event=log``. journald adds its own time
and level, and keeps logfmt lines as they are; log shippers read either.
"""

from __future__ import annotations

import json
import logging
import sys
import time

#: Attributes every LogRecord has: anything else on a record is a field of its own.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}
_FIRST = ("ts", "level", "logger", "event", "msg")


def fields(record: logging.LogRecord) -> dict[str, object]:
    """The record as ordered fields: the fixed ones, then its own, then any error."""
    out: dict[str, object] = {
        "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        + f".{int(record.msecs):03d}Z",
        "level": record.levelname.lower(),
        "logger": record.name,
        "event": getattr(record, "event", "log"),
        "msg": record.getMessage(),
    }
    for key, value in vars(record).items():
        if key not in _STANDARD and key not in out:
            out[key] = value
    if record.exc_info and record.exc_info[1] is not None:
        error = record.exc_info[1]
        out["error"] = f"{type(error).__name__}: {error}"
        out["trace"] = logging.Formatter().formatException(record.exc_info)
    return out


class LogfmtFormatter(logging.Formatter):
    """``key=value`` pairs; values with spaces, quotes or ``=`` are quoted."""

    def format(self, record: logging.LogRecord) -> str:
        return " ".join(f"{key}={_logfmt_value(value)}" for key, value in fields(record).items())


class JsonFormatter(logging.Formatter):
    """One JSON object a line."""

    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(fields(record), ensure_ascii=False, default=str)


FORMATTERS = {"logfmt": LogfmtFormatter, "json": JsonFormatter}


def _logfmt_value(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if text and not any(c in text for c in ' ="\\\n\t'):
        return text
    return json.dumps(text, ensure_ascii=False)  # quoted, with \" \\ \n escapes


def configure(level: str, log_format: str = "logfmt", stream=None) -> logging.Handler:
    """Log at ``level`` to stderr (or ``stream``) in ``log_format``; replaces earlier setup."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(FORMATTERS[log_format]())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    if level != "DEBUG":
        # The ocpp package logs every frame, and websockets every connection, at INFO:
        # too much for thousands of chargers. The bridge logs connections with their id.
        logging.getLogger("ocpp").setLevel(logging.WARNING)
        logging.getLogger("websockets").setLevel(logging.WARNING)
    return handler
