"""GET /metrics on the chargers' port: the Prometheus text format."""

import asyncio
import dataclasses

import websockets

from arthexis_bridge.app import Bridge
from arthexis_bridge.metrics import Metrics

from .helpers import QuietOdoo, base_url, call, eventually, send_frame

BOOT = {"chargePointVendor": "Acme", "chargePointModel": "A1"}


async def http_get(port, path):
    """A plain HTTP GET on loopback: (status, headers text, body)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
    await writer.drain()
    response = await asyncio.wait_for(reader.read(), 5)
    writer.close()
    head, _, body = response.decode().partition("\r\n\r\n")
    status = int(head.split()[1])
    return status, head, body


def samples(page):
    """The page's samples: series (name and labels, as written) -> value."""
    found = {}
    for line in page.splitlines():
        if line and not line.startswith("#"):
            series, value = line.rsplit(" ", 1)
            found[series] = float(value)
    return found


async def scrape(bridge):
    status, head, body = await http_get(bridge.port, "/metrics")
    assert status == 200
    assert "text/plain; version=0.0.4" in head
    return samples(body)


async def test_metrics_count_chargers_messages_by_action_and_the_outbox(bridge):
    before = await scrape(bridge)
    assert before["arthexis_bridge_connected_chargers"] == 0
    assert before["arthexis_bridge_outbox_depth"] == 0
    assert before["arthexis_bridge_sync_lag_seconds"] == 0

    async with websockets.connect(f"{base_url(bridge)}/CP-1", subprotocols=["ocpp1.6"]) as ws:
        await call(ws, "b1", "BootNotification", BOOT)
        await call(ws, "h1", "Heartbeat", {})
        await call(ws, "h2", "Heartbeat", {})
        found = await scrape(bridge)
        assert found["arthexis_bridge_connected_chargers"] == 1
        assert (
            found['arthexis_bridge_messages_total{direction="in",action="BootNotification"}'] == 1
        )
        assert (
            found['arthexis_bridge_messages_total{direction="out",action="BootNotification"}'] == 1
        )
        assert found['arthexis_bridge_messages_total{direction="in",action="Heartbeat"}'] == 2
        assert found['arthexis_bridge_messages_total{direction="out",action="Heartbeat"}'] == 2
        assert found["arthexis_bridge_outbox_depth"] == 3  # standalone: nothing delivered
        assert found["arthexis_bridge_sync_lag_seconds"] >= 0
        assert found["arthexis_bridge_events_delivered_total"] == 0
        assert found["arthexis_bridge_sync_errors_total"] == 0
        assert found["arthexis_bridge_frame_log_depth"] == 6

    await eventually(lambda: not bridge.server.chargers, what="the charger gone")
    after = await scrape(bridge)
    assert after["arthexis_bridge_connected_chargers"] == 0


async def test_a_malformed_frame_counts_a_callerror_by_code(bridge):
    async with websockets.connect(f"{base_url(bridge)}/CP-1", subprotocols=["ocpp1.6"]) as ws:
        await call(ws, "b1", "BootNotification", BOOT)
        answer = await send_frame(ws, '[2, "x1", "Heartbeat", {')
        assert answer[:3] == [4, "x1", "FormationViolation"]
        answer = await call(ws, "x2", "MadeUpAction", {})
        assert answer[2] == "NotImplemented"
        found = await scrape(bridge)
    assert found['arthexis_bridge_callerrors_total{code="FormationViolation"}'] == 1
    assert found['arthexis_bridge_callerrors_total{code="NotImplemented"}'] == 1
    # Made-up actions are not labels: a charger cannot create metric series.
    assert found['arthexis_bridge_messages_total{direction="in",action="unknown"}'] == 2
    assert not any("MadeUpAction" in series for series in found)


async def test_sync_lag_is_the_age_of_the_oldest_undelivered_event(bridge):
    async with websockets.connect(f"{base_url(bridge)}/CP-1", subprotocols=["ocpp1.6"]) as ws:
        await call(ws, "b1", "BootNotification", BOOT)
    await asyncio.sleep(0.2)
    found = await scrape(bridge)
    assert 0.15 <= found["arthexis_bridge_sync_lag_seconds"] < 5


async def test_delivered_events_leave_the_outbox_depth(settings):
    async with Bridge(settings, odoo_client=QuietOdoo()) as bridge:
        async with websockets.connect(f"{base_url(bridge)}/CP-1", subprotocols=["ocpp1.6"]) as ws:
            await call(ws, "b1", "BootNotification", BOOT)
            await call(ws, "h1", "Heartbeat", {})
        await eventually(lambda: bridge.sync.delivered == 2, what="both events delivered")
        found = await scrape(bridge)
    assert found["arthexis_bridge_outbox_depth"] == 0
    assert found["arthexis_bridge_sync_lag_seconds"] == 0
    assert found["arthexis_bridge_events_delivered_total"] == 2


async def test_outbox_depth_counts_events_kept_across_a_restart(settings):
    async with Bridge(settings) as bridge:
        async with websockets.connect(f"{base_url(bridge)}/CP-1", subprotocols=["ocpp1.6"]) as ws:
            await call(ws, "b1", "BootNotification", BOOT)
    async with Bridge(dataclasses.replace(settings, frame_log_max=0)) as restarted:
        found = await scrape(restarted)
    assert found["arthexis_bridge_outbox_depth"] == 1
    assert found["arthexis_bridge_frame_log_depth"] == 0


async def test_other_paths_are_still_refused_with_404(bridge):
    status, _, _ = await http_get(bridge.port, "/metricsx")
    assert status == 404
    status, _, _ = await http_get(bridge.port, "/ocpp/")
    assert status == 404


def test_the_page_has_help_and_type_for_every_family():
    metrics = Metrics()
    metrics.received("Heartbeat")
    metrics.sent("Heartbeat", '[3,"1",{}]')
    metrics.sent("unknown", '[4,"2","ProtocolError","x",{}]')
    metrics.gauge("things", "how many things", lambda: 2.5)
    page = metrics.render()
    assert "# TYPE arthexis_bridge_messages_total counter" in page
    assert 'arthexis_bridge_messages_total{direction="out",action="Heartbeat"} 1' in page
    assert 'arthexis_bridge_callerrors_total{code="ProtocolError"} 1' in page
    assert "# HELP arthexis_bridge_things how many things" in page
    assert "# TYPE arthexis_bridge_things gauge" in page
    assert "arthexis_bridge_things 2.5" in page
