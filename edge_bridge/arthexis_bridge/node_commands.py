"""The node's commands: ``enrol`` with Odoo, write its ``nginx`` configuration,
list and run its ``recipe``s. cli.py adds them with :func:`add_parsers`."""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import sys
import xmlrpc.client
from pathlib import Path

from . import __version__, node, recipes
from .odoo_client import OdooError, XmlRpcOdooClient
from .settings import Settings, SettingsError, load_settings
from .sync import describe

COMMANDS = ("enrol", "nginx", "recipe")


def add_parsers(commands: argparse._SubParsersAction) -> None:
    enrol = commands.add_parser(
        "enrol",
        help="trade a one-time enrolment token from Odoo for the node's API key",
        description="Trade the enrolment token created on the node in Odoo (button "
        "Enrolment token) for the node's own login and API key, and write them into the "
        "[odoo] section of the settings file (made 0600; the used token is removed). "
        "The token and URL may also come from the settings' enrol.token and enrol.url, "
        "as the installer writes them.",
    )
    enrol.add_argument("--odoo-url", metavar="URL", help="the Odoo, like https://odoo.example.com")
    enrol.add_argument("--token", metavar="TOKEN", help="the enrolment token Odoo showed")
    enrol.add_argument("--odoo-db", metavar="DB", help="the database, if the Odoo serves several")
    enrol.add_argument(
        "--role",
        choices=["terminal", "control", "satellite", "watchtower"],
        help="tell Odoo the node's role (default: enrol.role, else the role set in Odoo)",
    )
    enrol.add_argument(
        "--config",
        metavar="FILE",
        default=None,
        help=f"the settings file to write (default {node.DEFAULT_CONFIG})",
    )

    nginx = commands.add_parser(
        "nginx",
        help="write the NGINX configuration Odoo renders for this node",
        description="Fetch the NGINX configuration rendered from the node's NGINX template "
        "in Odoo and write it to --output (or print it).",
    )
    nginx.add_argument("--config", metavar="FILE", help="TOML settings file, as for run")
    nginx.add_argument("--output", metavar="PATH", help="file to write (default: print it)")

    recipe = commands.add_parser(
        "recipe",
        help="list or run the recipes Odoo gives this node",
        description="Recipes are scripts kept in Odoo as ordered steps. A node fetches "
        "only those given to it, and only if the node enables recipes in Odoo.",
    )
    actions = recipe.add_subparsers(dest="recipe_command", required=True, metavar="ACTION")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", metavar="FILE", help="TOML settings file, as for run")
    actions.add_parser("list", parents=[common], help="list them", description="List recipes.")
    run = actions.add_parser(
        "run",
        parents=[common],
        help="run one and report its output to Odoo",
        description="Run recipe NAME step by step, stopping at the first step that fails, "
        "and record the output and exit code in Odoo. Exits with that exit code.",
    )
    run.add_argument("name", metavar="NAME", help="the recipe's name in Odoo")
    run.add_argument(
        "--timeout", type=float, default=None, metavar="SECONDS", help="limit for each step"
    )


def main(args: argparse.Namespace) -> int:
    if args.command == "enrol":
        return _command_enrol(args)
    if args.command == "nginx":
        return _command_nginx(args)
    return _command_recipe(args)


def _fail(command: str, message: str, code: int = 1) -> int:
    print(f"arthexis-bridge {command}: {message}", file=sys.stderr)
    return code


def _command_enrol(args: argparse.Namespace) -> int:
    path = Path(args.config or node.DEFAULT_CONFIG).expanduser()
    settings = Settings()
    if path.exists():
        try:
            settings = load_settings(path)
        except SettingsError as error:
            return _fail("enrol", f"settings: {error}", 2)
    url = args.odoo_url or settings.enrol_url
    token = args.token or settings.enrol_token
    if not url or not token:
        return _fail(
            "enrol",
            "give --odoo-url and --token (or enrol.url and enrol.token in the settings file)",
            2,
        )
    if not url.startswith(("http://", "https://")):
        return _fail("enrol", f"--odoo-url {url!r} must start with http:// or https://", 2)
    info = {
        "hostname": socket.gethostname(),
        "port": settings.port,
        "version": __version__,
    }
    role = args.role or (settings.enrol_role if path.exists() else None)
    if role:
        info["role"] = role
    try:
        answer = node.enrol(url, token, info, db=args.odoo_db or settings.enrol_db)
        node.write_odoo_settings(path, url, answer)
    except node.EnrolError as error:
        return _fail("enrol", str(error))
    print(
        f"enrolled as node {answer.get('name')!r} (login {answer['login']}, database "
        f"{answer['database']}); settings written to {path}\n"
        f"start the bridge with: arthexis-bridge run --config {path}"
    )
    return 0


def _client(command: str, config: str | None) -> XmlRpcOdooClient | int:
    try:
        settings = load_settings(config)
    except SettingsError as error:
        return _fail(command, f"settings: {error}", 2)
    if settings.odoo is None:
        return _fail(
            command,
            "Odoo is not configured: enrol first (arthexis-bridge enrol) or set the Odoo settings",
            2,
        )
    odoo = settings.odoo
    return XmlRpcOdooClient(odoo.url, odoo.db, odoo.login, odoo.api_key)


def _odoo_failure(command: str, error: Exception) -> int:
    return _fail(command, describe(error))


def _command_nginx(args: argparse.Namespace) -> int:
    client = _client("nginx", args.config)
    if isinstance(client, int):
        return client
    try:
        text = asyncio.run(node.nginx_config(client))
    except (OdooError, OSError, xmlrpc.client.Error) as error:
        return _odoo_failure("nginx", error)
    if not args.output:
        sys.stdout.write(text)
        return 0
    output = Path(args.output)
    try:
        tmp = output.with_name(f".{output.name}.new")
        tmp.write_text(text)
        os.replace(tmp, output)
    except OSError as error:
        return _fail("nginx", f"cannot write {output}: {error}")
    print(f"wrote {output}; check it with: nginx -t")
    return 0


def _command_recipe(args: argparse.Namespace) -> int:
    client = _client("recipe", args.config)
    if isinstance(client, int):
        return client
    try:
        if args.recipe_command == "list":
            for recipe in asyncio.run(recipes.fetch(client)):
                print(f"{recipe['name']}  ({len(recipe['steps'])} steps)")
            return 0
        run = asyncio.run(recipes.run_and_report(client, args.name, step_timeout=args.timeout))
    except LookupError as error:
        return _fail("recipe", str(error))
    except (OdooError, OSError, xmlrpc.client.Error) as error:
        return _odoo_failure("recipe", error)
    state = "succeeded" if run.exit_code == 0 else f"failed with exit code {run.exit_code}"
    print(f"recipe {run.name!r} {state} after {run.steps_run} step(s); reported to Odoo")
    return run.exit_code
