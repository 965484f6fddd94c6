"""Security profiles at the handshake, over real sockets: Basic, TLS + Basic, mutual TLS."""

import dataclasses
import logging
import ssl

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidHandshake, InvalidStatus
from websockets.headers import build_authorization_basic

from arthexis_bridge import chargers
from arthexis_bridge.app import Bridge
from arthexis_bridge.chargers import Charger
from arthexis_bridge.passwords import hash_password
from arthexis_bridge.settings import SettingsError
from arthexis_bridge.simulator import SimulatedCharger

from .certificates import issue
from .test_passwords import ODOO_HASH

PASSWORD = "s3cret"


@pytest.fixture
def registry():
    """The chargers the test bridges know."""
    return [
        Charger("CP-1", password_hash=hash_password(PASSWORD, iterations=1000)),
        Charger("ODOO-7", password_hash=ODOO_HASH),  # made by Odoo, 100,000 iterations
        Charger("NO-PW"),  # no password set
    ]


async def start_bridge(settings, registry, **changes):
    bridge = Bridge(dataclasses.replace(settings, **changes))
    await bridge.start()
    await bridge.state.run(chargers.replace_all, registry)
    return bridge


@pytest.fixture
async def basic_bridge(settings, registry):
    bridge = await start_bridge(settings, registry, security_profile=1)
    yield bridge
    await bridge.stop()


def basic(user, password):
    return {"Authorization": build_authorization_basic(user, password)}


async def refused(url, **options):
    """The HTTP response of a refused handshake."""
    with pytest.raises(InvalidStatus) as caught:
        async with connect(url, subprotocols=["ocpp1.6"], **options):
            pass
    return caught.value.response


async def test_profile_1_lets_in_a_charger_with_its_password(basic_bridge):
    url = f"ws://127.0.0.1:{basic_bridge.port}/ocpp"
    async with SimulatedCharger(url, "CP-1", password=PASSWORD) as charger:
        assert (await charger.boot()).status == "Accepted"
    # A hash made by Odoo checks at the edge.
    async with SimulatedCharger(url, "ODOO-7", password="Borne-7 mot de passe") as charger:
        assert (await charger.boot()).status == "Accepted"


@pytest.mark.parametrize(
    ("path", "headers", "reason"),
    [
        ("CP-1", {}, "no HTTP Basic credentials"),
        ("CP-1", basic("CP-1", "wrong"), "wrong password"),
        ("CP-1", basic("ODOO-7", "Borne-7 mot de passe"), "user name 'ODOO-7' is not"),
        ("CP-1", {"Authorization": "Bearer abc"}, "not HTTP Basic credentials"),
        ("NO-PW", basic("NO-PW", ""), "no password set"),
        ("UNKNOWN", basic("UNKNOWN", PASSWORD), "not in the charger registry"),
    ],
)
async def test_profile_1_refuses_missing_or_wrong_credentials_with_401(
    basic_bridge, path, headers, reason, caplog
):
    response = await refused(
        f"ws://127.0.0.1:{basic_bridge.port}/ocpp/{path}", additional_headers=headers
    )
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith('Basic realm="OCPP"')
    assert f"charger {path} refused from 127.0.0.1" in caplog.text
    assert reason in caplog.text
    assert "wrong" not in caplog.text.replace("wrong password", "")  # no password logged
    assert not basic_bridge.server.chargers


async def test_the_password_is_checked_with_pbkdf2_once_for_reconnects(basic_bridge):
    url = f"ws://127.0.0.1:{basic_bridge.port}/ocpp"
    for _ in range(3):
        async with SimulatedCharger(url, "ODOO-7", password="Borne-7 mot de passe") as charger:
            await charger.heartbeat()
    assert basic_bridge.server._authenticator.checker.computed == 1


@pytest.fixture
def server_certificate(tmp_path):
    """A self-signed certificate for 127.0.0.1, and a client context trusting it."""
    cert, key = issue(tmp_path, "server", "127.0.0.1", server=True)
    client = ssl.create_default_context(cafile=cert)
    return cert, key, client


async def test_profile_2_serves_basic_auth_over_tls(settings, registry, server_certificate):
    cert, key, client = server_certificate
    bridge = await start_bridge(settings, registry, security_profile=2, tls_cert=cert, tls_key=key)
    try:
        assert bridge.server.scheme == "wss"
        url = f"wss://127.0.0.1:{bridge.port}/ocpp"
        async with SimulatedCharger(url, "CP-1", password=PASSWORD, ssl=client) as charger:
            assert (await charger.boot()).status == "Accepted"
        response = await refused(f"{url}/CP-1", ssl=client, additional_headers=basic("CP-1", "x"))
        assert response.status_code == 401
        # Plain ws:// gets no websocket at all.
        with pytest.raises((InvalidHandshake, OSError)):
            async with connect(f"ws://127.0.0.1:{bridge.port}/ocpp/CP-1", open_timeout=5):
                pass
    finally:
        await bridge.stop()


async def test_profile_2_without_certificates_refuses_to_start(settings, tmp_path):
    with pytest.raises(SettingsError, match="ARTHEXIS_BRIDGE_TLS_CERT"):
        Bridge(dataclasses.replace(settings, security_profile=2))
    missing = tmp_path / "absent.pem"
    with pytest.raises(SettingsError, match=r"cannot load the TLS certificate .*absent\.pem"):
        Bridge(dataclasses.replace(settings, security_profile=2, tls_cert=missing, tls_key=missing))


@pytest.fixture
def authority(tmp_path):
    """A CA, the bridge's certificate from it, and client certificates for CP-1 and CP-2."""
    ca = issue(tmp_path, "ca", "Arthexis test CA", ca=True)
    server = issue(tmp_path, "server", "127.0.0.1", issuer=ca, server=True)
    clients = {}
    for cp_id in ("CP-1", "CP-2"):
        cert, key = issue(tmp_path, cp_id, cp_id, issuer=ca)
        context = ssl.create_default_context(cafile=ca[0])
        context.load_cert_chain(cert, key)
        clients[cp_id] = context
    return ca, server, clients


async def test_profile_3_lets_in_the_certificate_whose_cn_is_the_id(
    settings, authority, caplog, tmp_path
):
    caplog.set_level(logging.INFO, logger="arthexis_bridge")
    ca, (cert, key), clients = authority
    bridge = await start_bridge(
        settings, [], security_profile=3, tls_cert=cert, tls_key=key, tls_ca=ca[0]
    )
    try:
        url = f"wss://127.0.0.1:{bridge.port}/ocpp"
        # No Basic auth, and not in the registry: unknown_chargers accept lets it in.
        async with SimulatedCharger(url, "CP-1", ssl=clients["CP-1"]) as charger:
            assert (await charger.boot()).status == "Accepted"
        # CP-2's certificate does not open CP-1.
        response = await refused(f"{url}/CP-1", ssl=clients["CP-2"])
        assert response.status_code == 403
        assert "client certificate for CN CP-2" in caplog.text
        # No client certificate, or one from another CA: the TLS handshake fails.
        anonymous = ssl.create_default_context(cafile=ca[0])
        stranger = issue(tmp_path, "stranger", "CP-1")
        foreign = ssl.create_default_context(cafile=ca[0])
        foreign.load_cert_chain(*stranger)
        for context in (anonymous, foreign):
            with pytest.raises((InvalidHandshake, OSError)):
                async with connect(f"{url}/CP-1", ssl=context, open_timeout=5) as websocket:
                    await websocket.recv()
        assert not bridge.server.chargers
    finally:
        await bridge.stop()


async def test_profile_3_without_a_ca_refuses_to_start(settings, authority):
    _, (cert, key), _ = authority
    with pytest.raises(SettingsError, match="ARTHEXIS_BRIDGE_TLS_CA"):
        Bridge(dataclasses.replace(settings, security_profile=3, tls_cert=cert, tls_key=key))
