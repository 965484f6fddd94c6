"""The node's own dealings with Odoo: enrolment, heartbeats, its NGINX configuration.

Enrolment trades a one-time token made on the node in Odoo for the node's own
bridge login and API key (``POST /arthexis/node/enrol``), and writes them into
the settings file, so no shared password ever sits on an edge device. Once
enrolled, :class:`NodeHeartbeat` tells Odoo every ``node.heartbeat`` seconds
that the node is alive, with its version and health (connected chargers,
outbox depth, sync lag: the figures /metrics serves), which keeps the node
online on Odoo's dashboard.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import tomllib
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

from . import __version__
from .install import dump_toml
from .odoo_client import OdooError
from .settings import SettingsError, load_settings
from .state import State
from .sync import Backoff, Refresh

logger = logging.getLogger(__name__)

ENROL_PATH = "/arthexis/node/enrol"
NODE_MODEL = "arthexis.node"
DEFAULT_CONFIG = "~/.config/arthexis-bridge/bridge.toml"


class EnrolError(Exception):
    """Enrolment failed; the message says why and what to do."""


def enrol(
    url: str,
    token: str,
    info: dict[str, Any],
    *,
    db: str | None = None,
    timeout: float = 30,
) -> dict[str, Any]:
    """Exchange ``token`` at the Odoo at ``url`` for the node's login and API key.

    ``info`` tells Odoo about the node (hostname, port, version, role). ``db``
    picks the database on an Odoo serving several. Returns Odoo's answer:
    {database, login, api_key, node_id, name, role}. Raises EnrolError.
    """
    url = url.rstrip("/")
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    try:
        if db:
            # Odoo keeps the chosen database in the session: /web?db= sets it.
            query = urllib.parse.urlencode({"db": db})
            opener.open(f"{url}/web/login?{query}", timeout=timeout).close()
        request = urllib.request.Request(
            url + ENROL_PATH,
            data=json.dumps({"token": token, **info}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with opener.open(request, timeout=timeout) as response:
            answer = json.loads(response.read())
    except urllib.error.HTTPError as error:
        raise EnrolError(_refusal(url, error)) from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise EnrolError(f"cannot reach Odoo at {url}: {reason}") from None
    except ValueError:
        raise EnrolError(f"Odoo at {url} did not answer the enrolment with JSON") from None
    keys = ("database", "login", "api_key")
    if not isinstance(answer, dict) or not all(isinstance(answer.get(k), str) for k in keys):
        raise EnrolError(f"Odoo at {url} answered the enrolment without a login and key")
    return answer


def _refusal(url: str, error: urllib.error.HTTPError) -> str:
    try:
        reason = json.loads(error.read()).get("error")
    except (ValueError, AttributeError, OSError):
        reason = None
    if error.code == 404:
        return (
            f"Odoo at {url} has no enrolment page ({ENROL_PATH}): is arthexis_nodes installed, "
            "and does the URL (or --odoo-db) pick the right database?"
        )
    if error.code == 403:
        return f"Odoo refused the enrolment token: {reason or 'forbidden'}"
    return f"Odoo answered HTTP {error.code} to the enrolment: {reason or error.reason}"


def write_odoo_settings(path: Path, url: str, answer: dict[str, Any]) -> None:
    """Put the [odoo] settings Odoo gave into the TOML file at ``path``, keeping the
    rest and dropping the used enrolment token.

    The file holds an API key: a new one is made 0600; an existing one keeps
    its owner and at most its group's read right (the installer's 0640 lets the
    service read it), never anyone else's. Raises EnrolError.
    """
    table: dict[str, Any] = {}
    mode = 0o600
    owner = None
    if path.exists():
        try:
            with path.open("rb") as file:
                table = tomllib.load(file)
            stat = path.stat()
        except (OSError, tomllib.TOMLDecodeError) as error:
            raise EnrolError(f"cannot read the settings file {path}: {error}") from None
        mode = (stat.st_mode & 0o640) | 0o600
        owner = (stat.st_uid, stat.st_gid)
    table["odoo"] = {
        "url": url.rstrip("/"),
        "db": answer["database"],
        "login": answer["login"],
        "api_key": answer["api_key"],
    }
    enrolment = table.get("enrol")
    if isinstance(enrolment, dict):
        enrolment.pop("token", None)  # used: Odoo refuses it from now on
        if not enrolment:
            del table["enrol"]
    tmp = path.with_name(f".{path.name}.enrol")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as file:
            file.write(dump_toml(table))
        os.chmod(tmp, mode)
        if owner is not None and os.geteuid() == 0:
            os.chown(tmp, *owner)
        os.replace(tmp, path)
    except OSError as error:
        tmp.unlink(missing_ok=True)
        raise EnrolError(f"cannot write the settings file {path}: {error}") from None
    try:
        load_settings(path, environ={})
    except SettingsError as error:
        raise EnrolError(f"the settings file {path} is invalid after enrolment: {error}") from None


def local_address(url: str) -> str | None:
    """The address this machine reaches ``url`` from (no packet is sent); blocks on DNS."""
    parts = urllib.parse.urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        family, kind, proto, _name, target = socket.getaddrinfo(
            parts.hostname, port, type=socket.SOCK_DGRAM
        )[0]
        with socket.socket(family, kind, proto) as probe:
            probe.connect(target)
            return probe.getsockname()[0]
    except (OSError, IndexError):
        return None


class NodeHeartbeat(Refresh):
    """Tells Odoo the node is alive, with its health, every ``interval`` seconds.

    ``health`` returns the figures to report; Odoo answers with the node's
    settings (name, role, upgrade channel, recipes enabled), kept in ``node``.
    """

    what = "node heartbeat"

    def __init__(
        self,
        state: State,
        client: Any,
        health: Callable[[], dict[str, Any]],
        *,
        url: str | None = None,
        interval: float = 60.0,
        backoff: Backoff | None = None,
    ) -> None:
        super().__init__(state, client, interval=interval, backoff=backoff)
        self._health = health
        self._url = url
        self._address: str | None = None
        #: What Odoo answered to the last heartbeat.
        self.node: dict[str, Any] | None = None

    async def refresh(self) -> dict[str, Any]:
        health = {"version": __version__, "hostname": socket.gethostname(), **self._health()}
        if self._url and self._address is None:
            self._address = await asyncio.to_thread(local_address, self._url)
        if self._address:
            health["addresses"] = [self._address]
        answer = await self._client.call(NODE_MODEL, "bridge_heartbeat", [health])
        if not isinstance(answer, dict):
            raise OdooError(f"{NODE_MODEL}.bridge_heartbeat answered {answer!r}, not a struct")
        if self.node is None:
            logger.info(
                "node %s (%s) in Odoo: heartbeat every %d s",
                answer.get("name"),
                answer.get("role"),
                self._interval,
            )
        self.node = answer
        self.refreshed += 1
        return answer


def heartbeat_for(bridge: Any) -> NodeHeartbeat | None:
    """The heartbeat task of ``bridge`` (an app.Bridge), or None without Odoo, or with a
    client that cannot make node calls (tests' fakes)."""
    client = bridge.odoo_client
    if client is None or not hasattr(client, "call"):
        return None

    def health() -> dict[str, Any]:
        return {
            "connected_chargers": len(bridge.server.chargers),
            "outbox_depth": bridge.outbox.size,
            "sync_lag_seconds": float(bridge._sync_lag()),
        }

    odoo = bridge.settings.odoo
    return NodeHeartbeat(
        bridge.state,
        client,
        health,
        url=odoo.url if odoo is not None else None,
        interval=bridge.settings.node_heartbeat,
    )


async def nginx_config(client: Any) -> str:
    """The NGINX configuration Odoo renders for this node."""
    text = await client.call(NODE_MODEL, "bridge_nginx_config", [])
    if not isinstance(text, str):
        raise OdooError(f"{NODE_MODEL}.bridge_nginx_config answered {type(text).__name__}")
    return text
