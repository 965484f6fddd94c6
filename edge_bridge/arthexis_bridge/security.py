"""OCPP security profiles at the handshake: who may open ``/ocpp/<id>``.

=======  ==========================================================================
profile  a charger proves it is ``<id>`` by
=======  ==========================================================================
0        nothing (trusted network)
1        HTTP Basic: user name ``<id>``, the password whose hash the registry holds
2        the same, over TLS (``wss://``; the server's ``tls.cert`` and ``tls.key``)
3        a client certificate issued by ``tls.ca`` whose subject CN is ``<id>``
=======  ==========================================================================

A charger the registry gives no password cannot log in under profiles 1 and 2.
The TLS handshake itself refuses a profile 3 client without a certificate from
the CA; :meth:`Authenticator.check` then matches the certificate to the id.
Refusals are HTTP answers (401 with ``WWW-Authenticate`` for missing or wrong
credentials, 403 for a certificate of another charger) and are logged with the
charger id and the reason, never with the password.
"""

from __future__ import annotations

import logging
import ssl
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING

from websockets.exceptions import InvalidHeader
from websockets.headers import build_www_authenticate_basic, parse_authorization_basic

from . import passwords
from .settings import Settings, SettingsError

if TYPE_CHECKING:
    from websockets.asyncio.server import ServerConnection
    from websockets.http11 import Request

    from .chargers import Charger

logger = logging.getLogger(__name__)

REALM = "OCPP"


def server_ssl_context(settings: Settings) -> ssl.SSLContext | None:
    """The TLS context profiles 2 and 3 serve with, None for 0 and 1.

    Raises SettingsError naming the file that is missing or cannot be loaded.
    """
    profile = settings.security_profile
    if profile < 2:
        return None
    if settings.tls_cert is None or settings.tls_key is None:
        raise SettingsError(
            f"security profile {profile} needs ARTHEXIS_BRIDGE_TLS_CERT (tls.cert) and "
            "ARTHEXIS_BRIDGE_TLS_KEY (tls.key)"
        )
    if profile == 3 and settings.tls_ca is None:
        raise SettingsError("security profile 3 needs ARTHEXIS_BRIDGE_TLS_CA (tls.ca)")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    # The OCPP 1.6 security whitepaper asks for TLS 1.2 or later.
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(settings.tls_cert, settings.tls_key)
    except (OSError, ssl.SSLError) as error:
        raise SettingsError(
            f"cannot load the TLS certificate {settings.tls_cert} (tls.cert) with its key "
            f"{settings.tls_key} (tls.key): {_reason(error)}"
        ) from None
    if profile == 3:
        try:
            context.load_verify_locations(cafile=settings.tls_ca)
        except (OSError, ssl.SSLError) as error:
            raise SettingsError(
                f"cannot load the CA certificates {settings.tls_ca} (tls.ca): {_reason(error)}"
            ) from None
        context.verify_mode = ssl.CERT_REQUIRED
    return context


def _reason(error: OSError | ssl.SSLError) -> str:
    if isinstance(error, ssl.SSLError):
        return error.reason or str(error)
    return error.strerror or str(error)


@dataclass(frozen=True)
class Refusal:
    """Why a handshake is refused: the HTTP status, the body, the log line."""

    status: HTTPStatus
    body: str
    reason: str

    @property
    def headers(self) -> dict[str, str]:
        if self.status == HTTPStatus.UNAUTHORIZED:
            return {"WWW-Authenticate": build_www_authenticate_basic(REALM)}
        return {}


class Authenticator:
    """Checks a handshake against the security profile and the charger's registry entry."""

    def __init__(self, profile: int, checker: passwords.PasswordChecker | None = None) -> None:
        self.profile = profile
        self.checker = checker or passwords.PasswordChecker()

    async def check(
        self,
        connection: ServerConnection,
        request: Request,
        charge_point_id: str,
        charger: Charger | None,
    ) -> Refusal | None:
        """None if the charger may connect, else why not."""
        if self.profile in (1, 2):
            return await self._check_basic(request, charge_point_id, charger)
        if self.profile == 3:
            return self._check_certificate(connection, charge_point_id)
        return None

    async def _check_basic(
        self, request: Request, charge_point_id: str, charger: Charger | None
    ) -> Refusal | None:
        headers = request.headers.get_all("Authorization")
        if not headers:
            return _unauthorized("no HTTP Basic credentials")
        if len(headers) > 1:
            return _unauthorized("several Authorization headers")
        try:
            username, password = parse_authorization_basic(headers[0])
        except InvalidHeader:
            return _unauthorized("Authorization is not HTTP Basic credentials")
        if username != charge_point_id:
            return _unauthorized(f"user name {username!r} is not the charge point id")
        if charger is None or charger.password_hash is None:
            where = "not in the charger registry" if charger is None else "no password set"
            return _unauthorized(f"{where}, so it cannot log in (security profile {self.profile})")
        if not passwords.is_hash(charger.password_hash):
            return _unauthorized("its password hash in the registry is not pbkdf2_sha256")
        if not await self.checker.check(charge_point_id, password, charger.password_hash):
            return _unauthorized("wrong password")
        return None

    def _check_certificate(
        self, connection: ServerConnection, charge_point_id: str
    ) -> Refusal | None:
        certificate = connection.transport.get_extra_info("peercert")
        if not certificate:  # the TLS handshake requires one; this is a safety net
            return Refusal(
                HTTPStatus.FORBIDDEN, "A client certificate is required.\n", "no client certificate"
            )
        names = [
            value
            for rdn in certificate.get("subject", ())
            for key, value in rdn
            if key == "commonName"
        ]
        if names != [charge_point_id]:
            return Refusal(
                HTTPStatus.FORBIDDEN,
                "The client certificate's subject CN must be the charge point id.\n",
                f"client certificate for CN {', '.join(names) or '(none)'}",
            )
        return None


def _unauthorized(reason: str) -> Refusal:
    return Refusal(
        HTTPStatus.UNAUTHORIZED,
        "Log in with HTTP Basic: the charge point id as user name and its password.\n",
        reason,
    )
