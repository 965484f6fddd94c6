"""Character LCDs: an HD44780 over I2C, and a fake that keeps what it was shown.

A display shows whole screens: one line of text per row. :func:`fit` makes a
screen fit (each line cut or padded to the width, rows beyond the display
dropped), so drivers only write. Writes block on the I2C bus; the screen
cycler (:mod:`.screens`) makes them in a thread.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol

logger = logging.getLogger(__name__)


def fit(lines: Sequence[str], columns: int, rows: int) -> list[str]:
    """The screen as the display shows it: ``rows`` lines of exactly ``columns`` characters.

    A line too long is cut, its last character replaced by ``~`` so that a
    reader sees it was cut (the HD44780 has no ellipsis).
    """
    screen = []
    for line in list(lines)[:rows]:
        line = " ".join(line.split())  # no tabs or newlines on a character display
        if len(line) > columns:
            line = line[: columns - 1] + "~"
        screen.append(line.ljust(columns))
    screen += [" " * columns] * (rows - len(screen))
    return screen


class Display(Protocol):
    """A character display driver: blocking calls, made from one thread at a time."""

    columns: int
    rows: int

    def show(self, screen: list[str]) -> None:
        """Show a screen made by :func:`fit`."""

    def close(self) -> None:
        """Clear the display and release the bus."""


class FakeDisplay:
    """A display for tests and desktops: keeps every screen shown, logs it at DEBUG."""

    def __init__(self, columns: int = 16, rows: int = 2) -> None:
        self.columns, self.rows = columns, rows
        self.screens: list[list[str]] = []
        self.closed = False

    @property
    def current(self) -> list[str] | None:
        return self.screens[-1] if self.screens else None

    def show(self, screen: list[str]) -> None:
        self.screens.append(list(screen))
        logger.debug("LCD: %s", " | ".join(screen))

    def close(self) -> None:
        self.closed = True


class Hd44780Display:
    """An HD44780 display behind a PCF8574 I2C backpack (``RPLCD`` and ``smbus2``).

    After an I2C error the next :meth:`show` opens the display again: a
    display unplugged and plugged back in recovers by itself.
    """

    def __init__(self, address: int = 0x27, columns: int = 16, rows: int = 2, port: int = 1):
        try:
            from RPLCD.i2c import CharLCD
        except ImportError as error:
            raise OSError(
                "the hd44780 LCD driver needs the RPLCD and smbus2 packages: "
                "pip install 'arthexis-bridge[pi]'"
            ) from error
        self._open = lambda: CharLCD(
            "PCF8574", address, port=port, cols=columns, rows=rows, auto_linebreaks=False
        )
        self.columns, self.rows = columns, rows
        self._lcd = None

    def show(self, screen: list[str]) -> None:
        try:
            if self._lcd is None:
                self._lcd = self._open()
                self._lcd.clear()
            for row, line in enumerate(screen):
                self._lcd.cursor_pos = (row, 0)
                self._lcd.write_string(line)
        except Exception:
            self._lcd = None  # open it again next time
            raise

    def close(self) -> None:
        if self._lcd is not None:
            self._lcd.close(clear=True)
            self._lcd = None


def make_display(kind: str, address: int, size: tuple[int, int]) -> Display | None:
    """The display the ``hardware.lcd`` setting names (None for ``none``); raises OSError."""
    columns, rows = size
    if kind == "fake":
        return FakeDisplay(columns, rows)
    if kind == "hd44780":
        return Hd44780Display(address, columns, rows)
    return None
