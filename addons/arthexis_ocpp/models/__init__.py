from . import ocpp_charger
from . import ocpp_connector
from . import ocpp_transaction
from . import ocpp_meter_value
from . import ocpp_event
from . import ocpp_message_log
from . import res_config_settings
from . import arthexis_bridge_api
