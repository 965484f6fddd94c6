"""The arthexis-bridge command, run as a user or a systemd unit runs it."""

import asyncio
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from arthexis_bridge.settings import OPTIONS

from .helpers import stored_events

EXECUTABLE = shutil.which("arthexis-bridge", path=str(Path(sys.executable).parent))


@pytest.fixture
def command():
    if EXECUTABLE is None:
        pytest.fail("arthexis-bridge is not installed: pip install -e 'edge_bridge[test]'")
    return EXECUTABLE


def clean_environment(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARTHEXIS_BRIDGE_")}
    return env | extra


def test_help_explains_every_setting_and_its_environment_variable(command):
    result = subprocess.run(
        [command, "--help"], capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 0
    assert "ARTHEXIS_BRIDGE_ODOO_URL" in result.stdout
    for option in OPTIONS:
        assert option.env in result.stdout
        assert option.key in result.stdout
    assert "simulate" in result.stdout and "run" in result.stdout


def test_run_with_a_bad_port_exits_2_saying_what_to_fix(command, tmp_path):
    env = clean_environment(ARTHEXIS_BRIDGE_PORT="90000", ARTHEXIS_BRIDGE_DATA_DIR=str(tmp_path))
    result = subprocess.run(
        [command, "run"], capture_output=True, text=True, env=env, timeout=30, check=False
    )
    assert result.returncode == 2
    assert "ARTHEXIS_BRIDGE_PORT is '90000'" in result.stderr
    assert "1 to 65535" in result.stderr
    assert "Traceback" not in result.stderr


def test_run_with_a_missing_config_file_exits_2(command, tmp_path):
    result = subprocess.run(
        [command, "run", "--config", str(tmp_path / "absent.toml")],
        capture_output=True,
        text=True,
        env=clean_environment(),
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert "absent.toml does not exist" in result.stderr


async def test_run_stops_gracefully_on_sigterm(command, tmp_path):
    env = clean_environment(
        ARTHEXIS_BRIDGE_HOST="127.0.0.1",
        ARTHEXIS_BRIDGE_PORT="0",
        ARTHEXIS_BRIDGE_DATA_DIR=str(tmp_path),
    )
    process = await asyncio.create_subprocess_exec(
        command, "run", env=env, stderr=asyncio.subprocess.PIPE
    )
    try:
        log = b""
        while b"standalone: no Odoo configured" not in log:
            line = await asyncio.wait_for(process.stderr.readline(), 15)
            assert line, f"the bridge exited early:\n{log.decode()}"
            log += line
        process.send_signal(signal.SIGTERM)
        rest = await asyncio.wait_for(process.stderr.read(), 15)
        assert await process.wait() == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert b"arthexis_bridge.app: stopped" in rest


async def test_simulate_runs_chargers_against_a_bridge(command, bridge, url, settings):
    process = await asyncio.create_subprocess_exec(
        command,
        "simulate",
        "--url",
        url,
        "--chargers",
        "2",
        "--connectors",
        "2",
        "--duration",
        "0.5",
        "--heartbeat",
        "0.2",
        "--prefix",
        "T-",
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, stderr.decode()
    events = stored_events(settings.outbox_path)
    boots = sorted(e["charger"] for e in events if e["kind"] == "boot")
    assert boots == ["T-0001", "T-0002"]
    assert sum(e["kind"] == "status" for e in events) == 4
    assert sum(e["kind"] == "heartbeat" for e in events) >= 2
    assert b"2 chargers, 0 failed" in stderr


async def test_simulate_exits_1_when_chargers_cannot_connect(command, bridge):
    process = await asyncio.create_subprocess_exec(
        command,
        "simulate",
        "--url",
        f"ws://127.0.0.1:{bridge.port}/nowhere",
        "--duration",
        "0",
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 1
    assert b"SIM-0001 failed" in stderr
