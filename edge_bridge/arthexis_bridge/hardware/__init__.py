"""The node's own hardware: an RFID reader and a character LCD.

Each sits behind a small driver interface with a real driver (loaded only on
a Raspberry Pi, from the ``pi`` extra) and a fake one for tests and desktops.
Drivers are plain blocking code; :mod:`.node` runs them in threads so the
event loop never waits on SPI or I2C.
"""

from .lcd import Display, FakeDisplay, Hd44780Display, make_display
from .rfid import FakeReader, Mfrc522Reader, Reader, Scanner, make_reader, normalize_uid

__all__ = [
    "Display",
    "FakeDisplay",
    "FakeReader",
    "Hd44780Display",
    "Mfrc522Reader",
    "Reader",
    "Scanner",
    "make_display",
    "make_reader",
    "normalize_uid",
]
