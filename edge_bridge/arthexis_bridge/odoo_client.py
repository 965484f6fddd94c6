"""The bridge's one way into Odoo, behind a small interface.

The sync side needs three calls: deliver events and learn which ids Odoo has
durably recorded (``ingest``), pull the registry of this bridge's chargers
(``chargers``), and ship the message log (``log_frames``). Authorization
needs two more: pull the id tag list or its changes (``auth_list``), and ask
about one tag the bridge does not know (``authorize``).
:class:`XmlRpcOdooClient` makes them over XML-RPC; Odoo deprecates XML-RPC
from version 19 in favour of its JSON-2 API, and a client for that only has to
implement :class:`OdooClient`.
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

    async def log_frames(self, frames: list[dict[str, Any]]) -> list[str]:
        """Ship message log frames (id, charger, at, direction, frame); return the
        ids Odoo has recorded (new or seen before)."""
        ...

    async def auth_list(self, since: int) -> dict[str, Any]:
        """The id tags changed since list version ``since`` (0: all of them):
        ``{"version", "full", "entries"}`` (docs/events.md)."""
        ...

    async def authorize(self, id_tag: str) -> dict[str, Any]:
        """Odoo's answer on one id tag: ``{"status", "expiry_date", "parent_id_tag"}``."""
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

    The calls block, so each runs in a worker thread; a lock keeps them in
    order, since an ``xmlrpc.client.ServerProxy`` is not safe to share between
    threads at once. ``log_frames`` has a proxy (so a connection) and a lock of
    its own: shipping a large batch of frames never holds up event delivery;
    so has ``authorize``, whose socket times out after ``authorize_timeout``.
    """

    def __init__(
        self,
        url: str,
        db: str,
        login: str,
        api_key: str,
        timeout: float = 30,
        authorize_timeout: float = 5,
    ) -> None:
        self.url = url.rstrip("/")
        self.db = db
        self.login = login
        self._api_key = api_key
        self._timeout = timeout
        self._uid: int | None = None
        self._lock = threading.Lock()
        self._auth_lock = threading.Lock()
        self._common = self._proxy("common")
        self._object = self._proxy("object")
        self._frames_lock = threading.Lock()
        self._frames_object = self._proxy("object")
        # authorize() too: a charger waits on it, so it never queues behind a
        # batch, and its socket gives up about when the charger stops waiting.
        self._ask_lock = threading.Lock()
        self._ask_object = self._proxy("object", authorize_timeout)

    def __repr__(self) -> str:
        return f"XmlRpcOdooClient({self.url!r}, db={self.db!r}, login={self.login!r})"

    def _proxy(self, service: str, timeout: float | None = None) -> xmlrpc.client.ServerProxy:
        https = self.url.startswith("https:")
        transport = _SafeTimeoutTransport if https else _TimeoutTransport
        return xmlrpc.client.ServerProxy(
            f"{self.url}/xmlrpc/2/{service}",
            transport=transport(self._timeout if timeout is None else timeout),
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

    async def log_frames(self, frames: list[dict[str, Any]]) -> list[str]:
        confirmed = await asyncio.to_thread(self._execute, "log_frames", [frames], frames=True)
        if not isinstance(confirmed, list) or not all(isinstance(i, str) for i in confirmed):
            raise OdooError(f"{API_MODEL}.log_frames answered {confirmed!r}, not a list of ids")
        return confirmed

    async def auth_list(self, since: int) -> dict[str, Any]:
        answer = await asyncio.to_thread(self._execute, "auth_list", [since])
        if not isinstance(answer, dict):
            raise OdooError(f"{API_MODEL}.auth_list answered {type(answer).__name__}, not a struct")
        return answer

    async def authorize(self, id_tag: str) -> dict[str, Any]:
        answer = await asyncio.to_thread(self._execute, "authorize", [id_tag], ask=True)
        if not isinstance(answer, dict):
            raise OdooError(f"{API_MODEL}.authorize answered {answer!r}, not a struct")
        return answer

    def _execute(
        self, method: str, args: list[Any], *, frames: bool = False, ask: bool = False
    ) -> Any:
        """``arthexis.bridge.api.<method>(*args)`` as the bridge's user, in a worker thread."""
        lock, proxy = (self._lock, self._object)
        if frames:
            lock, proxy = (self._frames_lock, self._frames_object)
        if ask:
            lock, proxy = (self._ask_lock, self._ask_object)
        with lock:
            try:
                uid = self._authenticate()
                return proxy.execute_kw(self.db, uid, self._api_key, API_MODEL, method, args)
            except BaseException:
                # Log in again next time: the key may have been rotated, or the
                # database restored, while the connection was down.
                self._uid = None
                raise

    def _authenticate(self) -> int:
        uid = self._uid
        if uid is not None:
            return uid
        with self._auth_lock:  # the two channels share the login and its proxy
            if self._uid is not None:
                return self._uid
            uid = self._common.authenticate(self.db, self.login, self._api_key, {})
            if not uid:
                raise OdooAuthError(
                    f"Odoo at {self.url} refused login {self.login!r} on database {self.db!r}: "
                    "check ARTHEXIS_BRIDGE_ODOO_DB, _ODOO_LOGIN and _ODOO_API_KEY "
                    "(generate a new key on the node in Odoo if needed)"
                )
            self._uid = uid
        return uid
