from . import test_energy_units
from . import test_rfid
