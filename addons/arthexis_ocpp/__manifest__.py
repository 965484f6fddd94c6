{
    "name": "Arthexis Charging",
    "summary": "OCPP charge points, connectors and the edge bridge API",
    "version": "18.0.1.0.0",
    "category": "Charging",
    "author": "Arthexis",
    "website": "https://github.com/arthexis",
    "license": "LGPL-3",
    "depends": ["bus", "mail", "arthexis_accounts", "arthexis_nodes"],
    "data": [
        "security/ir.model.access.csv",
        "security/rules.xml",
        "views/ocpp_connector_views.xml",
        "views/ocpp_transaction_views.xml",
        "views/ocpp_charger_views.xml",
        "views/ocpp_event_views.xml",
        "views/menus.xml",
    ],
    "assets": {
        "web.assets_backend": ["arthexis_ocpp/static/src/views/*.js"],
    },
    "application": True,
}
