"""The node's side of enrolment, heartbeats, NGINX and recipes (node.py, recipes.py).

These run without Odoo: the bridge talks to an in-test client, and enrolment to
a throwaway HTTP server that answers as Odoo's enrolment page does. The same
flows against a real Odoo are in the repository's tests/e2e/test_node_enrolment.py.
"""

import dataclasses
import io
import json
import os
import stat
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from arthexis_bridge import cli, node, recipes
from arthexis_bridge.app import Bridge
from arthexis_bridge.settings import load_settings
from arthexis_bridge.simulator import SimulatedCharger

from .helpers import QuietOdoo, eventually


class NodeOdoo(QuietOdoo):
    """Records the node calls; fails the first ``failures`` of them."""

    def __init__(self, failures=0):
        self.calls = []
        self.failures = failures

    async def call(self, model, method, args):
        if self.failures:
            self.failures -= 1
            raise ConnectionRefusedError("Odoo is away")
        self.calls.append((model, method, args))
        return {"node_id": 7, "name": "Garage edge", "role": "satellite"}

    def heartbeats(self):
        return [args[0] for model, method, args in self.calls if method == "bridge_heartbeat"]


@pytest.fixture
def node_settings(settings):
    return dataclasses.replace(settings, node_heartbeat=1)


async def test_heartbeats_report_the_bridges_health(node_settings):
    odoo = NodeOdoo()
    async with Bridge(node_settings, odoo_client=odoo) as bridge:
        first = await eventually(odoo.heartbeats, what="a heartbeat")
        assert first[0]["connected_chargers"] == 0
        assert first[0]["outbox_depth"] == 0
        assert first[0]["sync_lag_seconds"] == 0
        assert first[0]["version"]
        assert first[0]["hostname"]
        url = f"ws://127.0.0.1:{bridge.port}/ocpp"
        async with SimulatedCharger(url, "CP-NODE-1") as charger:
            await charger.boot()
            await eventually(
                lambda: odoo.heartbeats()[-1]["connected_chargers"] == 1,
                within=5,
                what="a heartbeat counting the connected charger",
            )
        assert bridge.node_heartbeat.node["name"] == "Garage edge"


async def test_heartbeats_go_on_after_odoo_was_away(node_settings):
    odoo = NodeOdoo(failures=2)
    async with Bridge(node_settings, odoo_client=odoo) as bridge:
        await eventually(odoo.heartbeats, within=10, what="a heartbeat once Odoo is back")
        assert bridge.node_heartbeat.failures == 2


async def test_a_standalone_bridge_sends_no_heartbeat(settings):
    async with Bridge(settings) as bridge:
        assert bridge.node_heartbeat is None


# --- enrolment -------------------------------------------------------------------------


class EnrolPage(BaseHTTPRequestHandler):
    """Answers POST /arthexis/node/enrol as Odoo does: 403 for a token it refuses."""

    good = "good-token"
    seen: list = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.seen.append(body)
        if self.path != node.ENROL_PATH:
            status, answer = 404, {}
        elif body.get("token") == self.good:
            status = 200
            answer = {"database": "arthexis", "login": "bridge-7", "api_key": "k" * 40}
            answer |= {"node_id": 7, "name": "Garage edge", "role": "satellite"}
        else:
            status, answer = 403, {"error": "This enrolment token was used already."}
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def enrol_url():
    server = HTTPServer(("127.0.0.1", 0), EnrolPage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_enrol_writes_the_odoo_settings_into_a_private_file(enrol_url, tmp_path, capsys):
    config = tmp_path / "etc" / "bridge.toml"
    code = cli.main(
        ["enrol", "--odoo-url", enrol_url, "--token", "good-token", "--config", str(config)]
    )
    assert code == 0, capsys.readouterr().err
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    odoo = load_settings(config, environ={}).odoo
    assert (odoo.url, odoo.db, odoo.login, odoo.api_key) == (
        enrol_url,
        "arthexis",
        "bridge-7",
        "k" * 40,
    )
    sent = EnrolPage.seen[-1]
    assert sent["token"] == "good-token"
    assert sent["port"] == 9000 and sent["version"] and sent["hostname"]
    assert "enrolled as node 'Garage edge'" in capsys.readouterr().out


def test_enrol_keeps_the_installers_settings_and_drops_the_used_token(enrol_url, tmp_path):
    config = tmp_path / "bridge.toml"
    config.write_text(
        f'port = 9100\n[enrol]\nrole = "control"\nurl = "{enrol_url}"\ntoken = "good-token"\n'
        '[hardware]\nlcd = "fake"\n'
    )
    config.chmod(0o640)
    assert cli.main(["enrol", "--config", str(config)]) == 0
    settings = load_settings(config, environ={})
    assert settings.port == 9100 and settings.lcd == "fake"
    assert settings.enrol_role == "control" and settings.enrol_token is None
    assert settings.odoo.login == "bridge-7"
    assert stat.S_IMODE(config.stat().st_mode) == 0o640, "the service's group still reads it"
    assert EnrolPage.seen[-1]["role"] == "control"
    assert EnrolPage.seen[-1]["port"] == 9100


def test_a_refused_token_is_reported_and_writes_nothing(enrol_url, tmp_path, capsys):
    config = tmp_path / "bridge.toml"
    code = cli.main(["enrol", "--odoo-url", enrol_url, "--token", "used", "--config", str(config)])
    assert code == 1
    assert "refused the enrolment token: This enrolment token was used already" in (
        capsys.readouterr().err
    )
    assert not config.exists()


def test_enrol_says_when_odoo_cannot_be_reached(tmp_path):
    with pytest.raises(node.EnrolError, match="cannot reach Odoo"):
        node.enrol("http://127.0.0.1:9", "token", {})


def test_enrol_needs_a_url_and_a_token(tmp_path, capsys):
    assert cli.main(["enrol", "--config", str(tmp_path / "none.toml")]) == 2
    assert "give --odoo-url and --token" in capsys.readouterr().err


def test_nginx_and_recipes_need_odoo_configured(settings, tmp_path, capsys, monkeypatch):
    for name in [k for k in os.environ if k.startswith("ARTHEXIS_BRIDGE_")]:
        monkeypatch.delenv(name)
    assert cli.main(["nginx"]) == 2
    assert "enrol first" in capsys.readouterr().err
    assert cli.main(["recipe", "run", "x"]) == 2


# --- recipes ---------------------------------------------------------------------------


def test_a_recipe_runs_its_steps_in_order_and_stops_at_the_first_failure(tmp_path):
    mark = tmp_path / "ran"
    recipe = {
        "id": 3,
        "name": "Check",
        "steps": ["echo first", "echo oops >&2; exit 3", f"touch {mark}"],
    }
    echo = io.StringIO()
    run = recipes.run_steps(recipe, echo=echo)
    assert run.exit_code == 3
    assert run.steps_run == 2
    assert not mark.exists(), "the step after the failure did not run"
    report = run.report()
    assert report["output"] == "$ echo first\nfirst\n$ echo oops >&2; exit 3\noops\n"
    assert echo.getvalue() == report["output"]
    assert report["started_at"] <= report["finished_at"]


def test_a_multi_line_step_runs_as_one_command():
    recipe = {"id": 1, "name": "Join", "steps": ["printf '%s-' a \\\n    b"]}
    run = recipes.run_steps(recipe, echo=None)
    assert run.exit_code == 0
    assert run.output[-1] == "a-b-"


async def test_run_and_report_sends_the_output_to_odoo():
    class RecipeOdoo(QuietOdoo):
        reported = None

        async def call(self, model, method, args):
            if method == "bridge_recipes":
                return [{"id": 5, "name": "Hello", "steps": ["echo hello"]}]
            self.reported = args
            return 1

    odoo = RecipeOdoo()
    run = await recipes.run_and_report(odoo, "Hello", echo=None)
    assert run.exit_code == 0
    assert odoo.reported[0] == 5
    assert odoo.reported[1]["output"] == "$ echo hello\nhello\n"
    with pytest.raises(LookupError, match=r"no recipe 'Missing'.*Hello"):
        await recipes.run_and_report(odoo, "Missing", echo=None)
