"""The arthexis-bridge command, run as a user or a systemd unit runs it."""

import asyncio
import dataclasses
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from arthexis_bridge import auth, chargers, passwords, state
from arthexis_bridge.app import Bridge
from arthexis_bridge.settings import OPTIONS
from arthexis_bridge.simulator import SimulatedCharger

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
    assert b"logger=arthexis_bridge.app event=stopped" in rest


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


async def run_command(command, *args, env=None):
    """Run the command without blocking the event loop the test bridge serves on."""
    process = await asyncio.create_subprocess_exec(
        command,
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 30)
    return process.returncode, stdout.decode(), stderr.decode()


async def test_tags_added_and_blocked_from_the_command_line_are_answered_by_a_running_bridge(
    command, bridge, url, settings, tmp_path
):
    env = clean_environment(ARTHEXIS_BRIDGE_DATA_DIR=str(settings.data_dir))
    config = tmp_path / "bridge.toml"
    config.write_text(f'data_dir = "{settings.data_dir}"\n')
    for args in [
        ("add", "CAFE01", "--expires", "2099-01-01T01:00:00+01:00", "--parent", "GROUP"),
        ("add", "OLD", "--expires", "2020-01-01T00:00:00Z"),
        ("block", "BAD1"),
    ]:
        returncode, _, stderr = await run_command(command, "tags", *args, env=env)
        assert returncode == 0, stderr
    returncode, listing, _ = await run_command(
        command, "tags", "list", "--config", str(config), env=clean_environment()
    )
    assert returncode == 0
    assert listing.splitlines() == [
        "id tag  status    expires                   parent",
        "BAD1    Blocked   -                         -",
        "CAFE01  Accepted  2099-01-01T00:00:00.000Z  GROUP",
        "OLD     Accepted  2020-01-01T00:00:00.000Z  -",
        "tags not listed: reject (unknown_tags)",
    ]
    async with SimulatedCharger(url, "CP-1") as charger:
        assert (await charger.authorize("cafe01")).id_tag_info == {
            "status": "Accepted",
            "parent_id_tag": "GROUP",
            "expiry_date": "2099-01-01T00:00:00.000Z",
        }
        assert (await charger.authorize("OLD")).id_tag_info["status"] == "Expired"
        assert (await charger.authorize("BAD1")).id_tag_info["status"] == "Blocked"
        assert (await charger.authorize("NOBODY")).id_tag_info["status"] == "Invalid"
        returncode, _, _ = await run_command(command, "tags", "block", "CAFE01", env=env)
        assert returncode == 0
        assert (await charger.authorize("CAFE01")).id_tag_info["status"] == "Blocked"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("add", "X" * 21), "1 to 20 characters"),
        (("add", "CAFE", "--expires", "soon"), "'soon' is not an ISO 8601 date and time"),
        (("block", ""), "1 to 20 characters"),
    ],
)
async def test_tags_refuses_what_it_cannot_store_with_exit_2(command, tmp_path, args, message):
    env = clean_environment(ARTHEXIS_BRIDGE_DATA_DIR=str(tmp_path))
    returncode, _, stderr = await run_command(command, "tags", *args, env=env)
    assert returncode == 2
    assert message in stderr


async def test_simulate_runs_charging_sessions(command, bridge, url, settings):
    await bridge.state.run(auth.put, auth.Entry("DRIVER"))
    returncode, _, stderr = await run_command(
        command,
        "simulate",
        "--url",
        url,
        "--connectors",
        "1",
        "--sessions",
        "2",
        "--meter-interval",
        "0.01",
        "--kwh",
        "0.001",
        "--id-tag",
        "DRIVER",
        "--duration",
        "3",
        "--heartbeat",
        "10",
    )
    assert returncode == 0, stderr
    assert "2 sessions charged, 0 refused" in stderr
    events = stored_events(settings.outbox_path)
    starts = [e["data"] for e in events if e["kind"] == "transaction_started"]
    stops = [e["data"] for e in events if e["kind"] == "transaction_stopped"]
    assert [s["transaction_id"] for s in starts] == [s["transaction_id"] for s in stops]
    assert stops[0]["meter_stop"] == starts[1]["meter_start"] == 1  # Wh, rounded
    assert sum(e["kind"] == "meter_values" for e in events) >= 2


async def test_chargers_added_listed_and_removed_from_the_command_line_rule_a_running_bridge(
    command, settings, tmp_path
):
    env = clean_environment(
        ARTHEXIS_BRIDGE_DATA_DIR=str(settings.data_dir),
        ARTHEXIS_BRIDGE_UNKNOWN_CHARGERS="reject",
        ARTHEXIS_BRIDGE_SECURITY_PROFILE="1",
    )
    for args in [
        ("add", "CP-1", "--password", "s3cret"),
        ("add", "CP-2", "--pending", "--free-vend"),
        ("add", "CP-3", "--rejected"),
        ("add", "CP-4"),
    ]:
        returncode, _, stderr = await run_command(command, "chargers", *args, env=env)
        assert returncode == 0, stderr
    returncode, _, stderr = await run_command(command, "chargers", "remove", "CP-4", env=env)
    assert returncode == 0, stderr
    returncode, listing, _ = await run_command(command, "chargers", "list", env=env)
    assert returncode == 0
    assert listing.splitlines() == [
        "charge point id  registration  password  rfid",
        "CP-1             Accepted      set       required",
        "CP-2             Pending       -         free vend",
        "CP-3             Rejected      -         required",
        "chargers not listed: reject (unknown_chargers); security profile 1",
    ]
    [stored] = [
        c for c in await asyncio.to_thread(read_chargers, settings) if c.charge_point_id == "CP-1"
    ]
    assert passwords.verify_password("s3cret", stored.password_hash)
    changed = dataclasses.replace(settings, security_profile=1, unknown_chargers="reject")
    async with Bridge(changed) as bridge:
        url = f"ws://127.0.0.1:{bridge.port}/ocpp"
        async with SimulatedCharger(url, "CP-1", password="s3cret") as charger:
            assert (await charger.boot()).status == "Accepted"
        # A password set while the bridge runs counts at once.
        process = await asyncio.create_subprocess_exec(
            command,
            "chargers",
            "add",
            "CP-2",
            "--pending",
            "--password",
            "-",
            env=env,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        await asyncio.wait_for(process.communicate(b"from stdin\n"), 30)
        assert process.returncode == 0
        async with SimulatedCharger(url, "CP-2", password="from stdin") as charger:
            assert (await charger.boot()).status == "Pending"


def read_chargers(settings):
    db = state.connect(settings.outbox_path)
    try:
        return chargers.entries(db)
    finally:
        db.close()


@pytest.mark.parametrize(
    ("args", "returncode", "message"),
    [
        (("add", "a/b"), 2, "no '/'"),
        (("add", "X" * 49), 2, "1 to 48 characters"),
        (("add", "CP-1", "--pending", "--rejected"), 2, "not allowed with argument"),
        (("add", "CP-1", "--password", ""), 2, "the password is empty"),
        (("remove", "CP-9"), 1, "CP-9 is not in the registry"),
    ],
)
async def test_chargers_refuses_what_it_cannot_do(command, tmp_path, args, returncode, message):
    env = clean_environment(ARTHEXIS_BRIDGE_DATA_DIR=str(tmp_path))
    result, _, stderr = await run_command(command, "chargers", *args, env=env)
    assert result == returncode
    assert message in stderr


def test_help_explains_security_profiles_and_the_chargers_command(command):
    result = subprocess.run(
        [command, "--help"], capture_output=True, text=True, timeout=30, check=False
    )
    assert "security profiles" in result.stdout
    assert "mutual TLS" in result.stdout
    assert "chargers" in result.stdout
    result = subprocess.run(
        [command, "chargers", "add", "--help"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    for option in ("--password", "--pending", "--rejected", "--free-vend"):
        assert option in result.stdout


def test_run_with_profile_2_and_no_certificate_exits_2_saying_what_to_set(command, tmp_path):
    env = clean_environment(
        ARTHEXIS_BRIDGE_SECURITY_PROFILE="2", ARTHEXIS_BRIDGE_DATA_DIR=str(tmp_path)
    )
    result = subprocess.run(
        [command, "run"], capture_output=True, text=True, env=env, timeout=30, check=False
    )
    assert result.returncode == 2
    assert "ARTHEXIS_BRIDGE_TLS_CERT (tls.cert)" in result.stderr
    assert "Traceback" not in result.stderr


def test_run_with_an_unreadable_certificate_exits_2(command, tmp_path):
    env = clean_environment(
        ARTHEXIS_BRIDGE_SECURITY_PROFILE="2",
        ARTHEXIS_BRIDGE_TLS_CERT=str(tmp_path / "absent.pem"),
        ARTHEXIS_BRIDGE_TLS_KEY=str(tmp_path / "absent.key"),
        ARTHEXIS_BRIDGE_DATA_DIR=str(tmp_path),
    )
    result = subprocess.run(
        [command, "run"], capture_output=True, text=True, env=env, timeout=30, check=False
    )
    assert result.returncode == 2
    assert "cannot load the TLS certificate" in result.stderr
    assert "Traceback" not in result.stderr
