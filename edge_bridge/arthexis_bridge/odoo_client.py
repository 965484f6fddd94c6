"""The bridge's one way into Odoo, behind a small interface.

The sync side needs two calls: deliver events and learn which ids Odoo has
durably recorded (``ingest``), and pull the registry of this bridge's
chargers (``chargers``). :class:`XmlRpcOdooClient` makes them over XML-RPC;
Odoo deprecates XML-RPC from version 19 in favour of its JSON-2 API, and a
client for that only has to implement :class:`OdooClient`.
"""

from __future__ import annotations

import asyncio
import http.client
import threading
import xmlrpc.client
from typing import Any, Protocol

API_MODEL = "arthexis.bridge.api"


class OdooError(Exception):
    """Odoo answered, but not with what the bridge needs."""


class OdooAuthError(OdooError):
    """Odoo refused the bridge's login and API key."""


class OdooClient(Protocol):
    """What the sync side needs from Odoo."""

    async def ingest(self, events: list[dict[str, Any]]) -> list[str]:
        """Deliver events; return the ids Odoo has committed (new or seen before)."""
        ...

    async def chargers(self) -> list[dict[str, Any]]:
        """The chargers of this bridge's node: charge_point_id, registration,
        password_hash (False: none) and require_rfid (docs/events.md)."""
        ...


class _Timeout:
    """Mixin: connections whose socket operations time out after ``timeout`` seconds."""

    def __init__(self, timeout: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.timeout = timeout

    def make_connection(self, host: Any) -> http.client.HTTPConnection:
        connection = super().make_connection(host)
        connection.timeout = self.timeout
        return connection


class _TimeoutTransport(_Timeout, xmlrpc.client.Transport):
    pass


class _SafeTimeoutTransport(_Timeout, xmlrpc.client.SafeTransport):
    pass


class XmlRpcOdooClient:
    """Odoo over XML-RPC (``/xmlrpc/2``), as the bridge's own user with an API key.

    The calls block, so each runs in a worker thread; one lock keeps them in
    order, since an ``xmlrpc.client.ServerProxy`` is not safe to share between
    threads at once.
    """

    def __init__(self, url: str, db: str, login: str, api_key: str, timeout: float = 30) -> None:
        self.url = url.rstrip("/")
        self.db = db
        self.login = login
        self._api_key = api_key
        self._timeout = timeout
        self._uid: int | None = None
        self._lock = threading.Lock()
        self._common = self._proxy("common")
        self._object = self._proxy("object")

    def __repr__(self) -> str:
        return f"XmlRpcOdooClient({self.url!r}, db={self.db!r}, login={self.login!r})"

    def _proxy(self, service: str) -> xmlrpc.client.ServerProxy:
        https = self.url.startswith("https:")
        transport = _SafeTimeoutTransport if https else _TimeoutTransport
        return xmlrpc.client.ServerProxy(
            f"{self.url}/xmlrpc/2/{service}",
            transport=transport(self._timeout),
            allow_none=True,
        )

    async def ingest(self, events: list[dict[str, Any]]) -> list[str]:
        confirmed = await asyncio.to_thread(self._execute, "ingest", [events])
        if not isinstance(confirmed, list) or not all(isinstance(i, str) for i in confirmed):
            raise OdooError(f"{API_MODEL}.ingest answered {confirmed!r}, not a list of event ids")
        return confirmed

    async def chargers(self) -> list[dict[str, Any]]:
        chargers = await asyncio.to_thread(self._execute, "chargers", [])
        if not isinstance(chargers, list) or not all(isinstance(c, dict) for c in chargers):
            # Not the answer itself in the message: it may hold password hashes.
            raise OdooError(f"{API_MODEL}.chargers answered something other than a list of structs")
        return chargers

    def _execute(self, method: str, args: list[Any]) -> Any:
        """``arthexis.bridge.api.<method>(*args)`` as the bridge's user, in a worker thread."""
        with self._lock:
            try:
                uid = self._authenticate()
                return self._object.execute_kw(self.db, uid, self._api_key, API_MODEL, method, args)
            except BaseException:
                # Log in again next time: the key may have been rotated, or the
                # database restored, while the connection was down.
                self._uid = None
                raise

    def _authenticate(self) -> int:
        if self._uid is None:
            uid = self._common.authenticate(self.db, self.login, self._api_key, {})
            if not uid:
                raise OdooAuthError(
                    f"Odoo at {self.url} refused login {self.login!r} on database {self.db!r}: "
                    "check ARTHEXIS_BRIDGE_ODOO_DB, _ODOO_LOGIN and _ODOO_API_KEY "
                    "(generate a new key on the node in Odoo if needed)"
                )
            self._uid = uid
        return self._uid
