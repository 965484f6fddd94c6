"""Install the bridge as a systemd service, or remove it: ``install.sh`` and
``uninstall.sh`` run this module, and so do ``arthexis-bridge install`` and
``arthexis-bridge uninstall``.

Installing on Debian, Ubuntu or Raspberry Pi OS:

1. a system user for the service (no login, no home of its own);
2. a virtual environment (``/opt/arthexis-bridge``) with the bridge installed
   in it, from this checkout or a package index;
3. the settings file ``/etc/arthexis-bridge/bridge.toml`` (0640, the service
   user's), written from the flags and merged into the file already there;
4. the data directory, and the unit ``arthexis-bridge.service``, rendered from
   ``edge_bridge/systemd/arthexis-bridge.service``, enabled and (re)started.

Running it again changes only what the flags change: settings not given keep
their values, the data (the outbox) is never touched. ``--root DIR`` installs
into a directory instead of the machine: every path is put under DIR, the
virtual environment and files are made for real, the unit is enabled with
``systemctl --root``, and what would change the machine itself (the user,
file owners, starting the service) is listed instead of run.

This module uses the standard library only: ``install.sh`` runs it from the
checkout with the system's Python, before any package is installed.
"""

from __future__ import annotations

import argparse
import grp
import json
import os
import pwd
import shlex
import shutil
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .settings import SettingsError, load_settings

SERVICE = "arthexis-bridge.service"
ROLES = ("terminal", "control", "satellite", "watchtower")
CHANNELS = ("fixed", "stable", "unstable", "latest")
CHECKOUT = Path(__file__).resolve().parents[1]  # edge_bridge/, when run from a checkout
TEMPLATE_NAME = "arthexis-bridge.service"
HARDWARE_GROUPS = ("spi", "i2c", "gpio")  # Raspberry Pi OS's device groups
SOURCE_LEFT_OUT = shutil.ignore_patterns(
    "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache", "tests"
)

DEFAULTS = {
    "user": "arthexis-bridge",
    "venv": "/opt/arthexis-bridge",
    "config_dir": "/etc/arthexis-bridge",
    "data_dir": "/var/lib/arthexis-bridge",
    "unit_dir": "/etc/systemd/system",
}


class InstallError(Exception):
    """The installation cannot go on; the message says what to fix."""


@dataclass
class Host:
    """Runs commands on the machine, or, under ``--root``, lists those that would change it."""

    root: Path | None
    skipped: list[str] = field(default_factory=list)

    def path(self, path: str | Path) -> Path:
        """Where a machine path is, under the root if there is one."""
        path = Path(path)
        return self.root / path.relative_to("/") if self.root else path

    def run(self, *command: str, machine: bool = False) -> None:
        """Run the command; ``machine``: it changes the machine, so under --root list it."""
        if machine and self.root:
            self.skipped.append(shlex.join(command))
            return
        print("+ " + shlex.join(command), flush=True)
        result = subprocess.run(command, check=False)
        if result.returncode:
            raise InstallError(f"{shlex.join(command)} failed with exit code {result.returncode}")

    def user_exists(self, user: str) -> bool:
        if self.root:
            passwd = self.path("/etc/passwd")
            lines = passwd.read_text().splitlines() if passwd.exists() else []
            return any(line.split(":")[0] == user for line in lines)
        try:
            pwd.getpwnam(user)
        except KeyError:
            return False
        return True

    def groups(self, names: tuple[str, ...]) -> list[str]:
        """Those of the groups that exist."""
        if self.root:
            group = self.path("/etc/group")
            lines = group.read_text().splitlines() if group.exists() else []
            found = {line.split(":")[0] for line in lines}
            return [name for name in names if name in found]
        found = []
        for name in names:
            try:
                grp.getgrnam(name)
            except KeyError:
                continue
            found.append(name)
        return found

    def own(self, path: Path, user: str) -> None:
        self.run("chown", f"{user}:{user}", str(path), machine=True)


# --- the settings file ------------------------------------------------------------------


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(str(value))  # JSON's string escapes are TOML's too


def dump_toml(table: dict) -> str:
    """Settings as TOML: keys, then one [section] per table (the settings nest one deep)."""
    lines = [
        "# arthexis-bridge settings, written by the installer and kept on re-runs;",
        "# `arthexis-bridge --help` lists every setting.",
    ]
    lines += [f"{k} = {_toml_value(v)}" for k, v in table.items() if not isinstance(v, dict)]
    for section, values in table.items():
        if isinstance(values, dict):
            lines += ["", f"[{section}]"]
            lines += [f"{k} = {_toml_value(v)}" for k, v in values.items()]
    return "\n".join(lines) + "\n"


def merged_settings(existing: dict, args: argparse.Namespace) -> dict:
    """The settings file's table: what is there, changed by the flags given."""
    table = {key: dict(v) if isinstance(v, dict) else v for key, v in existing.items()}

    def put(key: str, value: object, *, first: object = None) -> None:
        """Set a dotted key from a flag; ``first``: the value of a first install."""
        section, _, name = key.rpartition(".")
        node = table.setdefault(section, {}) if section else table
        if value is not None:
            node[name] = value
        elif first is not None and name not in node:
            node[name] = first
        if section and not node:
            del table[section]

    put("data_dir", args.data_dir, first=DEFAULTS["data_dir"])
    put("port", args.port, first=9000)
    put("security_profile", args.security_profile)
    put("tls.cert", args.tls_cert)
    put("tls.key", args.tls_key)
    put("enrol.role", args.role, first="satellite")
    put("enrol.url", args.odoo_url)
    put("enrol.db", args.odoo_db)
    put("enrol.token", args.enrol_token)
    put("hardware.rfid", args.rfid)
    put("hardware.lcd", args.lcd)
    put("hardware.staff_mode", args.staff_mode)
    put("hardware.kiosk_charger", args.kiosk_charger)
    put("hardware.kiosk_connector", args.kiosk_connector)
    put("upgrade.channel", args.channel)
    put("upgrade.index_url", args.index_url)
    if args.tls_cert and args.security_profile is None and table.get("security_profile", 0) < 2:
        table["security_profile"] = 2  # certificates given: serve wss://
    return table


def _write_if_changed(path: Path, text: str, mode: int) -> bool:
    if path.exists() and path.read_text() == text:
        path.chmod(mode)
        return False
    tmp = path.with_name(path.name + ".new")
    tmp.write_text(text)
    tmp.chmod(mode)
    tmp.replace(path)
    return True


# --- the unit ---------------------------------------------------------------------------


def template_path() -> Path:
    """The unit template: in the checkout, or the copy an earlier install kept in the venv."""
    for candidate in (
        CHECKOUT / "systemd" / TEMPLATE_NAME,
        Path(sys.prefix) / "share" / "arthexis-bridge" / TEMPLATE_NAME,
    ):
        if candidate.exists():
            return candidate
    raise InstallError(
        f"the unit template {TEMPLATE_NAME} is not in {CHECKOUT / 'systemd'}: "
        "run install.sh from a checkout of edge_bridge"
    )


def render_unit(
    template: str,
    *,
    user: str,
    venv: str,
    config: str,
    data_dir: str,
    port: int,
    device_groups: list[str],
    hardware: bool,
) -> str:
    """The unit with its placeholders filled in."""
    capabilities = "CAP_NET_BIND_SERVICE" if 0 < port < 1024 else ""
    groups = f"SupplementaryGroups={' '.join(device_groups)}" if device_groups else ""
    values = {
        "@USER@": user,
        "@VENV@": venv,
        "@CONFIG@": config,
        "@DATA_DIR@": data_dir,
        "@CAPABILITIES@": capabilities,
        # The reader and the LCD are /dev/spidev* and /dev/i2c-*.
        "@PRIVATE_DEVICES@": "no" if hardware else "yes",
        "@SUPPLEMENTARY_GROUPS@": groups,
    }
    lines = []
    for line in template.splitlines():
        if line.strip() == "@SUPPLEMENTARY_GROUPS@" and not groups:
            continue
        for placeholder, value in values.items():
            line = line.replace(placeholder, value)
        lines.append(line)
    return "\n".join(lines) + "\n"


# --- install ----------------------------------------------------------------------------


def _check_machine(host: Host) -> None:
    if host.root:
        return
    if os.geteuid() != 0:
        raise InstallError("run as root (sudo), or give --root DIR to install into a directory")
    if not shutil.which("systemctl"):
        raise InstallError("systemctl not found: the bridge installs as a systemd service")
    release = Path("/etc/os-release")
    text = release.read_text() if release.exists() else ""
    if "debian" not in text.lower():
        print("warning: this is not Debian, Ubuntu or Raspberry Pi OS; going on", file=sys.stderr)


def install(args: argparse.Namespace) -> Host:
    """Install or update the service as the flags say; return what ran (and was skipped)."""
    host = Host(Path(args.root).resolve() if args.root else None)
    _check_machine(host)
    user, venv = args.user, args.venv
    config_dir = host.path(args.config_dir)
    config_file = config_dir / "bridge.toml"
    existing = {}
    if config_file.exists():
        with config_file.open("rb") as file:
            existing = tomllib.load(file)
    table = merged_settings(existing, args)
    text = dump_toml(table)
    try:  # the bridge must accept the file as it will read it
        config_dir.mkdir(parents=True, exist_ok=True)
        probe = config_dir / ".bridge.toml.check"
        probe.write_text(text)
        try:
            settings = load_settings(probe, environ={})
        finally:
            probe.unlink()
    except SettingsError as error:
        raise InstallError(str(error).replace(str(probe), str(config_file))) from None
    data_dir = str(settings.data_dir)

    if not host.user_exists(user):
        host.run(
            "useradd",
            "--system",
            "--user-group",
            "--home-dir",
            data_dir,
            "--no-create-home",
            "--shell",
            "/usr/sbin/nologin",
            "--comment",
            "Arthexis edge bridge",
            user,
            machine=True,
        )

    data = host.path(data_dir)
    data.mkdir(parents=True, exist_ok=True)
    data.chmod(0o750)
    host.own(data, user)

    config_dir.chmod(0o750)
    changed = _write_if_changed(config_file, text, 0o640)
    host.run("chown", f"root:{user}", str(config_dir), machine=True)
    host.own(config_file, user)
    print(f"settings: {config_file} ({'written' if changed else 'unchanged'})")

    venv_dir = host.path(venv)
    if not (venv_dir / "bin" / "python").exists():
        host.run(args.python, "-m", "venv", str(venv_dir))
    hardware = settings.rfid == "mfrc522" or settings.lcd == "hd44780"
    source = args.source or (str(CHECKOUT) if (CHECKOUT / "pyproject.toml").exists() else None)
    source = source or "arthexis-bridge"
    requirement = f"{source}[pi]" if hardware else source
    pip = [str(venv_dir / "bin" / "python"), "-m", "pip", "install", "--quiet", "--upgrade"]
    if args.index_url:
        pip += ["--index-url", args.index_url]
    if Path(source).is_dir():
        # pip builds a local project in place (build/, *.egg-info): build a copy, so the
        # checkout, which may be read-only or someone's work tree, stays as it is.
        with tempfile.TemporaryDirectory(prefix="arthexis-bridge-") as tmp:
            copy = Path(tmp) / "source"
            shutil.copytree(source, copy, ignore=SOURCE_LEFT_OUT)
            host.run(*pip, requirement.replace(source, str(copy), 1))
    else:
        host.run(*pip, requirement)
    template = template_path()
    kept = venv_dir / "share" / "arthexis-bridge"
    kept.mkdir(parents=True, exist_ok=True)
    if template.resolve() != (kept / TEMPLATE_NAME).resolve():
        shutil.copyfile(template, kept / TEMPLATE_NAME)

    unit = render_unit(
        template.read_text(),
        user=user,
        venv=venv,
        config=args.config_dir.rstrip("/") + "/bridge.toml",
        data_dir=data_dir,
        port=settings.port,
        device_groups=host.groups(HARDWARE_GROUPS) if hardware else [],
        hardware=hardware,
    )
    unit_dir = host.path(args.unit_dir)
    unit_dir.mkdir(parents=True, exist_ok=True)
    unit_changed = _write_if_changed(unit_dir / SERVICE, unit, 0o644)
    print(f"unit: {unit_dir / SERVICE} ({'written' if unit_changed else 'unchanged'})")
    host.run("systemctl", "daemon-reload", machine=True)
    if host.root:
        if shutil.which("systemctl"):
            host.run("systemctl", f"--root={host.root}", "enable", SERVICE)
        else:
            host.skipped.append(f"systemctl enable {SERVICE}")
    else:
        host.run("systemctl", "enable", SERVICE)
    if not args.no_start:
        host.run("systemctl", "restart", SERVICE, machine=True)
    for command in host.skipped:
        print(f"skipped (--root): {command}")
    print(
        f"installed: {SERVICE} runs {venv}/bin/arthexis-bridge as {user}; "
        f"data in {data_dir}; logs: journalctl -u arthexis-bridge"
    )
    return host


def install_parser(prog: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog or os.environ.get("ARTHEXIS_INSTALL_PROG") or "arthexis-bridge install",
        description="Install the Arthexis edge bridge as the systemd service "
        f"{SERVICE} on Debian, Ubuntu or Raspberry Pi OS: a service user, a virtual "
        "environment, the settings file from these flags, the data directory, and the "
        "unit, enabled and started. Safe to run again: settings not given keep their "
        "values, and the data directory is never emptied.",
    )
    node = parser.add_argument_group("the node")
    node.add_argument("--role", choices=ROLES, help="the node's role (first install: satellite)")
    node.add_argument("--odoo-url", metavar="URL", help="the Odoo this node enrols with")
    node.add_argument("--odoo-db", metavar="DB", help="that Odoo's database")
    node.add_argument(
        "--enrol-token",
        metavar="TOKEN",
        help="one-time enrolment token from Odoo, kept in the settings for `arthexis-bridge enrol`",
    )
    node.add_argument("--port", type=int, help="port chargers connect to (first install: 9000)")
    node.add_argument("--tls-cert", metavar="PEM", help="certificate chain: serves wss://")
    node.add_argument("--tls-key", metavar="PEM", help="its private key")
    node.add_argument(
        "--security-profile",
        type=int,
        choices=(0, 1, 2, 3),
        help="OCPP security profile (with --tls-cert: at least 2)",
    )
    node.add_argument("--rfid", choices=("none", "fake", "mfrc522"), help="RFID reader")
    node.add_argument("--lcd", choices=("none", "fake", "hd44780"), help="character LCD")
    node.add_argument(
        "--staff-mode",
        action=argparse.BooleanOptionalAction,
        help="send scanned cards to Odoo for enrolment",
    )
    node.add_argument(
        "--kiosk-charger",
        metavar="CHARGE_POINT_ID",
        help="a charger without a reader: a card tapped at the node starts a session there",
    )
    node.add_argument(
        "--kiosk-connector",
        type=int,
        metavar="N",
        help="the kiosk charger's connector taps start on (0: the charger picks)",
    )
    node.add_argument("--channel", choices=CHANNELS, help="upgrade channel (first install: stable)")
    node.add_argument(
        "--index-url", metavar="URL", help="package index to install and upgrade from"
    )
    paths = parser.add_argument_group("where")
    paths.add_argument(
        "--data-dir",
        metavar="DIR",
        help=f"the outbox and state (first install: {DEFAULTS['data_dir']})",
    )
    paths.add_argument(
        "--venv",
        default=DEFAULTS["venv"],
        metavar="DIR",
        help="virtual environment (default %(default)s)",
    )
    paths.add_argument(
        "--config-dir",
        default=DEFAULTS["config_dir"],
        metavar="DIR",
        help="settings directory (default %(default)s)",
    )
    paths.add_argument(
        "--unit-dir",
        default=DEFAULTS["unit_dir"],
        metavar="DIR",
        help="systemd unit directory (default %(default)s)",
    )
    paths.add_argument(
        "--user", default=DEFAULTS["user"], help="the service user (default %(default)s)"
    )
    paths.add_argument(
        "--root",
        metavar="DIR",
        help="install under DIR instead of the machine (for tests and images): no user, "
        "owner or service changes; they are listed instead",
    )
    how = parser.add_argument_group("how")
    how.add_argument(
        "--source",
        metavar="PATH|REQ",
        help="what pip installs: a checkout or a requirement (default: this checkout, else "
        "arthexis-bridge from the index)",
    )
    how.add_argument(
        "--python",
        default=sys.executable,
        help="Python (3.11+) that makes the virtual environment (default %(default)s)",
    )
    how.add_argument(
        "--no-start", action="store_true", help="enable the service but do not (re)start it"
    )
    return parser


# --- uninstall --------------------------------------------------------------------------


def uninstall(args: argparse.Namespace) -> Host:
    """Stop and remove the service, the virtual environment and the settings; the data
    directory (the outbox) stays unless ``--purge``."""
    host = Host(Path(args.root).resolve() if args.root else None)
    if not host.root and os.geteuid() != 0:
        raise InstallError("run as root (sudo), or give --root DIR")
    config_file = host.path(args.config_dir) / "bridge.toml"
    data_dir = args.data_dir
    if data_dir is None and config_file.exists():
        with config_file.open("rb") as file:
            data_dir = tomllib.load(file).get("data_dir")
    data_dir = data_dir or DEFAULTS["data_dir"]
    unit = host.path(args.unit_dir) / SERVICE
    if unit.exists():
        host.run("systemctl", "stop", SERVICE, machine=True)
        if host.root:
            if shutil.which("systemctl"):
                host.run("systemctl", f"--root={host.root}", "disable", SERVICE)
        else:
            host.run("systemctl", "disable", SERVICE)
        unit.unlink()
        host.run("systemctl", "daemon-reload", machine=True)
    for directory in (host.path(args.venv), host.path(args.config_dir)):
        if directory.exists():
            shutil.rmtree(directory)
            print(f"removed {directory}")
    data = host.path(data_dir)
    if args.purge:
        if data.exists():
            shutil.rmtree(data)
            print(f"removed {data}")
        if host.user_exists(args.user):
            host.run("userdel", args.user, machine=True)
    elif data.exists():
        print(f"kept {data} (the outbox and state); --purge removes it")
    for command in host.skipped:
        print(f"skipped (--root): {command}")
    return host


def uninstall_parser(prog: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog or os.environ.get("ARTHEXIS_INSTALL_PROG") or "arthexis-bridge uninstall",
        description=f"Stop and remove {SERVICE}, its virtual environment and its settings. "
        "The data directory (the outbox: events not yet delivered to Odoo) is kept unless "
        "--purge, which also removes the service user.",
    )
    parser.add_argument("--purge", action="store_true", help="remove the data directory too")
    parser.add_argument(
        "--data-dir", metavar="DIR", help="the data directory (default: from the settings file)"
    )
    default = " (default %(default)s)"
    parser.add_argument(
        "--venv", default=DEFAULTS["venv"], metavar="DIR", help="virtual environment" + default
    )
    parser.add_argument(
        "--config-dir", default=DEFAULTS["config_dir"], metavar="DIR", help="settings" + default
    )
    parser.add_argument(
        "--unit-dir", default=DEFAULTS["unit_dir"], metavar="DIR", help="unit directory" + default
    )
    parser.add_argument("--user", default=DEFAULTS["user"], help="the service user" + default)
    parser.add_argument("--root", metavar="DIR", help="uninstall from under DIR")
    return parser


def main(argv: list[str] | None = None) -> int:
    """``python -m arthexis_bridge.install [uninstall] FLAGS``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    removing = argv[:1] == ["uninstall"]
    try:
        if removing:
            uninstall(uninstall_parser().parse_args(argv[1:]))
        else:
            install(install_parser().parse_args(argv))
    except InstallError as error:
        print(f"arthexis-bridge {'uninstall' if removing else 'install'}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
