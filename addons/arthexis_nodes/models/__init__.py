from . import arthexis_node
