"""OCPP handling, one module per protocol version.

:data:`SUBPROTOCOLS` maps each websocket subprotocol the bridge speaks to the
class that serves a charger speaking it, in order of preference. OCPP 2.0.1 and
2.1 join by adding their module and a row here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from . import ocpp16

if TYPE_CHECKING:
    from websockets.asyncio.server import ServerConnection

    from ..auth_sync import OnlineAuthorizer
    from ..metrics import Metrics
    from ..outbox import Outbox
    from ..settings import Settings
    from ..state import State


class ChargePointHandler(Protocol):
    """What the server needs from a protocol's charge point class."""

    id: str
    protocol: str
    on_ready: Callable[[str], None] | None

    def __init__(
        self,
        charge_point_id: str,
        connection: ServerConnection,
        *,
        outbox: Outbox,
        state: State,
        settings: Settings,
        metrics: Metrics | None = None,
        authorizer: OnlineAuthorizer | None = None,
    ) -> None: ...

    async def start(self) -> None:
        """Serve the charger's frames until the connection closes."""

    def takes_command(self, action: str | None = None) -> bool:
        """Whether the charger may be sent a command of ``action`` now (without one:
        every command); ``on_ready`` is called with its id when that may change."""


SUBPROTOCOLS: dict[str, type[ChargePointHandler]] = {
    ocpp16.ChargePoint.protocol: ocpp16.ChargePoint,
}
