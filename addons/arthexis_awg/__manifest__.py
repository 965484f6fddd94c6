{
    "name": "Arthexis AWG",
    "summary": "AWG conductor tables, EMT conduit fill and EV circuit cable sizing",
    "version": "18.0.1.0.0",
    "category": "Charging",
    "author": "Arthexis",
    "website": "https://github.com/arthexis",
    "license": "LGPL-3",
    "depends": ["arthexis_nodes"],
    "data": [
        "security/ir.model.access.csv",
        "data/arthexis.awg.cable.csv",
        "data/arthexis.awg.conduit.fill.csv",
        "views/arthexis_awg_cable_views.xml",
        "views/arthexis_awg_conduit_fill_views.xml",
        "wizard/arthexis_awg_calculator_views.xml",
        "views/menus.xml",
    ],
}
