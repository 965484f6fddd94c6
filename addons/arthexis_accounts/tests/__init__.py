from . import test_energy_units
