from . import arthexis_node
from . import arthexis_node_feature
from . import arthexis_node_enrolment
from . import arthexis_nginx_template
from . import arthexis_recipe
from . import arthexis_recipe_step
from . import arthexis_recipe_run
from . import res_config_settings
