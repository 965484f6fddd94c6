from . import test_node_api_key
from . import test_node_validation
