"""scripts/start.sh and stop.sh: a Terminal node runs the bridge from the checkout."""

import os
import socket
import subprocess
from pathlib import Path

from arthexis_bridge.simulator import SimulatedCharger

from .helpers import eventually

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def script(name, env):
    return subprocess.run(
        [str(SCRIPTS / name)], env=env, capture_output=True, text=True, timeout=60, check=False
    )


async def test_start_runs_the_bridge_in_the_background_and_stop_stops_it(tmp_path):
    data, port = tmp_path / "data", free_port()
    env = {
        **os.environ,
        "ARTHEXIS_BRIDGE_DATA_DIR": str(data),
        "ARTHEXIS_BRIDGE_HOST": "127.0.0.1",
        "ARTHEXIS_BRIDGE_PORT": str(port),
    }
    started = script("start.sh", env)
    try:
        assert started.returncode == 0, started.stderr
        pid = int((data / "bridge.pid").read_text())
        assert f"bridge started: pid {pid}, log {data / 'bridge.log'}" in started.stdout
        os.kill(pid, 0)  # running

        async def boots():
            try:
                async with SimulatedCharger(f"ws://127.0.0.1:{port}/ocpp", "CP-1") as charger:
                    return (await charger.boot()).status == "Accepted"
            except OSError:
                return False

        await eventually(boots, within=20, what="the bridge to answer a charger")
        again = script("start.sh", env)
        assert again.returncode == 1
        assert f"the bridge already runs (pid {pid})" in again.stderr
    finally:
        stopped = script("stop.sh", env)
    assert stopped.returncode == 0, stopped.stderr
    assert f"bridge stopped (pid {pid})" in stopped.stdout
    assert not (data / "bridge.pid").exists()
    log = (data / "bridge.log").read_text()
    assert f"listening for chargers on ws://127.0.0.1:{port}/ocpp/" in log
    assert "stopped" in log.splitlines()[-1]
    assert "not running" in script("stop.sh", env).stdout


def test_start_says_why_the_bridge_could_not_start(tmp_path):
    env = {
        **os.environ,
        "ARTHEXIS_BRIDGE_DATA_DIR": str(tmp_path / "data"),
        "ARTHEXIS_BRIDGE_ODOO_URL": "http://odoo.example.com",  # the other three are missing
    }
    result = script("start.sh", env)
    assert result.returncode != 0
    assert "Odoo is only partly configured" in result.stderr
    assert not (tmp_path / "data" / "bridge.pid").exists()
