from . import arthexis_awg_cable
from . import arthexis_awg_conduit_fill
