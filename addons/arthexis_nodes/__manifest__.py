{
    "name": "Arthexis Nodes",
    "summary": "Edge bridges and Odoo instances of an Arthexis charging network; "
    "the Charging app's menu and groups",
    "version": "18.0.1.0.0",
    "category": "Charging",
    "author": "Arthexis",
    "website": "https://github.com/arthexis",
    "license": "LGPL-3",
    "depends": ["base", "mail"],
    "data": [
        "security/groups.xml",
        "security/ir.model.access.csv",
        "security/rules.xml",
        "wizard/arthexis_node_api_key_views.xml",
        "views/arthexis_node_views.xml",
        "views/menus.xml",
    ],
}
