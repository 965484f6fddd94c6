from odoo.addons.arthexis_nodes.tests.common import ChargingUsersCase


class CalculatorCase(ChargingUsersCase):
    """Sizes circuits as a charging user would, from the calculator."""

    def size(self, **values):
        """A saved calculator for a 240 V single-phase copper circuit at 75 °C, 3 % drop."""
        defaults = {
            "load_type": "current",
            "voltage_v": 240.0,
            "phases": "1",
            "material": "copper",
            "temperature": "75",
            "max_drop_pct": 3.0,
            "conduit_type": "emt",
        }
        calculator = self.env["arthexis.awg.calculator"].with_user(self.user)
        return calculator.create(dict(defaults, **values))

    def cable(self, size, material="copper"):
        return self.env["arthexis.awg.cable"].search(
            [("size", "=", size), ("material", "=", material)]
        )
