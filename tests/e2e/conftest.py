"""Real parts for end-to-end tests: PostgreSQL, an Odoo 18 server with the
addons installed on a fresh database, and the bridge started by its own CLI."""

import os
import shutil
import socket
import subprocess
import sys
import uuid
import xmlrpc.client
from pathlib import Path

import pytest

from tests.harness import odoo as harness
from tests.harness import postgres
from tests.harness.wait import wait_for

FOUND, REASON = harness.find()
LOGS = harness.REPO / "var" / "test-logs"


class OdooServer:
    """One Odoo HTTP server on a fixed port, which tests may stop and start again."""

    def __init__(self, db, pg):
        self.db, self.pg = db, pg
        self.port = harness.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = None

    def start(self):
        self.proc = FOUND.serve(self.db, self.port, self.pg, LOGS / "e2e-odoo-server.log")

    def stop(self):
        harness.stop_server(self.proc)
        self.proc = None

    def call(self, model, method, *args, **kwargs):
        """execute_kw as the admin user, as staff would through the back office."""
        common = xmlrpc.client.ServerProxy(f"{self.url}/xmlrpc/2/common")
        uid = common.authenticate(self.db, "admin", "admin", {})
        models = xmlrpc.client.ServerProxy(f"{self.url}/xmlrpc/2/object", allow_none=True)
        return models.execute_kw(self.db, uid, "admin", model, method, list(args), kwargs)


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
    LOGS.mkdir(parents=True, exist_ok=True)
    db = f"arthexis_e2e_{uuid.uuid4().hex[:8]}"
    try:
        problems = FOUND.install(db, pg, LOGS / "e2e-odoo-install.log")
        assert not problems, "installing the addons logged:\n" + "\n".join(problems)
        server = OdooServer(db, pg)
        server.start()
        yield server
        if server.proc:
            server.stop()
    finally:
        pg.dropdb(db)


@pytest.fixture
def bridge_login(odoo):
    """A node made in Odoo by an administrator, and the API key it generated."""
    node_id = odoo.call("arthexis.node", "create", {"name": f"E2E edge {uuid.uuid4().hex[:6]}"})
    action = odoo.call("arthexis.node", "action_generate_api_key", [node_id])
    [shown] = odoo.call("arthexis.node.api.key", "read", [action["res_id"]], ["login", "key"])
    return node_id, shown["login"], shown["key"]


class BridgeProcess:
    """`arthexis-bridge run`, started the way an installer's unit starts it."""

    def __init__(self, data_dir, env):
        self.data_dir, self.env = data_dir, env
        self.port = harness.free_port()
        self.url = f"ws://127.0.0.1:{self.port}/ocpp"
        self.proc = None

    @property
    def _env(self):
        return {
            **self.env,
            "ARTHEXIS_BRIDGE_HOST": "127.0.0.1",
            "ARTHEXIS_BRIDGE_PORT": str(self.port),
            "ARTHEXIS_BRIDGE_DATA_DIR": str(self.data_dir),
        }

    @property
    def _exe(self):
        return shutil.which("arthexis-bridge", path=str(Path(sys.executable).parent))

    def start(self):
        log = open(LOGS / "e2e-bridge.log", "a")  # closed when the process stops
        self.proc = subprocess.Popen(
            [self._exe, "run"], env=self._env, stdout=log, stderr=subprocess.STDOUT
        )
        self.proc.log = log
        wait_for(self._listening, 30, "the bridge to listen")

    def cli(self, *args):
        """Run another arthexis-bridge command on this bridge's settings and data."""
        return subprocess.run(
            [self._exe, *args], env=self._env, check=True, capture_output=True, text=True
        )

    def kill(self):
        """SIGKILL: no shutdown, no flush, as when power is cut or the OOM killer strikes."""
        self.proc.kill()
        self.proc.wait(30)
        self.proc.log.close()

    def _listening(self):
        assert self.proc.poll() is None, "the bridge exited; see var/test-logs/e2e-bridge.log"
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
            return True
        except OSError:
            return False

    def stop(self):
        self.proc.terminate()
        self.proc.wait(30)
        self.proc.log.close()


@pytest.fixture
def bridge(odoo, bridge_login, tmp_path):
    _node_id, login, key = bridge_login
    env = {
        **os.environ,
        "ARTHEXIS_BRIDGE_ODOO_URL": odoo.url,
        "ARTHEXIS_BRIDGE_ODOO_DB": odoo.db,
        "ARTHEXIS_BRIDGE_ODOO_LOGIN": login,
        "ARTHEXIS_BRIDGE_ODOO_API_KEY": key,
    }
    process = BridgeProcess(tmp_path / "bridge-data", env)
    process.start()
    yield process
    process.stop()
