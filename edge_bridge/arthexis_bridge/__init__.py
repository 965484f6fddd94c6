"""Arthexis edge bridge: an asyncio OCPP central system for the edge.

Charge points connect over websockets; every frame the bridge acknowledges is
first committed to a local SQLite outbox, then delivered to Odoo in batches.
"""

__version__ = "0.1.0"
