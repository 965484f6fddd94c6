"""Real running parts for end-to-end tests and benchmarks: an Odoo server on its
own fresh database, and the bridge started by its own CLI."""

import os
import shutil
import socket
import subprocess
import sys
import uuid
import xmlrpc.client
from pathlib import Path

from . import odoo as harness
from .wait import wait_for


class OdooServer:
    """An Odoo HTTP server on a fresh database, which callers may stop and start again."""

    def __init__(self, found, pg, logs, name, modules=None, workers=0):
        self.found, self.pg, self.logs, self.name = found, pg, logs, name
        self.workers = workers
        self.db = f"arthexis_{name}_{uuid.uuid4().hex[:8]}"
        self.port = harness.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.modules = modules
        self.proc = None

    def install(self):
        """Create the database with the addons; return the install log's warnings and errors."""
        self.logs.mkdir(parents=True, exist_ok=True)
        return self.found.install(
            self.db, self.pg, self.logs / f"{self.name}-odoo-install.log", self.modules
        )

    def start(self):
        self.proc = self.found.serve(
            self.db,
            self.port,
            self.pg,
            self.logs / f"{self.name}-odoo-server.log",
            workers=self.workers,
        )

    def stop(self):
        harness.stop_server(self.proc)
        self.proc = None

    def drop(self):
        if self.proc:
            self.stop()
        self.pg.dropdb(self.db)

    def call(self, model, method, *args, **kwargs):
        """execute_kw as the admin user, as staff would through the back office."""
        common = xmlrpc.client.ServerProxy(f"{self.url}/xmlrpc/2/common")
        uid = common.authenticate(self.db, "admin", "admin", {})
        models = xmlrpc.client.ServerProxy(f"{self.url}/xmlrpc/2/object", allow_none=True)
        return models.execute_kw(self.db, uid, "admin", model, method, list(args), kwargs)

    def staff_login(self, group="arthexis_nodes.group_charging_manager"):
        """(uid, login): a back-office user of ``group``, made for the run; the
        password is the login."""
        login = f"staff-{uuid.uuid4().hex[:6]}"
        module, name = group.split(".")
        [data] = self.call(
            "ir.model.data",
            "search_read",
            [("module", "=", module), ("name", "=", name)],
            fields=["res_id"],
        )
        self.call(
            "res.users",
            "create",
            {"name": login, "login": login, "password": login, "groups_id": [(4, data["res_id"])]},
        )
        common = xmlrpc.client.ServerProxy(f"{self.url}/xmlrpc/2/common")
        return common.authenticate(self.db, login, login, {}), login

    def bridge_login(self, name=None):
        """(node id, login, API key): a node made by an administrator, with its key."""
        node_id = self.call(
            "arthexis.node", "create", {"name": name or f"edge {uuid.uuid4().hex[:6]}"}
        )
        action = self.call("arthexis.node", "action_generate_api_key", [node_id])
        [shown] = self.call("arthexis.node.api.key", "read", [action["res_id"]], ["login", "key"])
        return node_id, shown["login"], shown["key"]

    def bridge_env(self, login, key):
        """The ARTHEXIS_BRIDGE_ODOO_* settings of a bridge syncing to this server."""
        return {
            "ARTHEXIS_BRIDGE_ODOO_URL": self.url,
            "ARTHEXIS_BRIDGE_ODOO_DB": self.db,
            "ARTHEXIS_BRIDGE_ODOO_LOGIN": login,
            "ARTHEXIS_BRIDGE_ODOO_API_KEY": key,
        }


class BridgeProcess:
    """`arthexis-bridge run`, started the way an installer's unit starts it.

    Standalone unless ``settings`` holds the Odoo ones; the rest of the
    environment's ARTHEXIS_BRIDGE_* settings are left out.
    """

    def __init__(self, data_dir, log_path, settings=None):
        self.data_dir, self.log_path = data_dir, log_path
        self.port = harness.free_port()
        self.url = f"ws://127.0.0.1:{self.port}/ocpp"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("ARTHEXIS_BRIDGE_")}
        self.env.update(
            ARTHEXIS_BRIDGE_HOST="127.0.0.1",
            ARTHEXIS_BRIDGE_PORT=str(self.port),
            ARTHEXIS_BRIDGE_DATA_DIR=str(data_dir),
            **(settings or {}),
        )
        self.exe = shutil.which("arthexis-bridge", path=str(Path(sys.executable).parent))
        self.proc = None

    def start(self, *options):
        log = open(self.log_path, "a")  # closed when the process stops
        self.proc = subprocess.Popen(
            [self.exe, "run", *options], env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        self.proc.log = log
        wait_for(self._listening, 30, "the bridge to listen")

    def _listening(self):
        assert self.proc.poll() is None, f"the bridge exited; see {self.log_path}"
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
            return True
        except OSError:
            return False

    def cli(self, *args):
        """Run another arthexis-bridge command on this bridge's settings and data."""
        return subprocess.run(
            [self.exe, *args], env=self.env, check=True, capture_output=True, text=True
        )

    def stop(self):
        self.proc.terminate()
        self.proc.wait(60)
        self.proc.log.close()

    def kill(self):
        """SIGKILL: no shutdown, no flush, as when power is cut or the OOM killer strikes."""
        self.proc.kill()
        self.proc.wait(30)
        self.proc.log.close()
