{
    "name": "Arthexis Accounts",
    "summary": "Energy units, RFID cards, energy accounts and invoicing for EV charging",
    "version": "18.0.1.0.0",
    "category": "Charging",
    "author": "Arthexis",
    "website": "https://github.com/arthexis",
    "license": "LGPL-3",
    "depends": ["account", "product", "uom", "arthexis_nodes"],
    "data": [
        "data/uom_data.xml",
    ],
}
