from . import test_node_api_key
from . import test_node_validation
from . import test_views_render
