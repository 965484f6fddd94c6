from . import test_bridge_ingest
from . import test_bridge_access
from . import test_charger_validation
from . import test_session_ingest
from . import test_charger_settings
from . import test_dashboard
from . import test_access_rules
from . import test_public_page
