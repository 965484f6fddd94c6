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
import concurrent.futures
import contextlib
import http.client
import queue
import re
import threading
import xmlrpc.client
from typing import Any, Protocol

API_MODEL = "arthexis.bridge.api"
COMMANDS_MAX_WAIT = 25  # seconds Odoo holds a commands() long poll at most
ASK_CHANNELS = 4  # authorize() calls in Odoo at once: every start asks, chargers wait


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

    async def authorize(self, id_tag: str, concurrent: bool = False) -> dict[str, Any]:
        """Odoo's answer on one id tag: ``{"status", "expiry_date", "parent_id_tag"}``;
        ``concurrent``: ConcurrentTx for a card (or its group) charging on any node."""
        ...

    async def transaction_floor(self) -> int:
        """The highest transaction id Odoo holds for this bridge's node (0: none)."""
        ...


# What a charger may put in a JSON string but XML 1.0 cannot carry: control
# characters, and (as xmlrpc.client writes them) lone surrogates as character
# references, and U+FFFE/U+FFFF.
_NOT_XML = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]|\xef\xbf[\xbe\xbf]|&#(5[5-7]\d\d\d);")
_REPLACEMENT = "\ufffd".encode()


def xml_safe(body: bytes) -> bytes:
    """The XML-RPC request with each character XML cannot carry made U+FFFD.

    Odoo's parser refuses the whole request otherwise, and the bridge would send
    the same batch again and again: one stray NUL in a charger's vendor string
    would stop its events for good.
    """

    def replace(found: re.Match) -> bytes:
        reference = found.group(1)
        if reference is not None and not 0xD800 <= int(reference) <= 0xDFFF:
            return found.group(0)  # a character reference XML allows
        return _REPLACEMENT

    return _NOT_XML.sub(replace, body)


class _Timeout:
    """Mixin: connections whose socket operations time out after ``timeout`` seconds,
    carrying only what XML can (:func:`xml_safe`)."""

    def __init__(self, timeout: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.timeout = timeout

    def make_connection(self, host: Any) -> http.client.HTTPConnection:
        connection = super().make_connection(host)
        connection.timeout = self.timeout
        return connection

    def send_request(self, host: Any, handler: str, request_body: bytes, debug: int) -> Any:
        return super().send_request(host, handler, xml_safe(request_body), debug)


class _TimeoutTransport(_Timeout, xmlrpc.client.Transport):
    pass


class _SafeTimeoutTransport(_Timeout, xmlrpc.client.SafeTransport):
    pass


class XmlRpcOdooClient:
    """Odoo over XML-RPC (``/xmlrpc/2``), as the bridge's own user with an API key.

    The calls block, so each runs in a worker thread; a lock keeps them in
    order, since an ``xmlrpc.client.ServerProxy`` is not safe to share between
    threads at once. ``ingest`` has ``ingest_channels`` proxies (connections) and
    threads of its own, one per delivery lane, so that several batches are in
    Odoo at once. ``log_frames`` has a proxy (so a connection) and a lock of
    its own: shipping a large batch of frames never holds up event delivery;
    ``authorize`` has ``ASK_CHANNELS`` proxies of its own, whose sockets time out
    after ``authorize_timeout``.
    """

    def __init__(
        self,
        url: str,
        db: str,
        login: str,
        api_key: str,
        timeout: float = 30,
        authorize_timeout: float = 5,
        ingest_channels: int = 1,
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
        self._ingest_proxies: queue.SimpleQueue = queue.SimpleQueue()
        for _ in range(ingest_channels):
            self._ingest_proxies.put(self._proxy("object"))
        self._ingest_threads = concurrent.futures.ThreadPoolExecutor(
            ingest_channels, thread_name_prefix="odoo-ingest"
        )
        self._frames_lock = threading.Lock()
        self._frames_object = self._proxy("object")
        # authorize() too: a charger waits on it, so it never queues behind a
        # batch, nor much behind other chargers' asks, and its socket gives up
        # about when the charger stops waiting.
        self._ask_proxies: queue.SimpleQueue = queue.SimpleQueue()
        for _ in range(ASK_CHANNELS):
            self._ask_proxies.put(self._proxy("object", authorize_timeout))
        self._channels: dict[str, tuple[threading.Lock, xmlrpc.client.ServerProxy]] = {}
        self._channels_lock = threading.Lock()
        self._poll_proxies: queue.SimpleQueue = queue.SimpleQueue()

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
        loop = asyncio.get_running_loop()
        confirmed = await loop.run_in_executor(self._ingest_threads, self._ingest, events)
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

    async def authorize(self, id_tag: str, concurrent: bool = False) -> dict[str, Any]:
        args = [id_tag, concurrent]
        answer = await asyncio.to_thread(self._ask, args)
        if not isinstance(answer, dict):
            raise OdooError(f"{API_MODEL}.authorize answered {answer!r}, not a struct")
        return answer

    async def transaction_floor(self) -> int:
        floor = await asyncio.to_thread(self._execute, "transaction_floor", [])
        if not isinstance(floor, int) or isinstance(floor, bool) or floor < 0:
            raise OdooError(f"{API_MODEL}.transaction_floor answered {floor!r}, not an id")
        return floor

    # The command path (docs/commands.md), on connections of its own: a long poll
    # holds its connection up to ``wait`` s, and must never hold up the sync.

    async def commands(self, wait: float, chargers: list[str] | None) -> list[dict[str, Any]]:
        """The queued commands for ``chargers`` (None: all); blocks up to ``wait`` s."""
        if wait:
            # Each long poll on a connection and thread of its own: the bridge may
            # have a second one open while the first waits (commands.py). A daemon
            # thread: stopping the bridge never waits for Odoo to end the wait.
            found = await _in_daemon_thread(self._poll, wait, chargers)
        else:
            found = await asyncio.to_thread(self._execute_on, "commands", "commands", [0, chargers])
        if not isinstance(found, list) or not all(isinstance(c, dict) for c in found):
            raise OdooError(f"{API_MODEL}.commands answered {found!r}, not a list of structs")
        return found

    async def command_sent(self, ids: list[int]) -> list[int]:
        """Claim commands; return the ids the bridge may send now."""
        return _ids(await asyncio.to_thread(self._execute_on, "commands", "command_sent", [ids]))

    async def command_results(self, results: list[dict[str, Any]]) -> list[int]:
        """Report the chargers' answers; return the ids Odoo has settled."""
        answer = await asyncio.to_thread(self._execute_on, "commands", "command_results", [results])
        return _ids(answer)

    async def power_settings(self) -> dict[str, Any]:
        """The node's site power limit: ``{"site_limit", "unit", "phases", "voltage"}``."""
        answer = await asyncio.to_thread(self._execute_on, "commands", "power_settings", [])
        if not isinstance(answer, dict):
            raise OdooError(f"{API_MODEL}.power_settings answered {answer!r}, not a struct")
        return answer

    def _poll(self, wait: float, chargers: list[str] | None) -> Any:
        try:
            proxy = self._poll_proxies.get_nowait()
        except queue.Empty:
            # Its socket waits longer than Odoo holds the call.
            proxy = self._proxy("object", self._timeout + COMMANDS_MAX_WAIT)
        try:
            return self._call_on(proxy, "commands", [wait, chargers])
        finally:
            self._poll_proxies.put(proxy)

    def _execute_on(self, channel: str, method: str, args: list[Any]) -> Any:
        """``_execute`` on a named connection of its own (made on first use)."""
        with self._channels_lock:
            if channel not in self._channels:
                self._channels[channel] = (threading.Lock(), self._proxy("object"))
            lock, proxy = self._channels[channel]
        with lock:
            return self._call_on(proxy, method, args)

    def _ask(self, args: list[Any]) -> Any:
        return self._pooled(self._ask_proxies, "authorize", args)

    def _ingest(self, events: list[dict[str, Any]]) -> Any:
        # One proxy is free: there are as many ingest threads as proxies.
        return self._pooled(self._ingest_proxies, "ingest", [events])

    def _pooled(self, pool: queue.SimpleQueue, method: str, args: list[Any]) -> Any:
        proxy = pool.get()  # waits for a free one
        try:
            return self._call_on(proxy, method, args)
        finally:
            pool.put(proxy)

    async def call(self, model: str, method: str, args: list[Any]) -> Any:
        """``<model>.<method>(*args)`` as the bridge's user: the node's own calls
        (heartbeat, NGINX configuration, recipes; see node.py)."""
        return await asyncio.to_thread(self._execute, method, args, model=model)

    def _execute(
        self,
        method: str,
        args: list[Any],
        *,
        frames: bool = False,
        model: str = API_MODEL,
    ) -> Any:
        """``<model>.<method>(*args)`` as the bridge's user, in a worker thread;
        ``model`` is the bridge API unless told otherwise."""
        lock, proxy = (self._lock, self._object)
        if frames:
            lock, proxy = (self._frames_lock, self._frames_object)
        with lock:
            return self._call_on(proxy, method, args, model)

    def _call_on(
        self, proxy: xmlrpc.client.ServerProxy, method: str, args: list[Any], model: str = API_MODEL
    ) -> Any:
        """``<model>.<method>(*args)`` on ``proxy`` as the bridge's user (blocking; the
        caller makes sure no other thread uses the proxy meanwhile)."""
        try:
            uid = self._authenticate()
            return proxy.execute_kw(self.db, uid, self._api_key, model, method, args)
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


def _ids(answer: Any) -> list[int]:
    if not isinstance(answer, list) or not all(
        isinstance(i, int) and not isinstance(i, bool) for i in answer
    ):
        raise OdooError(f"{API_MODEL} answered {answer!r}, not a list of command ids")
    return answer


async def _in_daemon_thread(function: Any, *args: Any) -> Any:
    """``function(*args)`` in a daemon thread of its own; its result, awaited."""
    loop = asyncio.get_running_loop()
    future = loop.create_future()

    def settle(result: Any, error: BaseException | None) -> None:
        if future.done():  # cancelled meanwhile
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)

    def run() -> None:
        result, error = None, None
        try:
            result = function(*args)
        except BaseException as raised:
            error = raised
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            loop.call_soon_threadsafe(settle, result, error)

    threading.Thread(target=run, name="odoo-commands", daemon=True).start()
    return await future
