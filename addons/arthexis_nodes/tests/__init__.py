from . import test_node_api_key
from . import test_node_validation
from . import test_node_roles
from . import test_heartbeat
from . import test_enrolment
from . import test_nginx
from . import test_recipes
from . import test_views_render
