"""Finding and driving the real parts the test tiers need: PostgreSQL and Odoo 18."""
