"""The message log: every frame a charger sends and gets, kept in a bounded log
and shipped to Odoo (docs/events.md, "The message log")."""

import asyncio
import dataclasses
import json
import sqlite3

import websockets

from arthexis_bridge.app import Bridge
from arthexis_bridge.framelog import MAX_FRAME_BYTES, FrameLog, cut
from arthexis_bridge.odoo_client import OdooClient, OdooError
from arthexis_bridge.sync import Backoff, FrameShipping

from .helpers import QuietOdoo, base_url, call, eventually

BOOT = {"chargePointVendor": "Acme", "chargePointModel": "A1"}


def logged(path):
    """The frames in the message log table, oldest first, read by a connection of our own."""
    db = sqlite3.connect(path)
    try:
        rows = db.execute("SELECT id, charger, at, direction, frame FROM frame_log ORDER BY seq")
        return [
            dict(zip(("id", "charger", "at", "direction", "frame"), row, strict=True))
            for row in rows
        ]
    finally:
        db.close()


async def boot_and_heartbeat(bridge, cp_id="CP-1"):
    """Connect, boot and send one heartbeat; return the four frames as they crossed the socket."""
    async with websockets.connect(
        f"{base_url(bridge)}/{cp_id}", subprotocols=["ocpp1.6"]
    ) as websocket:
        boot = json.dumps([2, "b1", "BootNotification", BOOT])
        await websocket.send(boot)
        boot_answer = await websocket.recv()
        heartbeat = json.dumps([2, "h1", "Heartbeat", {}])
        await websocket.send(heartbeat)
        heartbeat_answer = await websocket.recv()
    return [boot, boot_answer, heartbeat, heartbeat_answer]


class LogOdoo(QuietOdoo):
    """An OdooClient whose log_frames answers the test scripts: a callable or an error."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.shipped = []  # the ids of each log_frames call

    async def log_frames(self, frames):
        ids = [frame["id"] for frame in frames]
        self.shipped.append(ids)
        answer = self.answers.pop(0) if self.answers else (lambda ids: ids)
        if isinstance(answer, BaseException):
            raise answer
        return answer(ids)


async def test_a_boot_and_heartbeat_exchange_is_logged_in_order_both_ways(bridge, settings):
    sent = await boot_and_heartbeat(bridge)
    await bridge.frame_log.flush()

    frames = logged(settings.outbox_path)
    assert [f["frame"] for f in frames] == sent
    assert [f["direction"] for f in frames] == ["in", "out", "in", "out"]
    assert {f["charger"] for f in frames} == {"CP-1"}
    assert len({f["id"] for f in frames}) == 4
    assert all(f["at"].endswith("Z") and len(f["at"]) == 24 for f in frames)
    assert [f["at"] for f in frames] == sorted(f["at"] for f in frames)


async def test_a_frame_over_8_kib_is_cut_with_an_ellipsis(bridge, settings):
    data = "x" * 20000
    async with websockets.connect(f"{base_url(bridge)}/CP-1", subprotocols=["ocpp1.6"]) as ws:
        await call(ws, "b1", "BootNotification", BOOT)
        answer = await call(ws, "d1", "DataTransfer", {"vendorId": "acme", "data": data})
    assert answer[0] == 3
    await bridge.frame_log.flush()

    frame = logged(settings.outbox_path)[2]["frame"]
    sent = json.dumps([2, "d1", "DataTransfer", {"vendorId": "acme", "data": data}])
    assert frame == sent[:MAX_FRAME_BYTES] + "…"


def test_cut_counts_utf8_bytes_and_never_splits_a_character():
    assert cut("short") == "short"
    assert cut("é" * 4096) == "é" * 4096  # exactly 8 KiB of UTF-8
    cut_text = cut("é" * 5000)
    assert cut_text == "é" * 4096 + "…"
    assert cut("a" + "é" * 5000) == "a" + "é" * 4095 + "…"  # the split character is dropped
    assert cut(b'[2,"1","Heartbeat",{}]') == '[2,"1","Heartbeat",{}]'


async def test_the_log_keeps_only_the_newest_frame_log_max_frames(settings):
    async with Bridge(dataclasses.replace(settings, frame_log_max=3)) as bridge:
        sent = await boot_and_heartbeat(bridge)
        await bridge.frame_log.flush()
        assert [f["frame"] for f in logged(settings.outbox_path)] == sent[1:]
        assert bridge.frame_log.depth == 3

        again = await boot_and_heartbeat(bridge, "CP-2")
        await bridge.frame_log.flush()
        assert [f["frame"] for f in logged(settings.outbox_path)] == again[1:]


async def test_the_memory_buffer_is_bounded_too(tmp_path):
    log = FrameLog(tmp_path / "bridge.sqlite3", 2)
    await log.start()
    try:
        for n in range(5):
            log.record("CP-1", "in", f"frame {n}")
        assert log.depth == 2
        assert log.dropped == 3
        await log.flush()
        assert [f["frame"] for f in logged(tmp_path / "bridge.sqlite3")] == ["frame 3", "frame 4"]
    finally:
        await log.close()


async def test_frame_log_max_0_records_nothing(settings):
    async with Bridge(dataclasses.replace(settings, frame_log_max=0)) as bridge:
        assert bridge.frame_log is None
        await boot_and_heartbeat(bridge)
    assert logged(settings.outbox_path) == []


async def test_frames_survive_a_restart_of_the_bridge(settings):
    async with Bridge(settings) as bridge:
        sent = await boot_and_heartbeat(bridge)
    # Stopping stores what was still in memory.
    async with Bridge(settings) as restarted:
        assert restarted.frame_log.depth == 4
    assert [f["frame"] for f in logged(settings.outbox_path)] == sent


async def test_shipping_removes_only_the_frames_odoo_confirmed(tmp_path):
    path = tmp_path / "bridge.sqlite3"
    log = FrameLog(path, 100)
    await log.start()
    try:
        for n in range(5):
            log.record("CP-1", "in", f"frame {n}")
        await log.flush()
        ids = [f["id"] for f in logged(path)]
        # Odoo confirms the 2nd and 4th, and an id the bridge never sent.
        odoo: OdooClient = LogOdoo(lambda sent: [sent[1], sent[3], "f" * 32])
        shipping = FrameShipping(log, odoo, batch_size=1000)

        assert await shipping.ship_batch() == 2
        assert [f["id"] for f in logged(path)] == [ids[0], ids[2], ids[4]]
        assert log.depth == 3
        assert odoo.shipped == [ids]
        assert await shipping.ship_batch() == 3
        assert logged(path) == []
        assert odoo.shipped[1] == [ids[0], ids[2], ids[4]]
    finally:
        await log.close()


async def test_shipping_sends_batches_of_at_most_batch_size(tmp_path):
    log = FrameLog(tmp_path / "bridge.sqlite3", 100)
    await log.start()
    try:
        for n in range(5):
            log.record("CP-1", "out", f"frame {n}")
        await log.flush()
        odoo = LogOdoo()
        shipping = FrameShipping(log, odoo, batch_size=2)
        while await shipping.ship_batch():
            pass
        assert [len(ids) for ids in odoo.shipped] == [2, 2, 1]
    finally:
        await log.close()


async def test_shipping_retries_with_backoff_until_odoo_confirms(settings):
    odoo = LogOdoo(
        ConnectionRefusedError("Odoo is down"),
        lambda ids: [],  # confirms nothing: an error too
        lambda ids: ids[:2],
    )
    backoff = Backoff(initial=0.01, maximum=0.02)
    async with Bridge(settings, odoo_client=odoo, frames_backoff=backoff) as bridge:
        sent = await boot_and_heartbeat(bridge)
        await bridge.frame_log.flush()
        await eventually(lambda: logged(settings.outbox_path) == [], what="the log shipped")
        assert bridge.frame_shipping.failures == 2
        assert bridge.frame_shipping.shipped == 4
        assert bridge.frame_log.depth == 0

    first, second, third, fourth = odoo.shipped
    assert first == second == third  # the same frames again after each failure
    assert len(first) == len(sent)
    assert fourth == first[2:]  # only what Odoo did not confirm


async def test_a_failing_log_does_not_hold_up_event_delivery(settings):
    class DownForFrames(LogOdoo):
        def __init__(self):
            super().__init__()
            self.events = []

        async def ingest(self, events):
            self.events.extend(events)
            return [event["id"] for event in events]

        async def log_frames(self, frames):
            await asyncio.sleep(3600)  # hangs: never answers
            raise OdooError("unreachable")

    odoo = DownForFrames()
    async with Bridge(settings, odoo_client=odoo) as bridge:
        await boot_and_heartbeat(bridge)
        await bridge.frame_log.flush()
        await eventually(lambda: len(odoo.events) == 2, what="both events delivered")
        assert bridge.frame_log.depth == 4
