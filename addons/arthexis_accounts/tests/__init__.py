from . import test_energy_units
from . import test_rfid
from . import test_energy_account
from . import test_vehicle
from . import test_subscription
from . import test_rfid_csv
from . import test_access
from . import test_charging_products
