"""Structured logs: one record a line, logfmt or JSON, naming the event and the charger."""

import asyncio
import json
import logging
import re
import shlex

import websockets

from arthexis_bridge import logs
from arthexis_bridge.app import Bridge

from .helpers import base_url, call
from .test_cli import EXECUTABLE, clean_environment
from .test_metrics import BOOT


def logfmt(line):
    """A logfmt line as a dict (values unquoted)."""
    return dict(pair.split("=", 1) for pair in shlex.split(line))


class Lines(logging.Handler):
    """The bridge's log records, formatted as `arthexis-bridge run` writes them."""

    def __init__(self, formatter):
        super().__init__()
        self.setFormatter(formatter)
        self.lines = []

    def emit(self, record):
        self.lines.append(self.format(record))


async def test_logfmt_lines_name_the_event_the_charger_and_the_message(settings):
    handler = Lines(logs.LogfmtFormatter())
    bridge_logger = logging.getLogger("arthexis_bridge")
    bridge_logger.addHandler(handler)
    bridge_logger.setLevel(logging.INFO)
    try:
        async with Bridge(settings) as bridge:
            ws_url = f"{base_url(bridge)}/CP-LOG"
            async with websockets.connect(ws_url, subprotocols=["ocpp1.6"]) as ws:
                await call(ws, "b1", "BootNotification", BOOT)
                answer = await call(ws, "bad-7", "Heartbeat", {"surprise": 1})
    finally:
        bridge_logger.removeHandler(handler)
    assert answer[0] == 4
    shape = re.compile(r"^ts=\S+Z level=(info|warning) logger=arthexis_bridge\.\S+ event=\w+ msg=")
    assert all(shape.match(line) for line in handler.lines), handler.lines
    records = [logfmt(line) for line in handler.lines]
    [connected] = [r for r in records if r["event"] == "connected"]
    assert connected["charger"] == "CP-LOG"
    assert connected["protocol"] == "ocpp1.6"
    assert connected["level"] == "info"
    assert connected["msg"].startswith("charger CP-LOG connected from 127.0.0.1")
    [refused] = [r for r in records if r["event"] == "call_error"]
    assert refused == refused | {
        "level": "warning",
        "charger": "CP-LOG",
        "message_id": "bad-7",
        "action": "Heartbeat",
        "code": answer[2],
    }
    [gone] = [r for r in records if r["event"] == "disconnected"]
    assert gone["charger"] == "CP-LOG"


async def test_run_logs_json_lines_with_log_format_json(tmp_path, unused_tcp_port):
    # Odoo "configured" on a port nobody listens on: every delivery attempt fails.
    env = clean_environment(
        ARTHEXIS_BRIDGE_HOST="127.0.0.1",
        ARTHEXIS_BRIDGE_PORT="0",
        ARTHEXIS_BRIDGE_DATA_DIR=str(tmp_path),
        ARTHEXIS_BRIDGE_LOG_FORMAT="json",
        ARTHEXIS_BRIDGE_ODOO_URL=f"http://127.0.0.1:{unused_tcp_port}",
        ARTHEXIS_BRIDGE_ODOO_DB="nowhere",
        ARTHEXIS_BRIDGE_ODOO_LOGIN="bridge",
        ARTHEXIS_BRIDGE_ODOO_API_KEY="key",
    )
    process = await asyncio.create_subprocess_exec(
        EXECUTABLE, "run", env=env, stderr=asyncio.subprocess.PIPE
    )
    records = []

    async def until(event):
        while True:
            line = await asyncio.wait_for(process.stderr.readline(), 15)
            assert line, f"the bridge exited early: {records}"
            records.append(json.loads(line))
            if records[-1]["event"] == event:
                return records[-1]

    try:
        listening = await until("listening")
        url = f"ws://127.0.0.1:{listening['port']}/ocpp/CP-JSON"
        async with websockets.connect(url, subprotocols=["ocpp1.6"]) as ws:
            await call(ws, "b1", "BootNotification", BOOT)
            failed = await until("sync_failed")
    finally:
        process.terminate()
        await process.wait()
    assert failed["level"] == "warning"
    assert failed["logger"] == "arthexis_bridge.sync"
    assert failed["msg"].startswith("cannot deliver events to Odoo (ConnectionRefusedError")
    assert failed["retry_in"] > 0 and failed["lane"] in range(4)
    assert all({"ts", "level", "logger", "event", "msg"} <= set(r) for r in records)
    assert any(r["event"] == "connected" and r["charger"] == "CP-JSON" for r in records)
