"""The ``arthexis-bridge`` command: ``run`` the bridge, ``simulate`` charge points.

Nothing imports this module; it imports the rest.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

from . import __version__, settings
from .app import Bridge
from .outbox import OutboxError
from .settings import SettingsError, load_settings
from .simulator import SimulatedCharger

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

SETTINGS_HELP = f"""\
settings (environment variables win over the TOML file given with --config;
an empty variable counts as unset):

{settings.describe()}

Without the four Odoo settings the bridge runs standalone and keeps every
event in its data directory until Odoo is configured; set all four to sync.

example TOML file:
  host = "0.0.0.0"
  port = 9000
  data_dir = "/var/lib/arthexis-bridge"
  heartbeat_interval = 300
  [odoo]
  url = "https://odoo.example.com"
  db = "arthexis"
  login = "bridge-1"
  api_key = "..."
  [sync]
  batch_size = 500
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="arthexis-bridge",
        description="Arthexis edge bridge: serves OCPP charge points at "
        "ws://<host>:<port>/ocpp/<charge point id>, commits every event to a local "
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

    simulate = commands.add_parser(
        "simulate",
        help="run simulated OCPP 1.6 charge points against a central system",
        description="Connect simulated OCPP 1.6 charge points: each boots, reports its "
        "connectors Available, then sends heartbeats until the duration is over.",
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
    return parser


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1, got {value}")
    return value


def _setup_logging(level: str) -> None:
    logging.basicConfig(level=level, format=LOG_FORMAT, stream=sys.stderr)
    if level != "DEBUG":
        # The ocpp package logs every frame, and websockets every connection, at INFO:
        # too much for thousands of chargers. The bridge logs connections with their id.
        logging.getLogger("ocpp").setLevel(logging.WARNING)
        logging.getLogger("websockets").setLevel(logging.WARNING)


async def _run(bridge: Bridge) -> None:
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, bridge.request_stop)
    await bridge.run()


def _command_run(args: argparse.Namespace) -> int:
    _setup_logging(args.log_level)
    log = logging.getLogger("arthexis_bridge")
    try:
        bridge = Bridge(load_settings(args.config))
    except SettingsError as error:
        print(f"arthexis-bridge: settings: {error}", file=sys.stderr)
        return 2
    try:
        asyncio.run(_run(bridge))
    except OutboxError as error:
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
    results = await asyncio.gather(
        *(charger.run(args.duration, args.heartbeat) for charger in chargers),
        return_exceptions=True,
    )
    log = logging.getLogger("arthexis_bridge.simulator")
    failed = 0
    for charger, result in zip(chargers, results, strict=True):
        if isinstance(result, BaseException):
            failed += 1
            log.error("%s failed: %s", charger.id, result)
    answered = sum(charger.answered for charger in chargers)
    log.info("%d chargers, %d failed, %d calls answered", len(chargers), failed, answered)
    return 1 if failed else 0


def _command_simulate(args: argparse.Namespace) -> int:
    _setup_logging("INFO")
    try:
        return asyncio.run(_simulate(args))
    except KeyboardInterrupt:
        return 130


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "run":
        return _command_run(args)
    return _command_simulate(args)


if __name__ == "__main__":
    sys.exit(main())
