"""Real parts for end-to-end tests: PostgreSQL, an Odoo 18 server with the
addons installed on a fresh database, and the bridge started by its own CLI;
and what command tests share: staff at the back office, a booted simulated
charger, waiting for a command's answer."""

import asyncio
import uuid
import xmlrpc.client

import pytest

from arthexis_bridge.simulator import SimulatedCharger
from tests.harness import odoo as harness
from tests.harness import postgres
from tests.harness.site import BridgeProcess, OdooServer
from tests.harness.wait import wait_for

FOUND, REASON = harness.find()
LOGS = harness.REPO / "var" / "test-logs"


@pytest.fixture(scope="session")
def pg():
    if not FOUND:
        pytest.skip(REASON)
    server = postgres.find_or_start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def odoo(pg):
    """An Odoo server on a fresh database with every Arthexis addon installed."""
    server = OdooServer(FOUND, pg, LOGS, "e2e")
    try:
        problems = server.install()
        assert not problems, "installing the addons logged:\n" + "\n".join(problems)
        server.start()
        yield server
    finally:
        server.drop()


@pytest.fixture
def bridge_login(odoo):
    """A node made in Odoo by an administrator, and the API key it generated."""
    return odoo.bridge_login()


@pytest.fixture
def bridge(odoo, bridge_login, tmp_path):
    _node_id, login, key = bridge_login
    process = BridgeProcess(
        tmp_path / "bridge-data", LOGS / "e2e-bridge.log", odoo.bridge_env(login, key)
    )
    process.start()
    yield process
    process.stop()


TIMEOUT = 2  # the command bridge's command_timeout: a charger that never answers, quickly
FINAL = ("accepted", "rejected", "failed", "timed_out", "expired", "cancelled")


@pytest.fixture(scope="module")
def command_bridge(odoo, tmp_path_factory):
    """One bridge for a module's command tests (each test has its own charger)."""
    _node_id, login, key = odoo.bridge_login()
    settings = odoo.bridge_env(login, key)
    settings["ARTHEXIS_BRIDGE_COMMAND_TIMEOUT"] = str(TIMEOUT)
    process = BridgeProcess(
        tmp_path_factory.mktemp("bridge-data"), LOGS / "e2e-commands-bridge.log", settings
    )
    process.start()
    yield process
    process.stop()


class Staff:
    """A charging manager signed in to the back office: calls what the buttons call."""

    def __init__(self, odoo):
        self.odoo = odoo
        self.uid, self.login = odoo.staff_login()

    def call(self, model, method, *args, **kwargs):
        models = xmlrpc.client.ServerProxy(f"{self.odoo.url}/xmlrpc/2/object", allow_none=True)
        return models.execute_kw(
            self.odoo.db, self.uid, self.login, model, method, list(args), kwargs
        )

    def press(self, model, button, record_id):
        """Press a form button (buttons answer True, so XML-RPC can carry them)."""
        return self.call(model, button, [record_id])

    def send(self, charger_id, action, **values):
        """Fill the command wizard and press Send."""
        wizard = self.call(
            "ocpp.command.wizard",
            "create",
            {"charger_id": charger_id, "action": action, **values},
        )
        self.call("ocpp.command.wizard", "action_send", [wizard])
        return self.last(charger_id, action)

    def last(self, charger_id, action):
        """The newest command of an action on a charger (what a button just queued)."""
        [command] = self.call(
            "ocpp.command",
            "search",
            [("charger_id", "=", charger_id), ("action", "=", action)],
            limit=1,
            order="id desc",
        )
        return command


@pytest.fixture(scope="module")
def staff(odoo):
    return Staff(odoo)


def charger_id(odoo, cp_id):
    ids = odoo.call("ocpp.charger", "search", [("charge_point_id", "=", cp_id)])
    return ids[0] if ids else None


def settled(odoo, command_id):
    """The command's outcome once it is final, else None (for ``until``)."""
    [row] = odoo.call(
        "ocpp.command",
        "read",
        [command_id],
        ["state", "response", "response_status", "error", "sent_at"],
    )
    return row if row["state"] in FINAL else None


async def until(condition, within, what):
    return await asyncio.to_thread(wait_for, condition, within, what)


async def booted(bridge, odoo, connectors=2):
    """A simulated charger connected and booted, and its record in Odoo."""
    cp_id = f"CMD-{uuid.uuid4().hex[:6]}"
    charger = SimulatedCharger(bridge.url, cp_id, connectors=connectors)
    await charger.connect()
    await charger.boot()
    for connector in range(1, connectors + 1):
        await charger.status(connector, "Available")
    record = await until(lambda: charger_id(odoo, cp_id), 30, "the charger in Odoo")
    return charger, record
