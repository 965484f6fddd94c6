"""Real parts for end-to-end tests: PostgreSQL, an Odoo 18 server with the
addons installed on a fresh database, and the bridge started by its own CLI."""

import pytest

from tests.harness import odoo as harness
from tests.harness import postgres
from tests.harness.site import BridgeProcess, OdooServer

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
