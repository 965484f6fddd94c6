from . import arthexis_release
