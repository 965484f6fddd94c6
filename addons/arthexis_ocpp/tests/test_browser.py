"""The dashboard and the map in a real headless Chrome, as staff open them.

Odoo's test runner skips these (and says "Chrome executable not found") on a
machine without Chrome or Chromium; README.md says how to install one.
"""

from odoo.tests import HttpCase, new_test_user, tagged

# Polls the page until ``check()`` returns something truthy; throws after ~10 s
# so a missing element fails the test with its name instead of timing out.
WAIT_FOR = """
const waitFor = async (what, check) => {
    for (let i = 0; i < 100; i++) {
        const found = check();
        if (found) {
            return found;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const page = document.querySelector(".o_content") || document.body;
    throw new Error(`timed out waiting for ${what}; the page: ${page.innerHTML.slice(0, 3000)}`);
};
"""


@tagged("post_install", "-at_install")
class TestChargingScreens(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        new_test_user(
            cls.env,
            login="olga.ops",
            groups="base.group_user,arthexis_nodes.group_charging_user",
        )
        # Chargers reach Odoo through a bridge, so they have a node (the
        # dashboard's default grouping; Odoo folds the "no node" column).
        node = cls.env["arthexis.node"].create({"name": "Harbour edge"})
        chargers = cls.env["ocpp.charger"].with_context(default_node_id=node.id)
        cls.placed = chargers.create(
            {
                "charge_point_id": "MAP-PLACED-1",
                "name": "Harbour charger",
                "latitude": 25.6866,
                "longitude": -100.3161,
            }
        )
        cls.unplaced = chargers.create({"charge_point_id": "MAP-NOWHERE-2", "name": "Yard charger"})
        cls.env["ocpp.connector"].create(
            [
                {"charger_id": cls.placed.id, "connector_number": 1, "status": "Charging"},
                {"charger_id": cls.unplaced.id, "connector_number": 1, "status": "Faulted"},
            ]
        )
        # A closed network: no tile server, pins on a plain background.
        cls.env["ir.config_parameter"].sudo().set_param("arthexis_ocpp.map_tile_url", False)

    def test_the_map_pins_a_charger_and_opens_its_form(self):
        self.assertEqual(self.placed.status, "Charging")
        colour = f'const colour = "{self.placed.status_colour}";\n'
        code = (
            WAIT_FOR
            + colour
            + """
(async () => {
    const pins = await waitFor("one pin", () => {
        const found = document.querySelectorAll(".o_ocpp_map_pin");
        return found.length === 1 && found;
    });
    const count = document.querySelector(".o_ocpp_map_count").textContent;
    if (!/1\\s+on the map/.test(count) || !/1 without coordinates/.test(count)) {
        throw new Error(`wrong count line: ${count}`);
    }
    // Never seen by a bridge: the dashboard's colour for its status, faded as offline.
    if (!pins[0].classList.contains(`text-bg-${colour}`)
        || !pins[0].classList.contains("o_ocpp_map_pin_offline")) {
        throw new Error(`the pin is ${pins[0].className}`);
    }
    if (document.querySelector(".leaflet-tile")) {
        throw new Error("tiles were requested with no tile server configured");
    }
    pins[0].closest(".leaflet-marker-icon").click();
    const popup = await waitFor("the popup", () => document.querySelector(".o_ocpp_map_popup"));
    if (!popup.textContent.includes("Harbour charger")) {
        throw new Error(`popup shows ${popup.textContent}`);
    }
    popup.querySelector(".o_ocpp_map_open").click();
    await waitFor("the charger form", () => {
        const inputs = document.querySelectorAll(".o_form_view input");
        return [...inputs].some((input) => input.value === "MAP-PLACED-1");
    });
    console.log("test successful");
})();
"""
        )
        self.browser_js(
            "/odoo/action-arthexis_ocpp.action_ocpp_charger_map", code, login="olga.ops"
        )

    def test_the_dashboard_shows_each_charger_with_its_status(self):
        code = (
            WAIT_FOR
            + """
(async () => {
    const cards = await waitFor("two charger cards", () => {
        const found = [...document.querySelectorAll(".o_kanban_record:not(.o_kanban_ghost)")];
        return found.length === 2 && found;
    });
    const text = cards.map((card) => card.textContent).join(" | ");
    for (const expected of ["Harbour charger", "Yard charger", "Charging", "Faulted"]) {
        if (!text.includes(expected)) {
            throw new Error(`"${expected}" is not on the dashboard: ${text}`);
        }
    }
    console.log("test successful");
})();
"""
        )
        self.browser_js(
            "/odoo/action-arthexis_ocpp.action_ocpp_charger_dashboard", code, login="olga.ops"
        )
