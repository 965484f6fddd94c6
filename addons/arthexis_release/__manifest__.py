{
    "name": "Arthexis Release",
    "summary": "Releases of the Arthexis software and the upgrade channels nodes follow",
    "version": "18.0.1.0.0",
    "category": "Charging",
    "author": "Arthexis",
    "website": "https://github.com/arthexis",
    "license": "LGPL-3",
    "depends": ["arthexis_nodes"],
    "external_dependencies": {"python": ["packaging"]},
    "data": [
        "security/ir.model.access.csv",
        "views/arthexis_release_views.xml",
        "views/menus.xml",
    ],
}
