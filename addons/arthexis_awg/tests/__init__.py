from . import test_cable_sizing
from . import test_calculator_validation
from . import test_conduit_fill
from . import test_reference_tables
