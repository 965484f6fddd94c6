"""The bridge as a whole: outbox, state, websocket server, sync and charger registry
refresh, started and stopped together.

Start order puts durability first: the outbox and the state open before any
charger can connect. Stop order is the reverse: stop accepting and close the
chargers' connections (their handlers finish committing what they
acknowledged), stop the sync and refresh tasks, then close the state and the
outbox.
"""

from __future__ import annotations

import asyncio
import logging

from .odoo_client import OdooClient, XmlRpcOdooClient
from .outbox import Outbox
from .server import PATH_PREFIX, Server
from .settings import Settings
from .state import State
from .sync import Backoff, ChargerRefresh, Sync
from .tasks import TaskSet

logger = logging.getLogger(__name__)


class Bridge:
    """One edge bridge. ``await Bridge(settings).run()`` serves until stopped or cancelled.

    ``odoo_client`` replaces the XML-RPC client the settings would make, and
    ``sync_backoff`` and ``refresh_backoff`` the retry delays of the sync and
    charger registry refresh tasks (tests use them). Raises SettingsError if
    the TLS certificates of the security profile cannot be loaded.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        odoo_client: OdooClient | None = None,
        sync_backoff: Backoff | None = None,
        refresh_backoff: Backoff | None = None,
    ) -> None:
        self.settings = settings
        self.outbox = Outbox(settings.outbox_path)
        self.state = State(settings.outbox_path)  # one file: the outbox and the state
        self.server = Server(settings, self.outbox, self.state)
        if odoo_client is None and settings.odoo is not None:
            odoo = settings.odoo
            odoo_client = XmlRpcOdooClient(odoo.url, odoo.db, odoo.login, odoo.api_key)
        self.odoo_client = odoo_client
        self.sync = None
        self.charger_refresh = None
        if odoo_client is not None:
            self.sync = Sync(
                self.outbox,
                odoo_client,
                batch_size=settings.sync_batch_size,
                backoff=sync_backoff,
            )
            self.charger_refresh = ChargerRefresh(
                self.state,
                odoo_client,
                interval=settings.charger_refresh,
                backoff=refresh_backoff,
            )
        self._tasks = TaskSet(logger)
        self._stopping = asyncio.Event()
        self._running = False

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
            await self.server.start()
        except BaseException:
            await self.state.close()
            await self.outbox.close()
            raise
        self._running = True
        if self.sync is not None:
            self._tasks.spawn(self.sync.run(), name="sync to Odoo")
        if self.charger_refresh is not None:
            self._tasks.spawn(self.charger_refresh.run(), name="charger registry from Odoo")
        self._log_start(await self.outbox.depth())

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
        )
        logger.info(
            "security profile %d; chargers not in the registry: %s (unknown_chargers)",
            settings.security_profile,
            settings.unknown_chargers,
        )
        logger.info("outbox: %s (%d events waiting for delivery)", self.outbox.path, depth)
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
        logger.info("stopping")
        try:
            await self.server.close()
            await self._tasks.cancel_all()
        finally:
            try:
                await self.state.close()
            finally:
                await self.outbox.close()
        logger.info("stopped")
