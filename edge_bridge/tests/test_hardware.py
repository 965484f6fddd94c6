"""The node's RFID reader and LCD: drivers behind one interface, and the bridge using them.

The fakes stand in for the hardware only. The real drivers run here against
stand-ins for the libraries that reach the SPI and I2C buses (``mfrc522``,
``RPLCD``), so that the same interface tests cover their own code too.
"""

import asyncio
import dataclasses
import logging
import sys
import types

import pytest

from arthexis_bridge import auth
from arthexis_bridge.app import Bridge
from arthexis_bridge.hardware import (
    FakeDisplay,
    FakeReader,
    Hd44780Display,
    Mfrc522Reader,
    Scanner,
    normalize_uid,
)
from arthexis_bridge.hardware.lcd import fit
from arthexis_bridge.hardware.rfid import Debouncer
from arthexis_bridge.hardware.screens import Cycler, Snapshot, pages
from arthexis_bridge.simulator import SimulatedCharger
from arthexis_bridge.sync import Backoff

from .helpers import QuietOdoo, eventually, stored_events

# --- stand-ins for the bus libraries, for the real drivers -------------------------------


class CardField:
    """The antenna of a stand-in MFRC522: the card on it, if any (4 UID bytes + BCC)."""

    MI_OK, MI_NOTAGERR, PICC_REQIDL = 0, 1, 0x26

    def __init__(self, bus=0, device=0):
        self.card = None

    def MFRC522_Request(self, mode):
        return (self.MI_OK, 0x10) if self.card else (self.MI_NOTAGERR, None)

    def MFRC522_Anticoll(self):
        uid = list(self.card)
        check = 0
        for byte in uid:
            check ^= byte
        return self.MI_OK, [*uid, check]


class CharacterLcd:
    """A stand-in RPLCD CharLCD: a grid of characters."""

    def __init__(self, expander, address, port, cols, rows, auto_linebreaks):
        self.address, self.cols = address, cols
        self.grid = [[" "] * cols for _ in range(rows)]
        self.cursor_pos = (0, 0)

    def clear(self):
        self.grid = [[" "] * self.cols for _ in self.grid]

    def write_string(self, text):
        row, column = self.cursor_pos
        for offset, char in enumerate(text):
            self.grid[row][column + offset] = char

    def close(self, clear=False):
        if clear:
            self.clear()


@pytest.fixture
def bus_libraries(monkeypatch):
    mfrc522 = types.ModuleType("mfrc522")
    mfrc522.MFRC522 = CardField
    rplcd = types.ModuleType("RPLCD")
    rplcd_i2c = types.ModuleType("RPLCD.i2c")
    rplcd_i2c.CharLCD = CharacterLcd
    rpi, gpio = types.ModuleType("RPi"), types.ModuleType("RPi.GPIO")
    gpio.cleanup = lambda: None
    rpi.GPIO = gpio
    for name, module in [
        ("mfrc522", mfrc522),
        ("RPLCD", rplcd),
        ("RPLCD.i2c", rplcd_i2c),
        ("RPi", rpi),
        ("RPi.GPIO", gpio),
    ]:
        monkeypatch.setitem(sys.modules, name, module)


# --- readers ------------------------------------------------------------------------------


class QueueCard:
    """Taps a card on a FakeReader without a FIFO."""

    def __init__(self, tmp_path):
        self.reader = FakeReader()

    def tap(self, uid):
        self.reader.put(uid)


class FifoCard(QueueCard):
    """Taps a card by writing a line to the fake reader's FIFO, as a desktop user does."""

    def __init__(self, tmp_path):
        self.reader = FakeReader(tmp_path / "rfid-scans")
        self.path = tmp_path / "rfid-scans"

    def tap(self, uid):
        with open(self.path, "w") as fifo:
            fifo.write(uid + "\n")


class SpiCard(QueueCard):
    """Holds a card on the antenna of the real MFRC522 driver for one poll."""

    def __init__(self, tmp_path):
        self.reader = Mfrc522Reader()
        self.reader.POLL = 0.01

    def tap(self, uid):
        self.reader._device.card = bytes.fromhex(uid)


@pytest.fixture(params=[QueueCard, FifoCard, SpiCard], ids=["fake", "fake-fifo", "mfrc522"])
def card(request, tmp_path, bus_libraries):
    tapper = request.param(tmp_path)
    yield tapper
    tapper.reader.close()


async def next_scan(scans, within=3.0):
    return await asyncio.wait_for(anext(scans), within)


async def test_a_tapped_card_is_read_once_with_its_uid_as_odoo_keeps_it(card):
    scanner = Scanner(card.reader, debounce=30, poll=0.05)
    scans = scanner.scans()
    card.tap("04A2B3C4")
    assert await next_scan(scans) == "04A2B3C4"
    # Still on the reader (read again and again): no second scan within the window.
    card.tap("04A2B3C4")
    card.tap("04A2B3C4")
    card.tap("0AA2B3C4")  # another card is a new scan at once
    assert await next_scan(scans) == "0AA2B3C4"
    await scans.aclose()
    await scanner.close()


async def test_a_reader_that_sees_no_card_yields_no_scan(card):
    scanner = Scanner(card.reader, poll=0.05)
    scans = scanner.scans()
    with pytest.raises(TimeoutError):
        await next_scan(scans, within=0.3)
    await scans.aclose()
    await scanner.close()


def test_the_mfrc522_driver_drops_the_check_byte(bus_libraries):
    reader = Mfrc522Reader()
    reader._device.card = bytes.fromhex("DEADBEEF")
    assert normalize_uid(reader.read_uid(0.1)) == "DEADBEEF"
    reader._device.card = None
    assert reader.read_uid(0.05) is None


def test_the_drivers_say_how_to_install_their_libraries_when_missing(monkeypatch):
    monkeypatch.setitem(sys.modules, "mfrc522", None)
    monkeypatch.setitem(sys.modules, "RPLCD.i2c", None)
    with pytest.raises(OSError, match=r"pip install 'arthexis-bridge\[pi\]'"):
        Mfrc522Reader()
    with pytest.raises(OSError, match=r"pip install 'arthexis-bridge\[pi\]'"):
        Hd44780Display()


@pytest.mark.parametrize(
    "raw, uid",
    [
        ("04:a2:b3:c4", "04A2B3C4"),
        ("04 a2 b3 c4 d5 e6 f7", "04A2B3C4D5E6F7"),
        ("04-A2-B3-C4-D5-E6-F7-08-09-0A", "04A2B3C4D5E6F708090A"),
        ([4, 0xA2, 0xB3, 0xC4], "04A2B3C4"),
    ],
)
def test_uids_are_normalized_like_odoo_does(raw, uid):
    assert normalize_uid(raw) == uid


@pytest.mark.parametrize("raw", ["04A2B3", "04A2B3C4D5", "04A2B3CG", "", "hello world!"])
def test_a_uid_that_is_not_4_7_or_10_hex_bytes_is_refused(raw):
    with pytest.raises(ValueError, match="8, 14 or 20 hex digits"):
        normalize_uid(raw)


async def test_a_reading_that_is_not_a_uid_is_skipped_with_a_warning(caplog):
    reader = FakeReader()
    scanner = Scanner(reader, poll=0.05)
    scans = scanner.scans()
    reader.put("not a card")
    reader.put("04A2B3C4")
    assert await next_scan(scans) == "04A2B3C4"
    assert "'not a card' is not a card UID" in caplog.text
    await scans.aclose()
    await scanner.close()


def test_a_card_held_on_the_reader_scans_again_only_after_the_window():
    now = [100.0]
    debouncer = Debouncer(2.0, clock=lambda: now[0])
    assert debouncer.accept("04A2B3C4")
    now[0] += 1.9
    assert not debouncer.accept("04A2B3C4")
    now[0] += 0.1  # two seconds after the scan that counted
    assert debouncer.accept("04A2B3C4")
    assert debouncer.accept("0AA2B3C4")
    assert debouncer.accept("04A2B3C4")  # back to the first card: another scan


async def test_a_failing_reader_is_logged_and_read_again(caplog):
    class Flaky(FakeReader):
        failures = 2

        def read_uid(self, timeout):
            if self.failures:
                self.failures -= 1
                raise OSError("SPI transfer failed")
            return super().read_uid(timeout)

    reader = Flaky()
    scanner = Scanner(reader, poll=0.05, retry=0.01)
    scans = scanner.scans()
    reader.put("04A2B3C4")
    assert await next_scan(scans) == "04A2B3C4"
    assert scanner.errors == 2
    assert "RFID reader failed: SPI transfer failed" in caplog.text
    await scans.aclose()
    await scanner.close()


# --- displays -----------------------------------------------------------------------------


class FakeScreen:
    def __init__(self, columns, rows):
        self.display = FakeDisplay(columns, rows)

    def shown(self):
        return self.display.current


class I2cScreen:
    def __init__(self, columns, rows):
        self.display = Hd44780Display(0x27, columns, rows)

    def shown(self):
        lcd = self.display._lcd
        return None if lcd is None else ["".join(row) for row in lcd.grid]


@pytest.fixture(
    params=[(FakeScreen, 16, 2), (FakeScreen, 20, 4), (I2cScreen, 16, 2), (I2cScreen, 20, 4)],
    ids=["fake-16x2", "fake-20x4", "hd44780-16x2", "hd44780-20x4"],
)
def screen(request, bus_libraries):
    kind, columns, rows = request.param
    return kind(columns, rows)


SNAPSHOT = Snapshot(
    node="edge-garage-north-01",
    link="linked",
    chargers=3,
    sessions=2,
    power_w=18400,
    card="04A2B3C4D5E6F708090A",
    decision="Accepted",
    reader=True,
)


def test_every_screen_fits_the_display(screen):
    display = screen.display
    cycler = Cycler(display, None)
    for turn in range(3):
        display.show(cycler.screen(SNAPSHOT, turn))
        shown = screen.shown()
        assert len(shown) == display.rows
        assert all(len(line) == display.columns for line in shown)
    first = cycler.screen(SNAPSHOT, 0)
    name = "edge-garage-nor~" if display.columns == 16 else "edge-garage-north-01"
    assert first[:2] == [name, "Odoo linked".ljust(display.columns)]


def test_the_screens_show_the_node_its_chargers_sessions_power_and_last_card():
    assert pages(SNAPSHOT) == [
        ["edge-garage-north-01", "Odoo linked"],
        ["Chargers 3", "Sessions 2 18.4kW"],
        ["04A2B3C4D5E6F708090A", "Accepted"],
    ]
    idle = dataclasses.replace(SNAPSHOT, card=None, decision=None, power_w=None)
    assert pages(idle)[1:] == [["Chargers 3", "Sessions 2"], ["Tap a card", "to read it"]]
    assert len(pages(dataclasses.replace(SNAPSHOT, reader=False))) == 2


def test_a_long_line_is_cut_with_a_mark_and_short_ones_padded():
    assert fit(["edge-garage-north-01", "ok"], 16, 2) == ["edge-garage-nor~", "ok".ljust(16)]
    assert fit(["one"], 20, 4) == ["one".ljust(20)] + [" " * 20] * 3


async def test_a_four_row_display_shows_two_pages_at_a_time(screen):
    display = screen.display
    cycler = Cycler(display, None)
    first, second = cycler.screen(SNAPSHOT, 0), cycler.screen(SNAPSHOT, 1)
    if display.rows == 4:
        assert [line.rstrip() for line in first] == [
            "edge-garage-north-01",
            "Odoo linked",
            "Chargers 3",
            "Sessions 2 18.4kW",
        ]
        assert second[0].rstrip() == "04A2B3C4D5E6F708090A"
        assert cycler.screen(SNAPSHOT, 2) == first  # round again
    else:
        assert second[0].rstrip() == "Chargers 3"
        assert cycler.screen(SNAPSHOT, 3) == first


async def test_a_failing_display_is_logged_and_written_again(caplog):
    class Unplugged(FakeDisplay):
        failures = 2

        def show(self, screen):
            if self.failures:
                self.failures -= 1
                raise OSError("[Errno 121] Remote I/O error")
            super().show(screen)

    display = Unplugged()

    async def snapshot():
        return SNAPSHOT

    cycler = Cycler(display, snapshot, interval=0.01)
    task = asyncio.create_task(cycler.run())
    await eventually(lambda: display.screens, what="a screen after the bus came back")
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await cycler.close()
    assert cycler.errors == 2
    assert caplog.text.count("LCD write failed: [Errno 121] Remote I/O error") == 1
    assert display.closed


# --- the bridge with its hardware ----------------------------------------------------------


@pytest.fixture
def node_settings(settings):
    return dataclasses.replace(
        settings, rfid="fake", lcd="fake", lcd_size=(20, 4), lcd_cycle=60, unknown_tags="accept"
    )


def shown(bridge):
    return [line.rstrip() for line in bridge.hardware.display.current or []]


async def test_a_scanned_card_shows_the_cache_answer_on_the_lcd(node_settings):
    async with Bridge(node_settings) as bridge:
        await bridge.state.run(auth.put, auth.Entry("04A2B3C4", auth.BLOCKED))
        bridge.hardware.reader.put("04:a2:b3:c4")
        await eventually(lambda: shown(bridge)[:2] == ["04A2B3C4", "Blocked"], what="the card")
        bridge.hardware.reader.put("0a0b0c0d")  # unknown: unknown_tags decides
        await eventually(lambda: shown(bridge)[:2] == ["0A0B0C0D", "Accepted"], what="2nd card")
        # Not in staff mode: the cards stay on the node.
        assert not [e for e in await bridge.outbox.peek(100) if e["kind"] == "card_scanned"]


async def test_in_staff_mode_a_scanned_card_goes_to_odoo_through_the_outbox(node_settings):
    staff = dataclasses.replace(node_settings, staff_mode=True)
    async with Bridge(staff) as bridge:
        bridge.hardware.reader.put("04a2b3c4")
        bridge.hardware.reader.put("04a2b3c4")  # held on the reader: one scan
        await eventually(lambda: bridge.hardware.scans == 1, what="the scan")
        await asyncio.sleep(0.3)
    scanned = [e for e in stored_events(staff.outbox_path) if e["kind"] == "card_scanned"]
    assert [e["data"] for e in scanned] == [
        {"uid": "04A2B3C4", "decision": {"status": "Accepted", "source": "policy"}}
    ]
    assert scanned[0]["charger"] == ""


async def test_the_lcd_shows_connected_chargers_sessions_and_power(node_settings):
    async with Bridge(dataclasses.replace(node_settings, lcd_cycle=1)) as bridge:
        url = f"ws://127.0.0.1:{bridge.port}/ocpp"
        async with SimulatedCharger(url, "CP-1") as one, SimulatedCharger(url, "CP-2") as two:
            await one.boot()
            await two.boot()
            first = await one.start_transaction(1, "04A2B3C4", 0)
            await one.meter_values(1, first.transaction_id, 1000, 7400)
            second = await two.start_transaction(2, "0A0B0C0D", 0)
            await two.meter_values(2, second.transaction_id, 500, 11000)
            snapshot = await bridge.hardware.snapshot()
            assert (snapshot.chargers, snapshot.sessions, snapshot.power_w) == (2, 2, 18400)
            assert snapshot.link == "standalone"
            await eventually(  # the screens turn every second
                lambda: shown(bridge)[2:] == ["Chargers 2", "Sessions 2 18.4kW"],
                within=5,
                what="the chargers screen",
            )
            await one.stop_transaction(first.transaction_id, 1000)
            snapshot = await bridge.hardware.snapshot()
            assert (snapshot.sessions, snapshot.power_w) == (1, 11000)


async def test_broken_hardware_does_not_stop_the_bridge(node_settings, caplog):
    class Broken(FakeReader):
        def read_uid(self, timeout):
            raise OSError("no SPI device")

    class Dark(FakeDisplay):
        def show(self, screen):
            raise OSError("no I2C device")

    caplog.set_level(logging.INFO, logger="arthexis_bridge")
    bridge = Bridge(node_settings)
    bridge.hardware.reader, bridge.hardware.display = Broken(), Dark(20, 4)
    async with bridge:
        url = f"ws://127.0.0.1:{bridge.port}/ocpp"
        await eventually(lambda: bridge.hardware.scanner.errors and bridge.hardware.cycler.errors)
        async with SimulatedCharger(url, "CP-1") as charger:
            answer = await charger.boot()
        assert answer.status == "Accepted"
    assert "RFID reader failed: no SPI device" in caplog.text
    assert "LCD write failed: no I2C device" in caplog.text


async def test_a_driver_that_cannot_open_leaves_the_bridge_serving(settings, caplog, monkeypatch):
    monkeypatch.setitem(sys.modules, "mfrc522", None)
    monkeypatch.setitem(sys.modules, "RPLCD.i2c", None)
    pi = dataclasses.replace(settings, rfid="mfrc522", lcd="hd44780")
    async with Bridge(pi) as bridge:
        async with SimulatedCharger(f"ws://127.0.0.1:{bridge.port}/ocpp", "CP-1") as charger:
            assert (await charger.boot()).status == "Accepted"
    assert "RFID reader mfrc522 is off" in caplog.text
    assert "LCD hd44780 is off" in caplog.text


async def test_the_lcd_shows_when_odoo_cannot_be_reached_and_when_it_is_back(node_settings):
    class Unreachable(QuietOdoo):
        down = True

        async def ingest(self, events):
            if self.down:
                raise ConnectionRefusedError("Odoo is down")
            return await super().ingest(events)

    odoo = Unreachable()
    quick = Backoff(initial=0.05, maximum=0.05)
    async with Bridge(node_settings, odoo_client=odoo, sync_backoff=quick) as bridge:
        assert (await bridge.hardware.snapshot()).link == "linked"
        async with SimulatedCharger(f"ws://127.0.0.1:{bridge.port}/ocpp", "CP-1") as charger:
            await charger.boot()
        await eventually(lambda: bridge.sync.failures, what="a failed delivery")
        assert (await bridge.hardware.snapshot()).link == "offline"
        assert (await bridge.hardware.snapshot()).link == "offline"  # still, while it fails
        odoo.down = False
        await eventually(lambda: bridge.sync.delivered, what="the delivery")
        assert (await bridge.hardware.snapshot()).link == "linked"
