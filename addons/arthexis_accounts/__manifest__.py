{
    "name": "Arthexis Accounts",
    "summary": "Energy units, RFID cards, energy accounts and invoicing for EV charging",
    "version": "18.0.1.0.0",
    "category": "Charging",
    "author": "Arthexis",
    "website": "https://github.com/arthexis",
    "license": "LGPL-3",
    "depends": ["account", "product", "uom", "mail", "arthexis_nodes"],
    "data": [
        "security/ir.model.access.csv",
        "security/rules.xml",
        "data/uom_data.xml",
        "data/ir_sequence_data.xml",
        "views/arthexis_rfid_views.xml",
    ],
}
