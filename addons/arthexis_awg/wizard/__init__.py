from . import arthexis_awg_calculator
