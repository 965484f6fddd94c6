"""The XML-RPC client's own behaviour; talking to a real Odoo is tested end to end."""

import socket
import time

import pytest

from arthexis_bridge.odoo_client import OdooClient, XmlRpcOdooClient


@pytest.fixture
def silent_server():
    """A TCP port that accepts connections and never answers."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"


async def test_a_silent_odoo_times_out_instead_of_hanging(silent_server):
    client: OdooClient = XmlRpcOdooClient(silent_server, "db", "bridge", "key", timeout=0.2)
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        await client.ingest([{"id": "e1"}])
    assert time.monotonic() - started < 5


async def test_an_unreachable_odoo_raises_connection_refused():
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
    client = XmlRpcOdooClient(f"http://127.0.0.1:{port}", "db", "bridge", "key", timeout=5)
    with pytest.raises(ConnectionRefusedError):
        await client.ingest([{"id": "e1"}])


def test_the_api_key_is_not_in_the_clients_repr():
    client = XmlRpcOdooClient("http://odoo.test/", "db", "bridge", "s3cret")
    assert "s3cret" not in repr(client)
    assert client.url == "http://odoo.test"


async def test_pulling_chargers_from_a_silent_odoo_times_out_too(silent_server):
    client: OdooClient = XmlRpcOdooClient(silent_server, "db", "bridge", "key", timeout=0.2)
    with pytest.raises(TimeoutError):
        await client.chargers()
