"""The bridge's settings: one frozen object, read once from TOML and the environment.

Every setting has a TOML key and an ``ARTHEXIS_BRIDGE_*`` environment variable;
the environment wins. The names are a contract with users and deploy scripts,
so they are declared once, in :data:`OPTIONS`, which also feeds the CLI help.
An empty environment variable counts as unset (docker compose passes empty
values for variables a ``.env`` file leaves out).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

ENV_PREFIX = "ARTHEXIS_BRIDGE_"
UNKNOWN_CHARGER_POLICIES = ("accept", "pending", "reject")
LOG_FORMATS = ("logfmt", "json")
DEFAULT_DATA_DIR = "~/.local/share/arthexis-bridge"


class SettingsError(Exception):
    """A setting is missing, malformed or inconsistent; the message says what to fix."""


@dataclass(frozen=True)
class OdooSettings:
    """Where and as whom the bridge delivers its events."""

    url: str
    db: str
    login: str
    api_key: str = field(repr=False)


def _default_data_dir() -> Path:
    return Path(DEFAULT_DATA_DIR).expanduser()


@dataclass(frozen=True)
class Settings:
    """Everything the bridge is configured with. Build it with :func:`load_settings`."""

    host: str = "0.0.0.0"
    port: int = 9000
    data_dir: Path = field(default_factory=_default_data_dir)
    odoo: OdooSettings | None = None
    heartbeat_interval: int = 300
    sync_batch_size: int = 500
    sync_lanes: int = 4
    log_format: str = "logfmt"
    max_frame_bytes: int = 65536
    unknown_tags: str = "reject"
    id_tag_case_insensitive: bool = True
    unknown_chargers: str = "accept"
    charger_refresh: int = 60
    auth_refresh: int = 60
    authorize_timeout: float = 2.0
    command_timeout: float = 30.0  # commands.py: seconds a charger has to answer a command
    security_profile: int = 0
    tls_cert: Path | None = None
    tls_key: Path | None = None
    tls_ca: Path | None = None
    frame_log_max: int = 100000
    node_heartbeat: int = 60  # node.py: seconds between the node's heartbeats to Odoo
    # hardware/ (RFID reader, LCD) and the installer's, upgrade's settings
    rfid: str = "none"
    rfid_debounce: float = 2.0
    staff_mode: bool = False
    kiosk_charger: str | None = None  # hardware/kiosk.py: the reader-less charger taps start
    kiosk_connector: int = 0  # its connector; 0: the charger picks a free one
    lcd: str = "none"
    lcd_address: int = 0x27
    lcd_size: tuple[int, int] = (16, 2)
    lcd_cycle: int = 5
    upgrade_channel: str = "stable"
    upgrade_index_url: str | None = None
    enrol_role: str = "satellite"
    enrol_url: str | None = None
    enrol_db: str | None = None
    enrol_token: str | None = field(default=None, repr=False)

    @property
    def standalone(self) -> bool:
        """True when no Odoo is configured: events stay in the outbox."""
        return self.odoo is None

    @property
    def outbox_path(self) -> Path:
        """The SQLite file: the outbox, and beside it the bridge's state (state.py)."""
        return self.data_dir / "bridge.sqlite3"


# Parsers take a raw value (text from the environment, any TOML value) and
# return the typed value or raise ValueError saying what is expected.


def _text(raw: object) -> str | None:
    if not isinstance(raw, str):
        raise ValueError("expected text")
    return raw.strip() or None


def _integer(raw: object, low: int, high: int | None, expected: str) -> int:
    if isinstance(raw, bool):
        raise ValueError(expected)
    if isinstance(raw, str):
        try:
            raw = int(raw.strip())
        except ValueError:
            raise ValueError(expected) from None
    if not isinstance(raw, int) or raw < low or (high is not None and raw > high):
        raise ValueError(expected)
    return raw


def _port(raw: object) -> int:
    return _integer(raw, 0, 65535, "expected a TCP port number from 1 to 65535 (0: any free port)")


def _seconds(raw: object) -> int:
    return _integer(raw, 1, None, "expected a whole number of seconds, at least 1")


def _connector(raw: object) -> int:
    return _integer(raw, 0, None, "expected a connector number: 0 (any) or more")


def _fraction_of_minute(raw: object, *, zero: bool, expected: str) -> float:
    """Seconds as a number up to 60 (``zero``: 0 allowed), like 2 or 0.5."""
    if isinstance(raw, bool):
        raise ValueError(expected)
    try:
        value = float(raw.strip() if isinstance(raw, str) else raw)
    except (TypeError, ValueError):
        raise ValueError(expected) from None
    if not (0 <= value if zero else 0 < value) or value > 60:
        raise ValueError(expected)
    return value


def _timeout(raw: object) -> float:
    return _fraction_of_minute(
        raw,
        zero=False,
        expected="expected a number of seconds above 0 and at most 60, like 2 or 0.5",
    )


def _count(raw: object) -> int:
    return _integer(raw, 1, None, "expected a whole number, at least 1")


def _lanes(raw: object) -> int:
    return _integer(raw, 1, 16, "expected a whole number from 1 to 16")


def _log_format(raw: object) -> str:
    value = (_text(raw) or "").lower()
    if value not in LOG_FORMATS:
        raise ValueError(f"expected one of {', '.join(LOG_FORMATS)}")
    return value


def _count_or_zero(raw: object) -> int:
    return _integer(raw, 0, None, "expected a whole number, at least 0 (0: off)")


def _frame_bytes(raw: object) -> int:
    return _integer(raw, 1024, None, "expected a number of bytes, at least 1024")


def _boolean(raw: object) -> bool:
    if isinstance(raw, bool):
        return raw
    text = raw.strip().lower() if isinstance(raw, str) else None
    if text in ("true", "yes", "on", "1"):
        return True
    if text in ("false", "no", "off", "0"):
        return False
    raise ValueError("expected true or false")


def _accept_or_reject(raw: object) -> str:
    text = raw.strip().lower() if isinstance(raw, str) else None
    if text not in ("accept", "reject"):
        raise ValueError("expected accept or reject")
    return text


def _unknown_chargers(raw: object) -> str:
    text = raw.strip().lower() if isinstance(raw, str) else None
    if text not in UNKNOWN_CHARGER_POLICIES:
        raise ValueError("expected accept, pending or reject")
    return text


def _security_profile(raw: object) -> int:
    return _integer(raw, 0, 3, "expected 0 (none), 1 (Basic), 2 (TLS + Basic) or 3 (mutual TLS)")


def _choice(*choices: str) -> Callable[[object], str]:
    def parse(raw: object) -> str:
        text = raw.strip().lower() if isinstance(raw, str) else None
        if text not in choices:
            raise ValueError(f"expected {', '.join(choices[:-1])} or {choices[-1]}")
        return text

    return parse


def _i2c_address(raw: object) -> int:
    expected = "expected an I2C address from 0x03 to 0x77, like 0x27"
    if isinstance(raw, str):
        try:
            raw = int(raw.strip(), 0)
        except ValueError:
            raise ValueError(expected) from None
    return _integer(raw, 0x03, 0x77, expected)


def _lcd_size(raw: object) -> tuple[int, int]:
    text = raw.strip().lower() if isinstance(raw, str) else None
    if text not in ("16x2", "20x4"):
        raise ValueError("expected 16x2 or 20x4 (columns x rows)")
    columns, rows = text.split("x")
    return int(columns), int(rows)


def _debounce(raw: object) -> float:
    return _fraction_of_minute(
        raw, zero=True, expected="expected a number of seconds from 0 to 60, like 2 or 0.5"
    )


def _path(raw: object) -> Path | None:
    text = _text(raw)
    return Path(text).expanduser() if text else None


def _url(raw: object) -> str | None:
    text = _text(raw)
    if text and not text.startswith(("http://", "https://")):
        raise ValueError(
            "expected an http:// or https:// address, like http://odoo.example.com:8069"
        )
    return text.rstrip("/") if text else None


@dataclass(frozen=True)
class Option:
    """One setting: where it is read from, how it is parsed, what it means."""

    name: str  # internal name: a Settings field, or odoo_<key>
    key: str  # dotted TOML key
    env: str
    parse: Callable[[object], object]
    default: str
    help: str


OPTIONS: tuple[Option, ...] = (
    Option("host", "host", "ARTHEXIS_BRIDGE_HOST", _text, "0.0.0.0", "address chargers connect to"),
    Option("port", "port", "ARTHEXIS_BRIDGE_PORT", _port, "9000", "TCP port chargers connect to"),
    Option(
        "data_dir",
        "data_dir",
        "ARTHEXIS_BRIDGE_DATA_DIR",
        _path,
        DEFAULT_DATA_DIR,
        "directory of the SQLite store (bridge.sqlite3: outbox, transactions, id tags, chargers)",
    ),
    Option("odoo_url", "odoo.url", "ARTHEXIS_BRIDGE_ODOO_URL", _url, "", "Odoo to sync with"),
    Option("odoo_db", "odoo.db", "ARTHEXIS_BRIDGE_ODOO_DB", _text, "", "its database"),
    Option(
        "odoo_login",
        "odoo.login",
        "ARTHEXIS_BRIDGE_ODOO_LOGIN",
        _text,
        "",
        "the node's bridge user",
    ),
    Option(
        "odoo_api_key",
        "odoo.api_key",
        "ARTHEXIS_BRIDGE_ODOO_API_KEY",
        _text,
        "",
        "that user's API key (Odoo shows it once)",
    ),
    Option(
        "heartbeat_interval",
        "heartbeat_interval",
        "ARTHEXIS_BRIDGE_HEARTBEAT_INTERVAL",
        _seconds,
        "300",
        "seconds between heartbeats, told to chargers at boot",
    ),
    Option(
        "sync_batch_size",
        "sync.batch_size",
        "ARTHEXIS_BRIDGE_SYNC_BATCH",
        _count,
        "500",
        "events sent to Odoo per call",
    ),
    Option(
        "sync_lanes",
        "sync.lanes",
        "ARTHEXIS_BRIDGE_SYNC_LANES",
        _lanes,
        "4",
        "ingest calls to Odoo in flight at once; each charger's events keep to one "
        "lane, in order (1-16)",
    ),
    Option(
        "log_format",
        "log_format",
        "ARTHEXIS_BRIDGE_LOG_FORMAT",
        _log_format,
        "logfmt",
        "log lines to stderr: logfmt (key=value, for journald) or json (one object a line)",
    ),
    Option(
        "max_frame_bytes",
        "max_frame_bytes",
        "ARTHEXIS_BRIDGE_MAX_FRAME_BYTES",
        _frame_bytes,
        "65536",
        "largest frame a charger may send; a larger one closes its connection (1009)",
    ),
    Option(
        "unknown_tags",
        "unknown_tags",
        "ARTHEXIS_BRIDGE_UNKNOWN_TAGS",
        _accept_or_reject,
        "reject",
        "accept or reject an id tag the local cache does not know",
    ),
    Option(
        "id_tag_case_insensitive",
        "id_tag_case_insensitive",
        "ARTHEXIS_BRIDGE_ID_TAG_CASE_INSENSITIVE",
        _boolean,
        "true",
        "compare id tags upper-cased (events keep the tag as sent)",
    ),
    Option(
        "unknown_chargers",
        "unknown_chargers",
        "ARTHEXIS_BRIDGE_UNKNOWN_CHARGERS",
        _unknown_chargers,
        "accept",
        "a charge point id not in the charger registry: accept, pending (boot answered "
        "Pending) or reject (HTTP 404 at the handshake)",
    ),
    Option(
        "charger_refresh",
        "charger_refresh",
        "ARTHEXIS_BRIDGE_CHARGER_REFRESH",
        _seconds,
        "60",
        "seconds between pulls of the charger registry from Odoo",
    ),
    Option(
        "auth_refresh",
        "auth_refresh",
        "ARTHEXIS_BRIDGE_AUTH_REFRESH",
        _seconds,
        "60",
        "seconds between pulls of the id tag list from Odoo (changes since the last); "
        "an idle bridge's calls to Odoo add up to one every 10 s at the defaults",
    ),
    Option(
        "authorize_timeout",
        "authorize_timeout",
        "ARTHEXIS_BRIDGE_AUTHORIZE_TIMEOUT",
        _timeout,
        "2",
        "seconds to wait for Odoo's answer on an id tag the cache does not know, "
        "before unknown_tags decides",
    ),
    Option(
        "command_timeout",
        "commands.timeout",
        "ARTHEXIS_BRIDGE_COMMAND_TIMEOUT",
        _timeout,
        "30",
        "seconds a charger has to answer a command from Odoo (Reset, RemoteStart...) "
        "before it is reported timed out",
    ),
    Option(
        "security_profile",
        "security_profile",
        "ARTHEXIS_BRIDGE_SECURITY_PROFILE",
        _security_profile,
        "0",
        "OCPP security profile: 0 none, 1 HTTP Basic, 2 TLS + HTTP Basic, 3 mutual TLS",
    ),
    Option(
        "tls_cert",
        "tls.cert",
        "ARTHEXIS_BRIDGE_TLS_CERT",
        _path,
        "",
        "the server's certificate chain, PEM (profiles 2 and 3)",
    ),
    Option(
        "tls_key",
        "tls.key",
        "ARTHEXIS_BRIDGE_TLS_KEY",
        _path,
        "",
        "its private key, PEM (profiles 2 and 3)",
    ),
    Option(
        "tls_ca",
        "tls.ca",
        "ARTHEXIS_BRIDGE_TLS_CA",
        _path,
        "",
        "the CA certificates chargers' client certificates must chain to (profile 3)",
    ),
    Option(
        "frame_log_max",
        "frame_log_max",
        "ARTHEXIS_BRIDGE_FRAME_LOG_MAX",
        _count_or_zero,
        "100000",
        "OCPP frames the message log keeps (oldest dropped beyond it) until shipped to "
        "Odoo; 0 turns the log off",
    ),
    Option(
        "node_heartbeat",
        "node.heartbeat",
        "ARTHEXIS_BRIDGE_NODE_HEARTBEAT",
        _seconds,
        "60",
        "seconds between the node's heartbeats to Odoo (version, connected chargers, "
        "outbox depth, sync lag), which keep it online on Odoo's node dashboard",
    ),
    Option(
        "rfid",
        "hardware.rfid",
        "ARTHEXIS_BRIDGE_RFID",
        _choice("none", "fake", "mfrc522"),
        "none",
        "RFID reader: none, fake (UIDs written to <data_dir>/rfid-scans, a FIFO) or "
        "mfrc522 (SPI, on a Raspberry Pi: pip install 'arthexis-bridge[pi]')",
    ),
    Option(
        "rfid_debounce",
        "hardware.rfid_debounce",
        "ARTHEXIS_BRIDGE_RFID_DEBOUNCE",
        _debounce,
        "2",
        "seconds a card held on the reader counts as one scan",
    ),
    Option(
        "staff_mode",
        "hardware.staff_mode",
        "ARTHEXIS_BRIDGE_STAFF_MODE",
        _boolean,
        "false",
        "send each scanned card to Odoo (card_scanned) so staff can enrol it",
    ),
    Option(
        "kiosk_charger",
        "hardware.kiosk_charger",
        "ARTHEXIS_BRIDGE_KIOSK_CHARGER",
        _text,
        "",
        "kiosk: the charge point id of a charger without a reader of its own; a card "
        "tapped at the node starts a session there (RemoteStartTransaction), tapped "
        "again stops it",
    ),
    Option(
        "kiosk_connector",
        "hardware.kiosk_connector",
        "ARTHEXIS_BRIDGE_KIOSK_CONNECTOR",
        _connector,
        "0",
        "kiosk: the connector taps start on (0: the charger picks a free one)",
    ),
    Option(
        "lcd",
        "hardware.lcd",
        "ARTHEXIS_BRIDGE_LCD",
        _choice("none", "fake", "hd44780"),
        "none",
        "character LCD: none, fake (logs its screens) or hd44780 (I2C PCF8574 backpack)",
    ),
    Option(
        "lcd_address",
        "hardware.lcd_address",
        "ARTHEXIS_BRIDGE_LCD_ADDRESS",
        _i2c_address,
        "0x27",
        "the LCD's I2C address (bus 1)",
    ),
    Option(
        "lcd_size",
        "hardware.lcd_size",
        "ARTHEXIS_BRIDGE_LCD_SIZE",
        _lcd_size,
        "16x2",
        "the LCD's columns x rows: 16x2 or 20x4",
    ),
    Option(
        "lcd_cycle",
        "hardware.lcd_cycle",
        "ARTHEXIS_BRIDGE_LCD_CYCLE",
        _seconds,
        "5",
        "seconds each LCD screen shows before the next",
    ),
    Option(
        "upgrade_channel",
        "upgrade.channel",
        "ARTHEXIS_BRIDGE_UPGRADE_CHANNEL",
        _choice("fixed", "stable", "unstable", "latest"),
        "stable",
        "what `upgrade` installs: fixed (nothing), stable (final releases), unstable or "
        "latest (pre-releases too)",
    ),
    Option(
        "upgrade_index_url",
        "upgrade.index_url",
        "ARTHEXIS_BRIDGE_UPGRADE_INDEX_URL",
        _text,
        "",
        "package index `upgrade` installs from (default: pip's)",
    ),
    Option(
        "enrol_role",
        "enrol.role",
        "ARTHEXIS_BRIDGE_ENROL_ROLE",
        _choice("terminal", "control", "satellite", "watchtower"),
        "satellite",
        "the role this node enrols with: terminal, control, satellite or watchtower",
    ),
    Option(
        "enrol_url",
        "enrol.url",
        "ARTHEXIS_BRIDGE_ENROL_URL",
        _url,
        "",
        "the Odoo this node enrols with (written by the installer's --odoo-url)",
    ),
    Option(
        "enrol_db",
        "enrol.db",
        "ARTHEXIS_BRIDGE_ENROL_DB",
        _text,
        "",
        "its database (the installer's --odoo-db)",
    ),
    Option(
        "enrol_token",
        "enrol.token",
        "ARTHEXIS_BRIDGE_ENROL_TOKEN",
        _text,
        "",
        "the one-time enrolment token created in Odoo (the installer's --enrol-token)",
    ),
)

ODOO_KEYS = ("url", "db", "login", "api_key")


def describe() -> str:
    """The settings table for --help: environment variable, TOML key, default, meaning."""
    rows = [("environment", "TOML key", "default", "meaning")]
    rows += [(o.env, o.key, o.default or "-", o.help) for o in OPTIONS]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True))
        + "  "
        + row[3]
        for row in rows
    ]
    return "\n".join("  " + line for line in lines)


def _read_toml(path: Path) -> dict:
    try:
        with path.open("rb") as file:
            return tomllib.load(file)
    except FileNotFoundError:
        raise SettingsError(f"config file {path} does not exist; check --config") from None
    except OSError as error:
        raise SettingsError(f"cannot read config file {path}: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(f"config file {path} is not valid TOML: {error}") from None


def _toml_value(table: Mapping, key: str) -> object:
    node: object = table
    for part in key.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def _check_known_keys(table: Mapping, path: Path) -> None:
    known = {o.key for o in OPTIONS}
    sections = {k.split(".")[0] for k in known if "." in k}
    found = []
    for key, value in table.items():
        if key in sections and isinstance(value, Mapping):
            found.extend(f"{key}.{sub}" for sub in value)
        else:
            found.append(key)
    unknown = sorted(set(found) - known)
    if unknown:
        raise SettingsError(
            f"config file {path} has unknown setting(s) {', '.join(unknown)}; "
            f"known settings are {', '.join(o.key for o in OPTIONS)}"
        )


def load_settings(
    config_path: str | os.PathLike | None = None,
    environ: Mapping[str, str] = os.environ,
) -> Settings:
    """Read the TOML file (if given), then the environment, which wins; validate all.

    Raises SettingsError naming the setting and what to fix.
    """
    path = Path(config_path) if config_path is not None else None
    table = _read_toml(path) if path else {}
    if path:
        _check_known_keys(table, path)

    values: dict[str, object] = {}
    for option in OPTIONS:
        raw, where = environ.get(option.env), option.env
        if raw is None or not raw.strip():
            raw, where = _toml_value(table, option.key), f"{option.key} in {path}"
        if raw is None:
            continue
        try:
            value = option.parse(raw)
        except ValueError as error:
            raise SettingsError(f"{where} is {raw!r}: {error}") from None
        if value is not None:
            values[option.name] = value

    odoo = {key: values.pop(f"odoo_{key}", None) for key in ODOO_KEYS}
    missing = [o for o in OPTIONS if o.name.startswith("odoo_") and not odoo[o.name[5:]]]
    if len(missing) == len(ODOO_KEYS):
        values["odoo"] = None
    elif missing:
        names = ", ".join(f"{o.env} ({o.key})" for o in missing)
        raise SettingsError(
            f"Odoo is only partly configured: {names} not set. Set all four Odoo settings "
            "to sync with Odoo, or none to run standalone."
        )
    else:
        values["odoo"] = OdooSettings(**odoo)
    settings = Settings(**values)
    check_tls(settings)
    check_kiosk(settings)
    return settings


def check_kiosk(settings: Settings) -> None:
    """SettingsError unless a kiosk has a reader, and a tap means one thing."""
    if settings.kiosk_charger is None:
        return
    if settings.rfid == "none":
        raise SettingsError(
            "ARTHEXIS_BRIDGE_KIOSK_CHARGER (hardware.kiosk_charger) is set, but the node has "
            "no RFID reader: set hardware.rfid to mfrc522 (or fake), or unset the kiosk charger"
        )
    if settings.staff_mode:
        raise SettingsError(
            "hardware.staff_mode and hardware.kiosk_charger are both set: a tap either enrols "
            "a card (staff mode) or starts a session (kiosk); choose one"
        )


def check_tls(settings: Settings) -> None:
    """SettingsError unless the certificates the security profile needs are configured."""
    needed = []
    if settings.security_profile >= 2:
        needed += ["tls_cert", "tls_key"]
    if settings.security_profile == 3:
        needed.append("tls_ca")
    missing = [o for o in OPTIONS if o.name in needed and getattr(settings, o.name) is None]
    if missing:
        names = ", ".join(f"{o.env} ({o.key})" for o in missing)
        raise SettingsError(
            f"security profile {settings.security_profile} serves chargers over TLS, "
            f"but {names} not set: set them to PEM files, or choose profile 0 or 1"
        )
