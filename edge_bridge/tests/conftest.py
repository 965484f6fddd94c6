"""Shared fixtures: a real bridge on loopback (port 0) with its data in tmp_path."""

import pytest

from arthexis_bridge.app import Bridge
from arthexis_bridge.settings import Settings

from .helpers import HEARTBEAT_INTERVAL


@pytest.fixture
def settings(tmp_path):
    return Settings(
        host="127.0.0.1",
        port=0,
        data_dir=tmp_path / "data",
        heartbeat_interval=HEARTBEAT_INTERVAL,
    )


@pytest.fixture
async def bridge(settings):
    async with Bridge(settings) as running:
        yield running


@pytest.fixture
def url(bridge):
    """Base URL for chargers: append /<charge point id>."""
    return f"ws://127.0.0.1:{bridge.port}/ocpp"
