from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import HttpCase, TransactionCase, tagged

OSM = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
# What static/src/map/charger_map.js reads, with the same domain.
MAP_DOMAIN = ["|", ("latitude", "!=", 0), ("longitude", "!=", 0)]
MAP_FIELDS = [
    "display_name",
    "charge_point_id",
    "status",
    "status_colour",
    "connector_badges",
    "active_power_kw",
    "is_online",
    "latitude",
    "longitude",
]


class MapCase(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        users = cls.env["res.users"].with_context(no_reset_password=True)
        cls.company_a = cls.env.company
        cls.company_b = cls.env["res.company"].create({"name": "Depot Charging B"})
        cls.user = users.create(
            {
                "name": "Ana of A",
                "login": "ana.map",
                "company_id": cls.company_a.id,
                "company_ids": [Command.set(cls.company_a.ids)],
                "groups_id": [Command.set(cls.env.ref("arthexis_nodes.group_charging_user").ids)],
            }
        )
        cls.outsider = users.create(
            {
                "name": "Sam Sales",
                "login": "sam.map",
                "groups_id": [Command.set(cls.env.ref("base.group_user").ids)],
            }
        )


@tagged("post_install", "-at_install")
class TestChargerMap(MapCase):
    def test_the_map_is_a_charging_menu_a_charging_user_opens(self):
        action = self.env.ref("arthexis_ocpp.action_ocpp_charger_map")
        menu = self.env.ref("arthexis_ocpp.menu_ocpp_charger_map")
        self.assertEqual(menu.parent_id, self.env.ref("arthexis_nodes.menu_charging_root"))
        menus = self.env["ir.ui.menu"].with_user(self.user).load_web_menus(False)
        self.assertEqual(
            (menus[menu.id]["actionModel"], menus[menu.id]["actionID"]),
            ("ir.actions.client", action.id),
        )
        outsider_menus = self.env["ir.ui.menu"].with_user(self.outsider).load_web_menus(False)
        self.assertNotIn(menu.id, outsider_menus)

    def test_the_dashboard_has_a_map_button(self):
        views = (
            self.env["ocpp.charger"]
            .with_user(self.user)
            .get_views([(self.env.ref("arthexis_ocpp.view_ocpp_charger_kanban").id, "kanban")])
        )
        arch = views["views"]["kanban"]["arch"]
        action = self.env.ref("arthexis_ocpp.action_ocpp_charger_map")
        self.assertIn(f'name="{action.id}"', arch)
        self.assertIn('string="Map"', arch)

    def test_the_map_shows_the_chargers_of_the_users_companies_with_coordinates(self):
        Charger = self.env["ocpp.charger"]
        ours = Charger.create({"charge_point_id": "CP-A", "latitude": 41.3851, "longitude": 2.1734})
        Charger.create({"charge_point_id": "CP-A-NOWHERE"})
        Charger.create(
            {
                "charge_point_id": "CP-B",
                "company_id": self.company_b.id,
                "latitude": 48.8566,
                "longitude": 2.3522,
            }
        )
        self.env["ocpp.connector"].create(
            [
                {"charger_id": ours.id, "connector_number": 1, "status": "Faulted"},
                {"charger_id": ours.id, "connector_number": 2, "status": "Available"},
            ]
        )
        [row] = Charger.with_user(self.user).search_read(MAP_DOMAIN, MAP_FIELDS)
        self.assertEqual(row["charge_point_id"], "CP-A")
        self.assertEqual((row["status"], row["status_colour"]), ("Faulted", "danger"))
        self.assertEqual(row["connector_badges"].count("badge"), 2)
        self.assertAlmostEqual(row["latitude"], 41.3851)
        # Both companies for a user allowed both: the other pin appears.
        self.user.company_ids = self.company_a | self.company_b
        both = Charger.with_user(self.user).with_context(
            allowed_company_ids=(self.company_a | self.company_b).ids
        )
        self.assertEqual(
            sorted(r["charge_point_id"] for r in both.search_read(MAP_DOMAIN, ["charge_point_id"])),
            ["CP-A", "CP-B"],
        )

    def test_pins_take_the_dashboard_colours(self):
        charger = self.env["ocpp.charger"].create({"charge_point_id": "CP-1"})
        self.assertEqual(charger.status_colour, "secondary", "no connector yet: unknown")
        connector = self.env["ocpp.connector"].create(
            {"charger_id": charger.id, "connector_number": 1, "status": "Available"}
        )
        for status, colour in (("Charging", "primary"), ("Faulted", "danger")):
            connector.status = status
            self.assertEqual(charger.status_colour, colour)
            self.assertIn(f"text-bg-{colour}", charger.connector_badges)


@tagged("post_install", "-at_install")
class TestMapTiles(MapCase):
    def settings(self, **values):
        self.env["res.config.settings"].create(values).execute()

    def tile_layer(self):
        return self.env["ocpp.charger.map"].with_user(self.user).tile_layer()

    def test_a_new_database_draws_openstreetmap_tiles_with_their_credit(self):
        tiles = self.tile_layer()
        self.assertEqual(tiles["url"], OSM)
        self.assertIn("OpenStreetMap", tiles["attribution"])
        form = self.env["res.config.settings"].create({})
        self.assertEqual(form.arthexis_map_tile_url, OSM)

    def test_the_tile_settings_round_trip(self):
        self.settings(
            arthexis_map_tile_url="https://tiles.example.com/{z}/{x}/{y}.png",
            arthexis_map_tile_attribution="Example tiles",
        )
        self.assertEqual(
            self.tile_layer(),
            {"url": "https://tiles.example.com/{z}/{x}/{y}.png", "attribution": "Example tiles"},
        )
        form = self.env["res.config.settings"].create({})
        self.assertEqual(form.arthexis_map_tile_url, "https://tiles.example.com/{z}/{x}/{y}.png")
        self.assertEqual(form.arthexis_map_tile_attribution, "Example tiles")

    def test_an_emptied_tile_url_stays_empty_for_a_closed_network(self):
        self.settings(arthexis_map_tile_url="", arthexis_map_tile_attribution="")
        self.assertEqual(self.tile_layer(), {"url": False, "attribution": ""})
        form = self.env["res.config.settings"].create({})
        self.assertFalse(form.arthexis_map_tile_url, "not the OpenStreetMap default again")

    def test_a_local_tile_server_path_is_accepted(self):
        self.settings(arthexis_map_tile_url="/tiles/{z}/{x}/{y}.png")
        self.assertEqual(self.tile_layer()["url"], "/tiles/{z}/{x}/{y}.png")

    def test_a_url_that_is_no_tile_template_is_refused_with_a_readable_message(self):
        for bad in ("tile.openstreetmap.org/{z}/{x}/{y}.png", "https://tiles.example.com/map.png"):
            with (
                self.subTest(url=bad),
                self.assertRaisesRegex(ValidationError, r"\{z\}, \{x\} and \{y\}"),
                self.cr.savepoint(),
            ):
                self.settings(arthexis_map_tile_url=bad)
        self.assertEqual(self.tile_layer()["url"], OSM, "the refused URL was not stored")

    def test_only_charging_users_get_the_tile_settings(self):
        with self.assertRaises(AccessError):
            self.env["ocpp.charger.map"].with_user(self.outsider).tile_layer()


@tagged("post_install", "-at_install")
class TestMapAssets(HttpCase):
    def test_a_charging_user_loads_the_map_action_as_the_web_client_does(self):
        self.env["res.users"].with_context(no_reset_password=True).create(
            {
                "name": "Ana",
                "login": "ana.web",
                "password": "ana.web.pass",
                "groups_id": [Command.set(self.env.ref("arthexis_nodes.group_charging_user").ids)],
            }
        )
        self.authenticate("ana.web", "ana.web.pass")
        action = self.make_jsonrpc_request(
            "/web/action/load", {"action_id": "arthexis_ocpp.action_ocpp_charger_map"}
        )
        self.assertEqual(
            (action["type"], action["tag"]), ("ir.actions.client", "arthexis_ocpp.charger_map")
        )
        tiles = self.make_jsonrpc_request(
            "/web/dataset/call_kw/ocpp.charger.map/tile_layer",
            {"model": "ocpp.charger.map", "method": "tile_layer", "args": [], "kwargs": {}},
        )
        self.assertEqual(tiles["url"], OSM)

    def test_leaflet_is_served_by_odoo_itself(self):
        for path, marker in (
            ("leaflet.js", b"Leaflet 1.9.4"),
            ("leaflet.css", b".leaflet-container"),
            ("images/marker-icon.png", b"\x89PNG"),
        ):
            with self.subTest(path=path):
                response = self.url_open(f"/arthexis_ocpp/static/lib/leaflet/{path}")
                self.assertEqual(response.status_code, 200)
                self.assertIn(marker, response.content[:5000])

    def test_the_backend_bundle_with_the_map_compiles_without_errors(self):
        bundle = self.env["ir.qweb"]._get_asset_bundle("web.assets_backend", css=False)
        with self.assertNoLogs("odoo.addons.base.models.assetsbundle", "WARNING"):
            js = bundle.js().raw.decode()
        self.assertIn("@arthexis_ocpp/map/charger_map", js)
        self.assertIn('"arthexis_ocpp.charger_map"', js)
        self.assertIn("arthexis_ocpp.ChargerMap", js, "the map's template is in the bundle")
        self.assertNotIn("in file '/arthexis_ocpp/", js, "no asset error of this addon")
        styles = self.env["ir.qweb"]._get_asset_bundle("web.assets_backend", js=False)
        css = styles.css().raw.decode()
        self.assertEqual(styles.css_errors, [])
        self.assertIn(".o_ocpp_map_pin_offline", css)
