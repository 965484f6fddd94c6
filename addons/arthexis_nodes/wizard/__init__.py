from . import arthexis_node_api_key
