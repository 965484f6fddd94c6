"""RFID readers: drivers that return the UID of the card on the reader, and the
:class:`Scanner` that turns their reads into debounced, normalized scans.

A driver's :meth:`Reader.read_uid` blocks for up to ``timeout`` seconds and
returns the raw UID of a card it saw, or None. The scanner calls it in a
thread, normalizes the UID the way Odoo does (upper-case hex without
separators, 4, 7 or 10 bytes) and drops repeats: a card held on the reader is
read again and again, but counts as one scan per ``debounce`` seconds.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import queue
import re
import select
import stat
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Protocol

logger = logging.getLogger(__name__)

UID_LENGTHS = (8, 14, 20)  # hex digits: ISO 14443 UIDs are 4, 7 or 10 bytes
_SEPARATORS = re.compile(r"[\s:\-]")
_HEX = re.compile(r"[0-9A-F]+")
FIFO_NAME = "rfid-scans"  # the fake reader's FIFO, in the data directory


def normalize_uid(raw: str | bytes | list[int]) -> str:
    """A card UID as Odoo keeps it: ``'04:a2 b3-c4'`` -> ``'04A2B3C4'``.

    Bytes (or a list of byte values, as SPI drivers return) become hex.
    Raises ValueError unless the result is 8, 14 or 20 hex digits.
    """
    if isinstance(raw, bytes | bytearray | list | tuple):
        text = bytes(raw).hex()
    else:
        text = raw
    uid = _SEPARATORS.sub("", text or "").upper()
    if len(uid) not in UID_LENGTHS or not _HEX.fullmatch(uid):
        raise ValueError(f"{raw!r} is not a card UID: 8, 14 or 20 hex digits, like 04A2B3C4")
    return uid


class Reader(Protocol):
    """A card reader driver: blocking calls, made from one thread at a time."""

    def read_uid(self, timeout: float) -> str | bytes | list[int] | None:
        """The raw UID of a card seen within ``timeout`` seconds, or None."""

    def close(self) -> None:
        """Release the device."""


class FakeReader:
    """A reader for tests and desktops: cards are "scanned" with :meth:`put`.

    With a ``fifo`` path it creates a named pipe there and reads one UID per
    line from it, so a desktop user can scan with ``echo 04A2B3C4 > fifo``.
    """

    def __init__(self, fifo: str | os.PathLike | None = None) -> None:
        self._queue: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._fifo: int | None = None
        self._pending = b""
        self.fifo = Path(fifo) if fifo is not None else None
        if self.fifo is not None:
            if self.fifo.exists() and not stat.S_ISFIFO(self.fifo.stat().st_mode):
                raise OSError(f"{self.fifo} exists and is not a FIFO")
            if not self.fifo.exists():
                self.fifo.parent.mkdir(parents=True, exist_ok=True)
                os.mkfifo(self.fifo, 0o600)
            # Read-write: opening never waits for a writer, and the pipe never
            # reads end-of-file when a writer closes.
            self._fifo = os.open(self.fifo, os.O_RDWR | os.O_NONBLOCK)

    def put(self, uid: str) -> None:
        """A card taps the reader (call from any thread)."""
        if self._fifo is not None:
            os.write(self._fifo, uid.encode() + b"\n")
        else:
            self._queue.put(uid)

    def read_uid(self, timeout: float) -> str | None:
        if self._fifo is None:
            try:
                return self._queue.get(timeout=timeout)
            except queue.Empty:
                return None
        if b"\n" not in self._pending:
            ready, _, _ = select.select([self._fifo], [], [], timeout)
            if ready:
                self._pending += os.read(self._fifo, 4096)
        line, found, self._pending = self._pending.partition(b"\n")
        if not found:
            self._pending = line
            return None
        return line.decode(errors="replace").strip() or None

    def close(self) -> None:
        if self._fifo is not None:
            os.close(self._fifo)
            self._fifo = None


class Mfrc522Reader:
    """An MFRC522 reader on the Raspberry Pi's SPI bus (``mfrc522`` and ``RPi.GPIO``).

    The libraries load only here, so a desktop without them runs the fake.
    """

    POLL = 0.1  # seconds between polls of the antenna

    def __init__(self, bus: int = 0, device: int = 0) -> None:
        try:
            from mfrc522 import MFRC522
        except ImportError as error:
            raise OSError(
                "the mfrc522 RFID driver needs the mfrc522 and RPi.GPIO packages: "
                "pip install 'arthexis-bridge[pi]'"
            ) from error
        self._device = MFRC522(bus=bus, device=device)

    def read_uid(self, timeout: float) -> list[int] | None:
        device = self._device
        deadline = time.monotonic() + timeout
        while True:
            status, _ = device.MFRC522_Request(device.PICC_REQIDL)
            if status == device.MI_OK:
                status, uid = device.MFRC522_Anticoll()
                if status == device.MI_OK and len(uid) == 5:
                    return list(uid[:4])  # the fifth byte is the check byte (BCC)
            if time.monotonic() >= deadline:
                return None
            time.sleep(self.POLL)

    def close(self) -> None:
        import RPi.GPIO as GPIO

        GPIO.cleanup()


def make_reader(kind: str, data_dir: Path) -> Reader | None:
    """The reader the ``hardware.rfid`` setting names (None for ``none``); raises OSError."""
    if kind == "fake":
        return FakeReader(data_dir / FIFO_NAME)
    if kind == "mfrc522":
        return Mfrc522Reader()
    return None


class Debouncer:
    """Lets a UID through once per ``window`` seconds; another card always passes."""

    def __init__(self, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.window = window
        self._clock = clock
        self._last: tuple[str, float] | None = None

    def accept(self, uid: str) -> bool:
        now = self._clock()
        if self._last is not None:
            last_uid, at = self._last
            if last_uid == uid and now - at < self.window:
                return False
        self._last = (uid, now)
        return True


class Scanner:
    """Normalized, debounced scans from a reader, read in a thread.

    ``async for uid in scanner.scans()`` runs until cancelled. A driver error
    is logged and the read retried after ``retry`` seconds: a loose cable
    never stops the bridge.
    """

    def __init__(
        self,
        reader: Reader,
        debounce: float = 2.0,
        *,
        poll: float = 0.5,
        retry: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.reader = reader
        self.debouncer = Debouncer(debounce, clock)
        self.poll = poll
        self.retry = retry
        self.errors = 0
        # A thread of its own: a read blocks up to ``poll`` seconds, and close()
        # waits for the read in progress before it releases the device.
        self._thread = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="rfid")

    async def scans(self) -> AsyncIterator[str]:
        loop = asyncio.get_running_loop()
        while True:
            try:
                raw = await loop.run_in_executor(self._thread, self.reader.read_uid, self.poll)
            except Exception as error:  # any driver failure: log it, wait, read again
                self.errors += 1
                logger.error("RFID reader failed: %s; retrying in %g s", error, self.retry)
                await asyncio.sleep(self.retry)
                continue
            if raw is None:
                continue
            try:
                uid = normalize_uid(raw)
            except ValueError as error:
                logger.warning("RFID reader: %s; ignored", error)
                continue
            if self.debouncer.accept(uid):
                yield uid

    async def close(self) -> None:
        """Wait for the read in progress (cancel :meth:`scans` first), release the reader."""
        await asyncio.to_thread(self._thread.shutdown, wait=True)
        await asyncio.to_thread(self.reader.close)
