"""The bridge's metrics, in the Prometheus text format (served at ``GET /metrics``).

Counters the hot path bumps are plain dicts of ints: one dict update per
frame, no lock (everything runs on the event loop). Figures that other parts
already keep (connected chargers, the outbox depth, events delivered) are not
counted twice: they are read when a scrape renders the page, through the
functions registered with :meth:`Metrics.gauge` and :meth:`Metrics.counter`.
"""

from __future__ import annotations

import json
from collections.abc import Callable

PREFIX = "arthexis_bridge_"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
UNKNOWN = "unknown"  # the action label of a frame that is not a CALL of a known action


class Metrics:
    """The counters of one bridge, and the figures read from its parts at scrape time."""

    def __init__(self) -> None:
        #: OCPP frames by (direction, action): ``in`` from chargers, ``out`` to them.
        self.messages: dict[tuple[str, str], int] = {}
        #: CALLERRORs the bridge sent, by error code.
        self.callerrors: dict[str, int] = {}
        self._read: list[tuple[str, str, str, Callable[[], float]]] = []

    def received(self, action: str) -> None:
        """Count a frame from a charger; ``action`` is its CALL's action (for an answer,
        that of the bridge's CALL it answers) or :data:`UNKNOWN`."""
        key = ("in", action)
        self.messages[key] = self.messages.get(key, 0) + 1

    def sent(self, action: str, frame: str) -> None:
        """Count a frame to a charger: a CALL of ``action``, or the answer to one."""
        key = ("out", action)
        self.messages[key] = self.messages.get(key, 0) + 1
        if frame.startswith("[4"):  # a CALLERROR: rare, so reading its code is cheap enough
            try:
                code = str(json.loads(frame)[2])
            except (ValueError, IndexError, TypeError):
                code = UNKNOWN
            self.callerrors[code] = self.callerrors.get(code, 0) + 1

    def gauge(self, name: str, help: str, read: Callable[[], float]) -> None:
        """Serve ``arthexis_bridge_<name>`` as a gauge, reading its value at each scrape."""
        self._read.append((PREFIX + name, "gauge", help, read))

    def counter(self, name: str, help: str, read: Callable[[], float]) -> None:
        """Serve ``arthexis_bridge_<name>`` as a counter kept elsewhere, read at each scrape."""
        self._read.append((PREFIX + name, "counter", help, read))

    def render(self) -> str:
        """The page a Prometheus scrape gets."""
        lines: list[str] = []
        _family(
            lines,
            PREFIX + "messages_total",
            "counter",
            "OCPP frames received (in) and sent (out), by the action of the CALL",
            (
                (f'direction="{direction}",action="{_escape(action)}"', count)
                for (direction, action), count in sorted(self.messages.items())
            ),
        )
        _family(
            lines,
            PREFIX + "callerrors_total",
            "counter",
            "CALLERRORs sent to chargers, by error code",
            ((f'code="{_escape(code)}"', count) for code, count in sorted(self.callerrors.items())),
        )
        for name, kind, help, read in self._read:
            _family(lines, name, kind, help, (("", read()),))
        return "\n".join(lines) + "\n"


def _family(lines: list[str], name: str, kind: str, help: str, samples) -> None:
    lines.append(f"# HELP {name} {help}")
    lines.append(f"# TYPE {name} {kind}")
    for labels, value in samples:
        series = f"{name}{{{labels}}}" if labels else name
        lines.append(f"{series} {_number(value)}")


def _number(value: float) -> str:
    if isinstance(value, int) or float(value).is_integer():
        return str(int(value))
    return repr(float(value))


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
