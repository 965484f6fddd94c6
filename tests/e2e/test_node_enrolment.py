"""A node enrols with a one-time token, heartbeats, and fetches its NGINX
configuration and recipes: the bridge's CLI against a real Odoo."""

import asyncio
import os
import shutil
import stat
import subprocess
import sys
import uuid
from pathlib import Path

from arthexis_bridge.settings import load_settings
from arthexis_bridge.simulator import SimulatedCharger
from tests.e2e.conftest import FOUND
from tests.harness import odoo as harness
from tests.harness.site import BridgeProcess, OdooServer
from tests.harness.wait import wait_for

LOGS = harness.REPO / "var" / "test-logs"
EXE = shutil.which("arthexis-bridge", path=str(Path(sys.executable).parent))
NODE_FIELDS = [
    "last_seen",
    "is_online",
    "software_version",
    "hostname",
    "connected_chargers",
    "outbox_depth",
    "user_id",
    "nginx_config",
]


def cli(*args):
    """arthexis-bridge with no ARTHEXIS_BRIDGE_* setting but the ones the file holds."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARTHEXIS_BRIDGE_")}
    return subprocess.run([EXE, *args], env=env, capture_output=True, text=True, timeout=120)


def new_node(odoo, **values):
    """A node made by an administrator, and the enrolment token its form showed."""
    values = {"name": f"edge {uuid.uuid4().hex[:6]}", **values}
    node_id = odoo.call("arthexis.node", "create", values)
    action = odoo.call("arthexis.node", "action_create_enrolment_token", [node_id])
    [shown] = odoo.call(action["res_model"], "read", [action["res_id"]], ["token"])
    return node_id, shown["token"]


def enrol(odoo, token, config):
    return cli("enrol", "--odoo-url", odoo.url, "--token", token, "--config", str(config))


def read_node(odoo, node_id):
    [row] = odoo.call("arthexis.node", "read", [node_id], NODE_FIELDS)
    return row


async def test_an_enrolled_bridge_heartbeats_its_health_into_odoo(odoo, tmp_path):
    node_id, token = new_node(odoo)
    config = tmp_path / "bridge.toml"

    enrolled = enrol(odoo, token, config)

    assert enrolled.returncode == 0, enrolled.stderr
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert read_node(odoo, node_id)["user_id"], "the node got its own bridge user"

    bridge = BridgeProcess(
        tmp_path / "data",
        LOGS / "e2e-node-bridge.log",
        {"ARTHEXIS_BRIDGE_NODE_HEARTBEAT": "1"},
    )
    bridge.start("--config", str(config))
    try:
        async with SimulatedCharger(bridge.url, f"E2E-{uuid.uuid4().hex[:6]}") as charger:
            await charger.boot()

            def reported():
                row = read_node(odoo, node_id)
                return row if row["connected_chargers"] == 1 else None

            row = await asyncio.to_thread(
                wait_for, reported, 30, "a heartbeat counting the connected charger"
            )
    finally:
        bridge.stop()
    assert row["is_online"]
    assert row["last_seen"]
    assert row["software_version"]
    assert row["hostname"]
    assert row["outbox_depth"] >= 0


def test_a_used_token_is_refused_and_the_settings_are_left_alone(odoo, tmp_path):
    _node_id, token = new_node(odoo)
    first, second = tmp_path / "first.toml", tmp_path / "second.toml"
    assert enrol(odoo, token, first).returncode == 0
    second.write_text("port = 9100\n")

    again = enrol(odoo, token, second)

    assert again.returncode == 1
    assert "used already" in again.stderr
    assert second.read_text() == "port = 9100\n"
    wrong = enrol(odoo, "made-up", second)
    assert wrong.returncode == 1
    assert "not valid" in wrong.stderr


def test_on_an_odoo_serving_several_databases_the_node_enrols_into_the_one_named(
    odoo, pg, tmp_path
):
    other = OdooServer(FOUND, pg, LOGS, "e2e-other", modules=["arthexis_nodes"])
    assert not other.install()
    port = harness.free_port()
    url = f"http://127.0.0.1:{port}"
    server = FOUND.serve([other.db, odoo.db], port, pg, LOGS / "e2e-multidb-odoo-server.log")
    try:
        node_id, token = new_node(odoo)
        config = tmp_path / "bridge.toml"
        unnamed = cli("enrol", "--odoo-url", url, "--token", token, "--config", str(config))
        assert unnamed.returncode == 1
        assert "--odoo-db" in unnamed.stderr  # Odoo cannot tell which: the bridge says how
        assert not config.exists()

        named = cli(
            "enrol", "--odoo-url", url, "--odoo-db", odoo.db, "--token", token,
            "--config", str(config),
        )  # fmt: skip
        assert named.returncode == 0, named.stderr
        assert load_settings(config, environ={}).odoo.db == odoo.db
        assert read_node(odoo, node_id)["user_id"]
    finally:
        harness.stop_server(server)
        other.drop()


def test_the_bridge_writes_its_nginx_config_and_runs_its_recipes(odoo, tmp_path):
    template_id = odoo.call(
        "arthexis.nginx.template", "create", {"name": "E2E", "fallback_servers": "10.0.0.2:9000"}
    )
    node_id, token = new_node(odoo, nginx_template_id=template_id, recipes_enabled=True)
    config = tmp_path / "bridge.toml"
    assert enrol(odoo, token, config).returncode == 0

    output = tmp_path / "arthexis.conf"
    written = cli("nginx", "--config", str(config), "--output", str(output))
    assert written.returncode == 0, written.stderr
    assert output.read_text() == read_node(odoo, node_id)["nginx_config"]
    assert "server 10.0.0.2:9000 backup;" in output.read_text()

    name = f"recipe {uuid.uuid4().hex[:6]}"
    odoo.call(
        "arthexis.recipe",
        "create",
        {"name": name, "script": "echo hello\nexit 4\necho never", "node_ids": [(6, 0, [node_id])]},
    )
    ran = cli("recipe", "run", name, "--config", str(config))
    assert ran.returncode == 4, ran.stderr
    [run] = odoo.call(
        "arthexis.recipe.run",
        "search_read",
        [("recipe_id.name", "=", name)],
        fields=["node_id", "exit_code", "output", "state"],
    )
    assert run["node_id"][0] == node_id
    assert (run["exit_code"], run["state"]) == (4, "failed")
    assert run["output"] == "$ echo hello\nhello\n$ exit 4\n"

    odoo.call("arthexis.node", "write", [node_id], {"recipes_enabled": False})
    refused = cli("recipe", "run", name, "--config", str(config))
    assert refused.returncode == 1
    assert "does not enable recipes" in refused.stderr
