"""Kiosk mode: a card tapped at the node's reader starts a session on a charger with
no reader (RemoteStartTransaction), tapped again stops it; the LCD says what happened."""

import asyncio
import dataclasses

import pytest

from arthexis_bridge import auth
from arthexis_bridge.app import Bridge
from arthexis_bridge.settings import SettingsError, load_settings
from arthexis_bridge.simulator import SimulatedCharger

from .helpers import eventually, stored_events

CARD = "04A2B3C4"


@pytest.fixture
def kiosk_settings(settings):
    return dataclasses.replace(
        settings,
        rfid="fake",
        rfid_debounce=0.1,
        lcd="fake",
        lcd_cycle=60,
        kiosk_charger="CP-K",
        kiosk_connector=2,
    )


def card_line(bridge):
    """The card page's two lines, as the 16x2 LCD shows them."""
    return [line.rstrip() for line in bridge.hardware.display.current or []]


def kiosk_events(settings):
    return [e["data"] for e in stored_events(settings.outbox_path) if e["kind"] == "card_scanned"]


async def test_a_tap_starts_a_session_on_the_kiosk_charger_and_a_second_tap_stops_it(
    kiosk_settings,
):
    async with Bridge(kiosk_settings) as bridge:
        await bridge.state.run(auth.put, auth.Entry(CARD, auth.ACCEPTED))
        url = f"ws://127.0.0.1:{bridge.port}/ocpp"
        async with SimulatedCharger(url, "CP-K", connectors=2) as charger:
            charger.meter_interval = 0.1
            await charger.boot()
            bridge.hardware.reader.put("04:a2:b3:c4")
            await eventually(lambda: card_line(bridge) == [CARD, "Starting"], what="Starting")
            assert charger.received_calls("RemoteStartTransaction") == [
                {"idTag": CARD, "connectorId": 2}
            ]
            await eventually(lambda: 2 in charger.active, what="the session on connector 2")
            transaction_id = charger.active[2]

            await asyncio.sleep(kiosk_settings.rfid_debounce)  # a new tap, not the same one
            bridge.hardware.reader.put(CARD)
            await eventually(lambda: card_line(bridge) == [CARD, "Stopping"], what="Stopping")
            assert charger.received_calls("RemoteStopTransaction") == [
                {"transactionId": transaction_id}
            ]
            await eventually(lambda: not charger.active, what="the session stopped")
    start, stop = kiosk_events(kiosk_settings)
    assert start["kiosk"] == {
        "charger": "CP-K",
        "connector": 2,
        "action": "RemoteStartTransaction",
        "status": "Accepted",
    }
    assert stop["kiosk"]["action"] == "RemoteStopTransaction"
    assert stop["kiosk"]["status"] == "Accepted"


async def test_a_blocked_card_or_one_charging_elsewhere_starts_nothing(kiosk_settings):
    async with Bridge(kiosk_settings) as bridge:
        await bridge.state.run(auth.put, auth.Entry(CARD, auth.BLOCKED))
        await bridge.state.run(auth.put, auth.Entry("0A0B0C0D", auth.ACCEPTED))
        url = f"ws://127.0.0.1:{bridge.port}/ocpp"
        async with (
            SimulatedCharger(url, "CP-K", connectors=2) as kiosk,
            SimulatedCharger(url, "CP-OTHER") as other,
        ):
            await kiosk.boot()
            await other.boot()
            bridge.hardware.reader.put(CARD)
            await eventually(lambda: card_line(bridge) == [CARD, "Blocked"], what="Blocked")
            await other.start_transaction(1, "0A0B0C0D", 0)
            bridge.hardware.reader.put("0A0B0C0D")
            await eventually(
                lambda: card_line(bridge) == ["0A0B0C0D", "ConcurrentTx"], what="ConcurrentTx"
            )
            assert kiosk.received_calls("RemoteStartTransaction") == []
    blocked, elsewhere = kiosk_events(kiosk_settings)
    assert blocked["kiosk"]["action"] is None
    assert blocked["decision"]["status"] == "Blocked"
    assert elsewhere["decision"]["status"] == "ConcurrentTx"


async def test_the_lcd_says_when_the_charger_is_away_or_refuses(kiosk_settings):
    async with Bridge(kiosk_settings) as bridge:
        await bridge.state.run(auth.put, auth.Entry(CARD, auth.ACCEPTED))
        bridge.hardware.reader.put(CARD)
        await eventually(
            lambda: card_line(bridge) == [CARD, "Charger offline"], what="Charger offline"
        )
        url = f"ws://127.0.0.1:{bridge.port}/ocpp"
        async with SimulatedCharger(url, "CP-K", connectors=2) as charger:
            await charger.boot()
            charger.answers = {"RemoteStartTransaction": "Rejected"}
            await asyncio.sleep(kiosk_settings.rfid_debounce)
            bridge.hardware.reader.put(CARD)
            await eventually(lambda: card_line(bridge) == [CARD, "Refused"], what="Refused")
            assert not charger.active


async def test_the_idle_card_page_invites_a_tap_to_charge(kiosk_settings):
    async with Bridge(dataclasses.replace(kiosk_settings, lcd_size=(20, 4))) as bridge:
        snapshot = await bridge.hardware.snapshot()
        assert snapshot.kiosk and snapshot.card is None
        bridge.hardware.cycler.show_card()
        await eventually(lambda: card_line(bridge)[:2] == ["Tap a card", "to charge"])


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"ARTHEXIS_BRIDGE_KIOSK_CHARGER": "CP-K"}, "no RFID reader"),
        (
            {
                "ARTHEXIS_BRIDGE_KIOSK_CHARGER": "CP-K",
                "ARTHEXIS_BRIDGE_RFID": "fake",
                "ARTHEXIS_BRIDGE_STAFF_MODE": "true",
            },
            "choose one",
        ),
        (
            {"ARTHEXIS_BRIDGE_RFID": "fake", "ARTHEXIS_BRIDGE_KIOSK_CONNECTOR": "-1"},
            "expected a connector number",
        ),
    ],
    ids=["no reader", "staff mode too", "negative connector"],
)
def test_a_kiosk_that_cannot_work_is_refused_at_start(environ, message):
    with pytest.raises(SettingsError, match=message):
        load_settings(environ=environ)
