"""The bridge as a whole: outbox, state, message log, websocket server, sync,
charger registry refresh and log shipping, started and stopped together, and
the metrics that watch them.

Start order puts durability first: the outbox, the state and the message log
open before any charger can connect. Stop order is the reverse: stop accepting
and close the chargers' connections (their handlers finish committing what
they acknowledged), stop the background tasks, then close the message log
(storing its last frames), the state and the outbox.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import time
from datetime import datetime

from .auth_sync import AuthListRefresh, OnlineAuthorizer
from .commands import Commands
from .framelog import FrameLog
from .hardware.node import NodeHardware
from .metrics import Metrics
from .node import heartbeat_for
from .odoo_client import OdooClient, XmlRpcOdooClient
from .outbox import Outbox
from .power import PowerLimit
from .server import PATH_PREFIX, Server
from .settings import Settings
from .state import State
from .sync import Backoff, ChargerRefresh, FrameShipping, Sync, TransactionFloor
from .tasks import TaskSet

logger = logging.getLogger(__name__)

FLOOR_TIMEOUT = 5.0  # seconds start-up waits for Odoo's transaction id floor


class Bridge:
    """One edge bridge. ``await Bridge(settings).run()`` serves until stopped or cancelled.

    ``odoo_client`` replaces the XML-RPC client the settings would make, and
    ``sync_backoff``, ``refresh_backoff``, ``frames_backoff`` and
    ``auth_backoff`` the retry delays of the sync, charger registry refresh,
    log shipping and id tag list refresh tasks (tests use them). Raises
    SettingsError if the TLS certificates of the security profile cannot be
    loaded.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        odoo_client: OdooClient | None = None,
        sync_backoff: Backoff | None = None,
        refresh_backoff: Backoff | None = None,
        frames_backoff: Backoff | None = None,
        auth_backoff: Backoff | None = None,
    ) -> None:
        self.settings = settings
        self.outbox = Outbox(settings.outbox_path)
        self.state = State(settings.outbox_path)  # one file: the outbox and the state
        self.frame_log = None
        if settings.frame_log_max:
            self.frame_log = FrameLog(settings.outbox_path, settings.frame_log_max)
        self.metrics = Metrics()
        if odoo_client is None and settings.odoo is not None:
            odoo = settings.odoo
            odoo_client = XmlRpcOdooClient(
                odoo.url,
                odoo.db,
                odoo.login,
                odoo.api_key,
                authorize_timeout=settings.authorize_timeout,
                ingest_channels=settings.sync_lanes,
            )
        self.odoo_client = odoo_client
        # With Odoo, a tag the cache does not know is asked of Odoo (auth_sync.py).
        self.authorizer = None
        if odoo_client is not None:
            self.authorizer = OnlineAuthorizer(odoo_client, settings.authorize_timeout)
        self.server = Server(
            settings,
            self.outbox,
            self.state,
            metrics=self.metrics,
            frame_log=self.frame_log,
            authorizer=self.authorizer,
        )
        self.sync = None
        self.charger_refresh = None
        self.auth_refresh = None
        self.frame_shipping = None
        self.transaction_floor = None
        self.commands = None
        self.power = None
        # Clients without the command API (in-test ones) leave it off.
        if odoo_client is not None and hasattr(odoo_client, "commands"):
            self.commands = Commands(
                odoo_client,
                lambda: self.server.chargers,
                self.state,
                timeout=settings.command_timeout,
            )
            self.server.on_connect = self.commands.charger_connected
            self.power = PowerLimit(
                odoo_client,
                lambda: self.server.chargers,
                self.state,
                timeout=settings.command_timeout,
            )
            self.server.on_transaction = self.power.changed
        if odoo_client is not None:
            self.sync = Sync(
                self.outbox,
                odoo_client,
                batch_size=settings.sync_batch_size,
                lanes=settings.sync_lanes,
                backoff=sync_backoff,
            )
            self.charger_refresh = ChargerRefresh(
                self.state,
                odoo_client,
                interval=settings.charger_refresh,
                backoff=refresh_backoff,
            )
            self.auth_refresh = AuthListRefresh(
                self.state,
                odoo_client,
                interval=settings.auth_refresh,
                backoff=auth_backoff,
            )
            self.transaction_floor = TransactionFloor(
                self.state,
                odoo_client,
                interval=settings.charger_refresh,
                backoff=copy.copy(refresh_backoff),
            )
            if self.frame_log is not None:
                self.frame_shipping = FrameShipping(
                    self.frame_log, odoo_client, backoff=frames_backoff
                )
        self._add_metrics()
        self.node_heartbeat = heartbeat_for(self)  # None without Odoo (node.py)
        self.hardware = NodeHardware(self)  # RFID reader and LCD, if the settings name them
        self._tasks = TaskSet(logger)
        self._stopping = asyncio.Event()
        self._running = False

    def _add_metrics(self) -> None:
        metrics = self.metrics
        metrics.gauge(
            "connected_chargers", "chargers connected now", lambda: len(self.server.chargers)
        )
        outbox = self.outbox
        metrics.gauge("outbox_depth", "events waiting for delivery to Odoo", lambda: outbox.size)
        metrics.gauge(
            "sync_lag_seconds",
            "age of the oldest event not yet delivered to Odoo (0: none waiting)",
            self._sync_lag,
        )
        sync = self.sync
        metrics.counter(
            "events_delivered_total",
            "events Odoo confirmed since start",
            lambda: 0 if sync is None else sync.delivered,
        )
        metrics.counter(
            "sync_errors_total",
            "failed attempts to deliver events to Odoo since start",
            lambda: 0 if sync is None else sync.failures,
        )
        frame_log = self.frame_log
        metrics.gauge(
            "frame_log_depth",
            "OCPP frames kept in the message log (not yet shipped to Odoo)",
            lambda: 0 if frame_log is None else frame_log.depth,
        )

    def _sync_lag(self) -> float:
        oldest = self.outbox.oldest_at
        if oldest is None:
            return 0
        return max(0.0, round(time.time() - datetime.fromisoformat(oldest).timestamp(), 3))

    @property
    def port(self) -> int:
        """The port chargers connect to, as bound (settings may ask for 0)."""
        return self.server.port

    async def __aenter__(self) -> Bridge:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def start(self) -> None:
        """Open the outbox and state, listen, start syncing.

        Raises OutboxError, StateError or OSError.
        """
        await self.outbox.start()
        try:
            await self.state.start()
            if self.frame_log is not None:
                await self.frame_log.start()
            await self._read_transaction_floor()
            await self.server.start()
        except BaseException:
            if self.frame_log is not None:
                await self.frame_log.close()
            await self.state.close()
            await self.outbox.close()
            raise
        self._running = True
        if self.frame_log is not None:
            self._tasks.spawn(self.frame_log.run(), name="message log flush")
        if self.sync is not None:
            self._tasks.spawn(self.sync.run(), name="sync to Odoo")
        if self.charger_refresh is not None:
            self._tasks.spawn(self.charger_refresh.run(), name="charger registry from Odoo")
        if self.auth_refresh is not None:
            self._tasks.spawn(self.auth_refresh.run(), name="id tag list from Odoo")
        if self.frame_shipping is not None:
            self._tasks.spawn(self.frame_shipping.run(), name="message log to Odoo")
        if self.transaction_floor is not None:
            self._tasks.spawn(self.transaction_floor.run(), name="transaction id floor")
        if self.node_heartbeat is not None:
            self._tasks.spawn(self.node_heartbeat.run(), name="node heartbeat to Odoo")
        if self.commands is not None:
            self._tasks.spawn(self.commands.run(), name="commands from Odoo")
        if self.power is not None:
            self._tasks.spawn(self.power.run(), name="site power limit")
        await self.hardware.start()
        self._log_start(await self.outbox.depth())

    async def _read_transaction_floor(self) -> None:
        """Before any charger can start a transaction: count on from the highest id Odoo
        holds, if Odoo answers within FLOOR_TIMEOUT (else its task keeps trying)."""
        if self.transaction_floor is None:
            return
        try:
            await asyncio.wait_for(self.transaction_floor.refresh(), FLOOR_TIMEOUT)
        except Exception as error:
            logger.info(
                "transaction id floor: Odoo not reached at start (%s); trying in the background",
                type(error).__name__,
                extra={"event": "transaction_floor_later"},
            )

    def _log_start(self, depth: int) -> None:
        settings = self.settings
        protocols = ", ".join(self.server.subprotocols)
        logger.info(
            "listening for chargers on %s://%s:%d%s<charge point id> (%s)",
            self.server.scheme,
            settings.host,
            self.port,
            PATH_PREFIX,
            protocols,
            extra={"event": "listening", "port": self.port, "outbox_depth": depth},
        )
        logger.info(
            "security profile %d; chargers not in the registry: %s (unknown_chargers)",
            settings.security_profile,
            settings.unknown_chargers,
        )
        logger.info("outbox: %s (%d events waiting for delivery)", self.outbox.path, depth)
        if self.frame_log is None:
            logger.info("message log: off (frame_log_max 0)")
        else:
            logger.info(
                "message log: %d frames kept, at most %d (frame_log_max)",
                self.frame_log.depth,
                self.frame_log.max_rows,
            )
        logger.info("metrics: GET /metrics on port %d", self.port)
        if settings.odoo is not None:
            logger.info("syncing to Odoo at %s db %s", settings.odoo.url, settings.odoo.db)
        elif self.odoo_client is not None:
            logger.info("syncing to Odoo with %r", self.odoo_client)
        else:
            logger.info(
                "standalone: no Odoo configured; events are kept in %s until Odoo is configured",
                self.outbox.path,
            )

    def request_stop(self) -> None:
        """Ask :meth:`run` to stop gracefully; safe to call from a signal handler."""
        self._stopping.set()

    async def run(self) -> None:
        """Start, serve until :meth:`request_stop` or cancellation, then stop gracefully."""
        await self.start()
        try:
            await self._stopping.wait()
        finally:
            await self.stop()

    async def stop(self) -> None:
        """Stop accepting, close connections, stop syncing, close state and outbox. Idempotent."""
        if not self._running:
            return
        self._running = False
        logger.info("stopping", extra={"event": "stopping"})
        try:
            await self.server.close()
            await self._tasks.cancel_all()
            await self.hardware.stop()  # before the state and outbox its scans use
        finally:
            try:
                if self.frame_log is not None:
                    await self.frame_log.close()
            finally:
                try:
                    await self.state.close()
                finally:
                    await self.outbox.close()
        logger.info("stopped", extra={"event": "stopped"})
