{
    "name": "Arthexis Nodes",
    "summary": "Edge bridges and Odoo instances of an Arthexis charging network; "
    "the Charging app's menu and groups",
    "version": "18.0.1.1.0",
    "category": "Charging",
    "author": "Arthexis",
    "website": "https://github.com/arthexis",
    "license": "LGPL-3",
    "depends": ["base", "mail"],
    "data": [
        "security/groups.xml",
        "security/ir.model.access.csv",
        "security/rules.xml",
        "data/arthexis_node_feature_data.xml",
        "wizard/arthexis_node_api_key_views.xml",
        "wizard/arthexis_node_enrolment_token_views.xml",
        "views/arthexis_nginx_template_views.xml",
        "views/arthexis_node_views.xml",
        "views/arthexis_recipe_views.xml",
        "views/res_config_settings_views.xml",
        "views/menus.xml",
    ],
}
