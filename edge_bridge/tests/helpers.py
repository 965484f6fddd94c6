"""Helpers for the tests: raw OCPP calls, read the outbox file directly, wait for a condition."""

import asyncio
import json
import sqlite3

import pytest

HEARTBEAT_INTERVAL = 120  # what the test bridge tells chargers at boot


def stored_events(path):
    """The events committed to the outbox file, read by a connection of our own."""
    db = sqlite3.connect(path)
    try:
        return [json.loads(text) for (text,) in db.execute("SELECT event FROM outbox ORDER BY seq")]
    finally:
        db.close()


async def eventually(condition, within=5.0, what="the condition"):
    """Poll an (async or plain) condition until it is truthy; fail after `within` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        result = condition()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if loop.time() > deadline:
            pytest.fail(f"waited {within} s for {what}")
        await asyncio.sleep(0.01)


def base_url(bridge):
    """The URL chargers of this bridge append /<charge point id> to."""
    return f"ws://127.0.0.1:{bridge.port}/ocpp"


async def send_frame(websocket, frame, within=5.0):
    """Send a raw frame (text, or anything JSON-serializable) and return the decoded answer."""
    await websocket.send(frame if isinstance(frame, str | bytes) else json.dumps(frame))
    return json.loads(await asyncio.wait_for(websocket.recv(), within))


async def call(websocket, unique_id, action, payload):
    """Send a raw CALL and return the decoded answer."""
    return await send_frame(websocket, [2, unique_id, action, payload])


class QuietOdoo:
    """An in-test OdooClient that confirms everything and has nothing to say.

    Not a fake Odoo server: it stands in for the client interface so a test can
    script the one call it is about by overriding it. Real Odoo is covered by
    the end-to-end tests in the repository's tests/.
    """

    async def ingest(self, events):
        return [event["id"] for event in events]

    async def chargers(self):
        return []

    async def log_frames(self, frames):
        return [frame["id"] for frame in frames]

    async def auth_list(self, since):
        return {"version": since, "full": False, "entries": []}

    async def authorize(self, id_tag, concurrent=False):
        return {"status": "Invalid", "expiry_date": False, "parent_id_tag": False}

    async def transaction_floor(self):
        return 0
