"""The ``arthexis-bridge`` command: ``run`` the bridge, keep its id ``tags`` and
its ``chargers``, ``simulate`` charge points.

Nothing imports this module; it imports the rest.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sqlite3
import sys

from . import (
    __version__,
    auth,
    chargers,
    install,
    logs,
    node_commands,
    passwords,
    settings,
    state,
    upgrade,
)
from .app import Bridge
from .outbox import OutboxError
from .settings import SettingsError, load_settings
from .simulator import SimulatedCharger
from .state import StateError

SETTINGS_HELP = f"""\
settings (environment variables win over the TOML file given with --config;
an empty variable counts as unset):

{settings.describe()}

log lines (stderr, one record a line; log_format logfmt or json) have ts, level,
logger, event (connected, disconnected, call_error, refused, sync_failed, ...),
msg, and where relevant charger (charge point id), action, message_id, code:
  ts=2026-11-22T10:00:00.000Z level=info logger=arthexis_bridge.server
  event=connected msg="charger CP-1 connected from 10.0.0.7 (ocpp1.6)" charger=CP-1 ...

Without the four Odoo settings the bridge runs standalone and keeps every
event in its data directory until Odoo is configured; set all four to sync.

security profiles (OCPP 1.6 security whitepaper):
  0  no authentication (a trusted network)
  1  HTTP Basic: user name = charge point id, password from the charger registry
  2  the same over TLS (wss://): needs tls.cert and tls.key
  3  mutual TLS: also tls.ca; the client certificate's subject CN = charge point id
With Odoo configured, the charger registry (registration, password, RFID) is
pulled from Odoo every charger_refresh seconds; standalone, keep it with
"arthexis-bridge chargers".

example TOML file:
  host = "0.0.0.0"
  port = 9000
  data_dir = "/var/lib/arthexis-bridge"
  heartbeat_interval = 300
  unknown_tags = "reject"
  unknown_chargers = "pending"
  security_profile = 2
  log_format = "logfmt"
  [tls]
  cert = "/etc/arthexis-bridge/server.pem"
  key = "/etc/arthexis-bridge/server.key"
  [odoo]
  url = "https://odoo.example.com"
  db = "arthexis"
  login = "bridge-1"
  api_key = "..."
  [sync]
  batch_size = 500
  lanes = 4
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="arthexis-bridge",
        description="Arthexis edge bridge: serves OCPP charge points at "
        "ws(s)://<host>:<port>/ocpp/<charge point id>, commits every event to a local "
        "SQLite outbox and delivers it to Odoo.",
        epilog=SETTINGS_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser(
        "run",
        help="serve charge points (SIGTERM or Ctrl-C stops gracefully)",
        description="Serve charge points until SIGTERM or SIGINT, then stop gracefully.",
        epilog=SETTINGS_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument("--config", metavar="FILE", help="TOML settings file")
    run.add_argument(
        "--log-level",
        default="INFO",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="log level (default INFO; DEBUG also logs every OCPP frame)",
    )

    _add_tags_parser(commands)
    _add_chargers_parser(commands)
    node_commands.add_parsers(commands)  # enrol, nginx, recipe
    # install and uninstall parse their own flags (install.py): listed here for --help.
    for name, what in (
        ("install", "install or update the bridge as a systemd service (see install --help)"),
        ("uninstall", "remove the service, keeping the data unless --purge"),
    ):
        commands.add_parser(name, help=what, add_help=False).add_argument(
            "flags", nargs=argparse.REMAINDER
        )
    upgrade.add_parser(commands)

    simulate = commands.add_parser(
        "simulate",
        help="run simulated OCPP 1.6 charge points against a central system",
        description="Connect simulated OCPP 1.6 charge points: each boots, reports its "
        "connectors Available, charges --sessions sessions one after another, then sends "
        "heartbeats until the duration is over. Connectors charge at 11 kW.",
    )
    simulate.add_argument(
        "--url", default="ws://127.0.0.1:9000/ocpp", help="base URL (default %(default)s)"
    )
    simulate.add_argument("--chargers", type=_positive_int, default=1, help="how many (default 1)")
    simulate.add_argument(
        "--connectors", type=_positive_int, default=2, help="connectors each (default 2)"
    )
    simulate.add_argument(
        "--duration", type=float, default=60.0, help="seconds to run (default 60)"
    )
    simulate.add_argument(
        "--heartbeat",
        type=float,
        default=None,
        metavar="SECONDS",
        help="seconds between heartbeats (default: the interval the central system gives)",
    )
    simulate.add_argument("--prefix", default="SIM-", help="charge point id prefix (default SIM-)")
    simulate.add_argument(
        "--sessions", type=_count, default=0, help="charging sessions per charger (default 0)"
    )
    simulate.add_argument(
        "--meter-interval",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="seconds between meter values while charging (default 10)",
    )
    simulate.add_argument(
        "--kwh", type=float, default=10.0, help="energy each session delivers (default 10)"
    )
    simulate.add_argument(
        "--id-tag",
        default=None,
        help="id tag the sessions use (default: each charger its own id; one tag shared "
        "by chargers charging at once is refused ConcurrentTx)",
    )
    return parser


def _add_tags_parser(commands: argparse._SubParsersAction) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", metavar="FILE", help="TOML settings file, as for run")
    tags = commands.add_parser(
        "tags",
        help="the local id tag list of a standalone bridge: add, block, list",
        description="The id tags the bridge answers for at once, kept in its data directory "
        "(the same settings as run; safe while the bridge runs). A tag not listed is "
        "decided by unknown_tags (ARTHEXIS_BRIDGE_UNKNOWN_TAGS).",
    )
    actions = tags.add_subparsers(dest="tags_command", required=True, metavar="ACTION")
    add = actions.add_parser(
        "add", parents=[common], help="accept a tag (again, if blocked)", description="Accept UID."
    )
    add.add_argument("uid", metavar="UID", help="the id tag, 1 to 20 characters")
    add.add_argument("--expires", metavar="ISO", help="when it expires (ISO 8601; UTC if no zone)")
    add.add_argument("--parent", metavar="TAG", help="its parent id tag (a group)")
    block = actions.add_parser(
        "block", parents=[common], help="block a tag", description="Block UID."
    )
    block.add_argument("uid", metavar="UID", help="the id tag")
    actions.add_parser("list", parents=[common], help="list the tags", description="List tags.")


def _add_chargers_parser(commands: argparse._SubParsersAction) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", metavar="FILE", help="TOML settings file, as for run")
    registry = commands.add_parser(
        "chargers",
        help="the charger registry of a standalone bridge: add, list, remove",
        description="The chargers the bridge knows, kept in its data directory (the same "
        "settings as run; safe while the bridge runs): each one's registration (what its "
        "BootNotification is answered), its password for security profiles 1 and 2, and "
        "whether it needs an RFID card. An id not listed is decided by unknown_chargers "
        "(ARTHEXIS_BRIDGE_UNKNOWN_CHARGERS). With Odoo configured, Odoo owns the registry "
        "and the bridge's next refresh replaces what is set here.",
    )
    actions = registry.add_subparsers(dest="chargers_command", required=True, metavar="ACTION")
    add = actions.add_parser(
        "add",
        parents=[common],
        help="add a charger, or replace its entry",
        description="Add charger ID, Accepted unless told otherwise, or replace its whole entry.",
    )
    add.add_argument("charge_point_id", metavar="ID", help="the charge point id, as in /ocpp/<ID>")
    add.add_argument(
        "--password",
        metavar="PW",
        help="its HTTP Basic password (security profiles 1 and 2); '-' reads it from stdin. "
        "Without one the charger cannot connect under profiles 1 and 2",
    )
    registration = add.add_mutually_exclusive_group()
    registration.add_argument(
        "--pending",
        dest="registration",
        action="store_const",
        const=chargers.PENDING,
        default=chargers.ACCEPTED,
        help="answer its BootNotification Pending (it may send nothing else)",
    )
    registration.add_argument(
        "--rejected",
        dest="registration",
        action="store_const",
        const=chargers.REJECTED,
        help="answer its BootNotification Rejected",
    )
    add.add_argument(
        "--free-vend",
        action="store_true",
        help="it charges without an RFID card (require_rfid off)",
    )
    actions.add_parser(
        "list", parents=[common], help="list the chargers", description="List the chargers."
    )
    remove = actions.add_parser(
        "remove", parents=[common], help="remove a charger", description="Remove charger ID."
    )
    remove.add_argument("charge_point_id", metavar="ID", help="the charge point id")


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected 0 or more, got {value}")
    return value


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1, got {value}")
    return value


def _setup_logging(level: str, log_format: str = "logfmt") -> None:
    logs.configure(level, log_format)


async def _run(bridge: Bridge) -> None:
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, bridge.request_stop)
    await bridge.run()


def _command_run(args: argparse.Namespace) -> int:
    _setup_logging(args.log_level)
    log = logging.getLogger("arthexis_bridge")
    try:
        config = load_settings(args.config)
        _setup_logging(args.log_level, config.log_format)
        bridge = Bridge(config)
    except SettingsError as error:
        print(f"arthexis-bridge: settings: {error}", file=sys.stderr)
        return 2
    try:
        asyncio.run(_run(bridge))
    except (OutboxError, StateError) as error:
        log.error("%s", error)
        return 1
    except OSError as error:
        host, port = bridge.settings.host, bridge.settings.port
        log.error("cannot listen on %s:%s: %s", host, port, error.strerror or error)
        return 1
    return 0


async def _simulate(args: argparse.Namespace) -> int:
    chargers = [
        SimulatedCharger(args.url, f"{args.prefix}{n:04d}", connectors=args.connectors)
        for n in range(1, args.chargers + 1)
    ]
    sessions = {
        "sessions": args.sessions,
        "meter_interval": args.meter_interval,
        "session_kwh": args.kwh,
        "id_tag": args.id_tag,
    }
    results = await asyncio.gather(
        *(charger.run(args.duration, args.heartbeat, **sessions) for charger in chargers),
        return_exceptions=True,
    )
    log = logging.getLogger("arthexis_bridge.simulator")
    failed = 0
    for charger, result in zip(chargers, results, strict=True):
        if isinstance(result, BaseException):
            failed += 1
            log.error("%s failed: %s", charger.id, result)
    answered = sum(charger.answered for charger in chargers)
    completed = sum(charger.sessions_completed for charger in chargers)
    refused = sum(charger.sessions_refused for charger in chargers)
    log.info(
        "%d chargers, %d failed, %d calls answered, %d sessions charged, %d refused",
        len(chargers),
        failed,
        answered,
        completed,
        refused,
    )
    return 1 if failed else 0


def _command_simulate(args: argparse.Namespace) -> int:
    _setup_logging("INFO")
    try:
        return asyncio.run(_simulate(args))
    except KeyboardInterrupt:
        return 130


def _command_tags(args: argparse.Namespace) -> int:
    try:
        config = load_settings(args.config)
        if args.tags_command == "add":
            entry = auth.Entry(args.uid, auth.ACCEPTED, args.expires, args.parent)
        elif args.tags_command == "block":
            auth.check_id_tag(args.uid)
    except (SettingsError, ValueError) as error:
        print(f"arthexis-bridge tags: {error}", file=sys.stderr)
        return 2
    path = config.outbox_path
    try:
        db = state.connect(path)
        try:
            if args.tags_command == "add":
                auth.put(db, entry)
            elif args.tags_command == "block":
                auth.block(db, args.uid)
            entries = auth.entries(db)
        finally:
            db.close()
    except (OSError, sqlite3.Error) as error:
        print(f"arthexis-bridge tags: {path}: {error}", file=sys.stderr)
        return 1
    if args.tags_command == "list":
        _print_tags(entries, config)
    else:
        [changed] = [e for e in entries if auth.tag_key(e.id_tag) == auth.tag_key(args.uid)]
        _print_tags([changed], config)
    return 0


def _print_tags(entries: list[auth.Entry], config: settings.Settings) -> None:
    rows = [("id tag", "status", "expires", "parent")]
    rows += [(e.id_tag, e.status, e.expiry_date or "-", e.parent_id_tag or "-") for e in entries]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
    print(f"tags not listed: {config.unknown_tags} (unknown_tags)")


def _command_chargers(args: argparse.Namespace) -> int:
    command = args.chargers_command
    try:
        config = load_settings(args.config)
        if command == "add":
            password = args.password
            if password == "-":
                password = sys.stdin.readline().rstrip("\r\n")
            if password == "":
                raise ValueError("the password is empty")
            charger = chargers.Charger(
                args.charge_point_id,
                args.registration,
                None if password is None else passwords.hash_password(password),
                require_rfid=not args.free_vend,
            )
        elif command == "remove":
            chargers.check_id(args.charge_point_id)
    except (SettingsError, ValueError) as error:
        print(f"arthexis-bridge chargers: {error}", file=sys.stderr)
        return 2
    if command != "list" and not config.standalone:
        print(
            "arthexis-bridge chargers: Odoo is configured: the bridge's next refresh "
            "replaces the registry with Odoo's chargers",
            file=sys.stderr,
        )
    path = config.outbox_path
    removed = False
    try:
        db = state.connect(path)
        try:
            if command == "add":
                chargers.put(db, charger)
            elif command == "remove":
                removed = chargers.remove(db, args.charge_point_id)
            entries = chargers.entries(db)
        finally:
            db.close()
    except (OSError, sqlite3.Error) as error:
        print(f"arthexis-bridge chargers: {path}: {error}", file=sys.stderr)
        return 1
    if command == "list":
        _print_chargers(entries, config)
    elif command == "add":
        _print_chargers([e for e in entries if e.charge_point_id == args.charge_point_id], config)
    elif removed:
        print(f"removed {args.charge_point_id}")
    else:
        print(
            f"arthexis-bridge chargers: {args.charge_point_id} is not in the registry",
            file=sys.stderr,
        )
        return 1
    return 0


def _print_chargers(entries: list[chargers.Charger], config: settings.Settings) -> None:
    rows = [("charge point id", "registration", "password", "rfid")]
    rows += [
        (
            e.charge_point_id,
            e.registration,
            "set" if e.password_hash else "-",
            "required" if e.require_rfid else "free vend",
        )
        for e in entries
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
    print(
        f"chargers not listed: {config.unknown_chargers} (unknown_chargers); "
        f"security profile {config.security_profile}"
    )


def _command_upgrade(args: argparse.Namespace) -> int:
    try:
        outcome = upgrade.upgrade(load_settings(args.config))
    except (SettingsError, upgrade.UpgradeError) as error:
        print(f"arthexis-bridge upgrade: {error}", file=sys.stderr)
        return 1
    print(outcome.message)
    if outcome.changed and not args.no_restart:
        problem = upgrade.restart_service()
        if problem:
            print(f"arthexis-bridge upgrade: {problem}", file=sys.stderr)
            return 1
        print(f"restarted {upgrade.SERVICE}")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["install"]:
        return install.main(argv[1:])
    if argv[:1] == ["uninstall"]:
        return install.main(argv)
    args = _parser().parse_args(argv)
    if args.command == "upgrade":
        return _command_upgrade(args)
    if args.command == "run":
        return _command_run(args)
    if args.command == "tags":
        return _command_tags(args)
    if args.command == "chargers":
        return _command_chargers(args)
    if args.command in node_commands.COMMANDS:
        return node_commands.main(args)
    return _command_simulate(args)


if __name__ == "__main__":
    sys.exit(main())
