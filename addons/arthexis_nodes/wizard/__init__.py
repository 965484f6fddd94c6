from . import arthexis_node_api_key
from . import arthexis_node_enrolment_token
