"""The websocket server chargers connect to: ``ws(s)://<host>:<port>/ocpp/<charge point id>``.

The handshake is where a charger is turned away cheaply and clearly, before
any OCPP frame is read: a path that is not ``/ocpp/<id>`` gets HTTP 404, a
charger offering no OCPP subprotocol the bridge speaks gets HTTP 400, an id
the charger registry does not list gets 404 when ``unknown_chargers`` is
reject, and a charger that does not prove its id as the security profile
asks gets 401 or 403 (``security.py``). Profiles 2 and 3 serve over TLS.
Once connected, the subprotocol picks the charge point class from
:data:`~arthexis_bridge.protocols.SUBPROTOCOLS`. A charger that reconnects under
the same id replaces its previous connection, which is closed. A frame larger
than ``max_frame_bytes`` closes its charger's connection with 1009 (message
too big) before the bridge reads it; the other chargers do not notice.

The same port answers a plain HTTP ``GET /metrics`` with the bridge's metrics
in the Prometheus text format (``metrics.py``), before any check of the OCPP
path, subprotocol or credentials. With a message log, each charger's
connection is wrapped so that every frame it receives and sends is recorded
(``framelog.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from types import MappingProxyType
from urllib.parse import unquote, urlsplit

from websockets.asyncio.server import Server as WebsocketServer
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.frames import CloseCode
from websockets.http11 import Request, Response

from . import chargers
from .auth_sync import OnlineAuthorizer
from .framelog import FrameLog, RecordingConnection
from .metrics import CONTENT_TYPE, Metrics
from .outbox import Outbox
from .protocols import SUBPROTOCOLS, ChargePointHandler
from .security import Authenticator, server_ssl_context
from .settings import Settings
from .state import State, StateError
from .tasks import TaskSet

logger = logging.getLogger(__name__)

PATH_PREFIX = "/ocpp/"
METRICS_PATH = "/metrics"
MAX_ID_LENGTH = chargers.MAX_ID_LENGTH


def charge_point_id(path: str) -> str | None:
    """The URL-decoded id from ``/ocpp/<id>`` (1 to 48 characters, no '/'), else None."""
    encoded = urlsplit(path).path
    if not encoded.startswith(PATH_PREFIX):
        return None
    encoded = encoded[len(PATH_PREFIX) :]
    decoded = unquote(encoded)
    if "/" in encoded or "/" in decoded or not 1 <= len(decoded) <= MAX_ID_LENGTH:
        return None
    return decoded


def offered_subprotocols(request: Request) -> list[str]:
    """The subprotocols a client offers, in its order, across repeated headers."""
    return [
        name.strip()
        for header in request.headers.get_all("Sec-WebSocket-Protocol")
        for name in header.split(",")
        if name.strip()
    ]


def _peer(connection: ServerConnection) -> str:
    address = connection.remote_address
    return f"{address[0]}:{address[1]}" if address else "?"


@dataclass
class ChargerSession:
    """A connected charger: its id, the protocol it speaks, its connection."""

    id: str
    protocol: str
    connection: ServerConnection
    charge_point: ChargePointHandler
    connected_at: datetime = field(default_factory=lambda: datetime.now(UTC))


class Server:
    """Accepts chargers and serves each with the class for its OCPP version.

    Raises SettingsError if the TLS certificates of the security profile
    cannot be loaded.
    """

    def __init__(
        self,
        settings: Settings,
        outbox: Outbox,
        state: State,
        subprotocols: Mapping[str, type[ChargePointHandler]] = SUBPROTOCOLS,
        *,
        metrics: Metrics | None = None,
        frame_log: FrameLog | None = None,
        authorizer: OnlineAuthorizer | None = None,
    ) -> None:
        self._settings = settings
        self.metrics = metrics if metrics is not None else Metrics()
        self._frame_log = frame_log
        self._authorizer = authorizer
        self._outbox = outbox
        self._state = state
        self._subprotocols = dict(subprotocols)
        self._chargers: dict[str, ChargerSession] = {}
        self._tasks = TaskSet(logger)
        self._server: WebsocketServer | None = None
        self._ssl = server_ssl_context(settings)
        self._authenticator = Authenticator(settings.security_profile)
        #: Called with the charge point id of a connected charger once it may be sent
        #: commands (its BootNotification answered, or it goes on without one), and at
        #: each BootNotification after that: commands.py asks Odoo at once for the
        #: commands that waited for it.
        self.on_connect: Callable[[str], None] | None = None
        #: Given to each charger's handler: called at each transaction start and stop.
        self.on_transaction: Callable[[str], None] | None = None

    @property
    def scheme(self) -> str:
        """``wss`` under security profiles 2 and 3, else ``ws``."""
        return "ws" if self._ssl is None else "wss"

    @property
    def chargers(self) -> Mapping[str, ChargerSession]:
        """Connected chargers by id (read-only view)."""
        return MappingProxyType(self._chargers)

    @property
    def subprotocols(self) -> list[str]:
        """The subprotocols served, in order of preference."""
        return list(self._subprotocols)

    @property
    def port(self) -> int:
        """The port actually bound (useful when the settings ask for port 0)."""
        if self._server is None:
            raise RuntimeError("the server is not started")
        return self._server.sockets[0].getsockname()[1]

    async def start(self) -> None:
        """Listen; raises OSError if the address cannot be bound."""
        self._server = await serve(
            self._serve_charger,
            self._settings.host,
            self._settings.port,
            subprotocols=list(self._subprotocols),
            process_request=self._check_request,
            max_size=self._settings.max_frame_bytes,
            ssl=self._ssl,
        )

    async def close(self) -> None:
        """Stop accepting, close every charger's connection, wait for their handlers."""
        if self._server is None:
            return
        self._server.close()
        await self._server.wait_closed()
        await self._tasks.cancel_all()

    async def _check_request(
        self, connection: ServerConnection, request: Request
    ) -> Response | None:
        """Refuse at the handshake what the bridge cannot serve or may not let in."""
        if urlsplit(request.path).path == METRICS_PATH:
            return self._metrics_page(connection)
        cp_id = charge_point_id(request.path)
        if cp_id is None:
            logger.info(
                "refused %s from %s: not /ocpp/<charge point id>",
                request.path,
                _peer(connection),
                extra={"event": "refused", "reason": "path", "peer": _peer(connection)},
            )
            return connection.respond(
                HTTPStatus.NOT_FOUND,
                f"Connect to {PATH_PREFIX}<charge point id> (1 to {MAX_ID_LENGTH} characters).\n",
            )
        offered = offered_subprotocols(request)
        if not any(name in self._subprotocols for name in offered):
            supported = ", ".join(self._subprotocols)
            logger.warning(
                "charger %s refused: offers %s, the bridge speaks %s",
                cp_id,
                ", ".join(offered) or "no subprotocol",
                supported,
                extra={"event": "refused", "charger": cp_id, "reason": "subprotocol"},
            )
            return connection.respond(
                HTTPStatus.BAD_REQUEST,
                f"Offer one of these websocket subprotocols: {supported}.\n",
            )
        try:
            charger = await self._state.run(chargers.get, cp_id)
        except StateError as error:
            logger.error(
                "charger %s refused: cannot read the charger registry: %s",
                cp_id,
                error,
                extra={"event": "refused", "charger": cp_id, "reason": "registry"},
            )
            return connection.respond(
                HTTPStatus.SERVICE_UNAVAILABLE, "The central system cannot admit you now.\n"
            )
        if charger is None and self._settings.unknown_chargers == "reject":
            logger.warning(
                "charger %s refused from %s: not in the charger registry (unknown_chargers reject)",
                cp_id,
                _peer(connection),
                extra={"event": "refused", "charger": cp_id, "reason": "unknown_charger"},
            )
            return connection.respond(HTTPStatus.NOT_FOUND, "Unknown charge point id.\n")
        refusal = await self._authenticator.check(connection, request, cp_id, charger)
        if refusal is not None:
            logger.warning(
                "charger %s refused from %s (security profile %d): %s",
                cp_id,
                _peer(connection),
                self._settings.security_profile,
                refusal.reason,
                extra={"event": "refused", "charger": cp_id, "reason": "credentials"},
            )
            response = connection.respond(refusal.status, refusal.body)
            response.headers.update(refusal.headers)
            return response
        return None

    def _metrics_page(self, connection: ServerConnection) -> Response:
        response = connection.respond(HTTPStatus.OK, self.metrics.render())
        del response.headers["Content-Type"]  # respond()'s plain text/plain
        response.headers["Content-Type"] = CONTENT_TYPE
        return response

    async def _serve_charger(self, connection: ServerConnection) -> None:
        """Serve one charger from connect to disconnect."""
        cp_id = charge_point_id(connection.request.path)
        protocol = connection.subprotocol
        served = connection
        if self._frame_log is not None:
            served = RecordingConnection(connection, cp_id, self._frame_log)
        charge_point = self._subprotocols[protocol](
            cp_id,
            served,
            outbox=self._outbox,
            state=self._state,
            settings=self._settings,
            metrics=self.metrics,
            authorizer=self._authorizer,
        )
        charge_point.on_transaction = self.on_transaction
        charge_point.on_ready = self.on_connect
        session = ChargerSession(cp_id, protocol, connection, charge_point)
        previous = self._chargers.get(cp_id)
        self._chargers[cp_id] = session
        if previous is not None:
            logger.info(
                "charger %s connected again; closing its previous connection",
                cp_id,
                extra={"event": "replaced", "charger": cp_id},
            )
            self._tasks.spawn(
                previous.connection.close(CloseCode.NORMAL_CLOSURE, "replaced by a new connection"),
                name=f"close previous connection of {cp_id}",
            )
        peer = _peer(connection)
        logger.info(
            "charger %s connected from %s (%s)",
            cp_id,
            peer,
            protocol,
            extra={"event": "connected", "charger": cp_id, "peer": peer, "protocol": protocol},
        )
        outcome = "closed"
        try:
            await charge_point.start()
        except ConnectionClosed as closed:
            outcome = str(closed)
            if closed.sent is not None and closed.sent.code == CloseCode.MESSAGE_TOO_BIG:
                logger.warning(
                    "charger %s sent a frame over %d bytes (max_frame_bytes)",
                    cp_id,
                    self._settings.max_frame_bytes,
                    extra={"event": "frame_too_big", "charger": cp_id},
                )
        except Exception as error:
            outcome = f"failed: {error!r}"
            logger.exception(
                "charger %s: connection handler failed",
                cp_id,
                extra={"event": "handler_failed", "charger": cp_id},
            )
        finally:
            if self._chargers.get(cp_id) is session:
                del self._chargers[cp_id]
            logger.info(
                "charger %s disconnected (%s)",
                cp_id,
                outcome,
                extra={"event": "disconnected", "charger": cp_id, "reason": outcome},
            )
