"""The installer, run for real into a throwaway root: install.sh twice, then uninstall.sh.

``--root`` puts every path under a temporary directory: the virtual
environment is made and the bridge pip-installed into it, the settings and
the unit are written, the unit is enabled with ``systemctl --root``; only what
would change this machine (the service user, owners, starting the service) is
listed instead of run.
"""

import hashlib
import os
import re
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from arthexis_bridge.install import render_unit
from arthexis_bridge.settings import load_settings

EDGE = Path(__file__).resolve().parents[1]
SERVICE = "arthexis-bridge.service"


def run(script, *args):
    result = subprocess.run(
        [str(EDGE / script), *args], capture_output=True, text=True, timeout=300, check=False
    )
    return result


def files(root):
    """Every file outside the virtual environment, with its mode and a digest of its bytes."""
    found = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if relative.parts[:1] in (("opt",), ("usr",)):
            continue
        if path.is_symlink():
            found[str(relative)] = ("link", os.readlink(path))
        elif path.is_file():
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            found[str(relative)] = (stat.S_IMODE(path.stat().st_mode), digest)
        else:
            found[str(relative)] = (stat.S_IMODE(path.stat().st_mode), "dir")
    return found


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A root installed twice: the second run without flags."""
    root = tmp_path_factory.mktemp("root")
    first = run(
        "install.sh",
        "--root",
        str(root),
        "--role",
        "terminal",
        "--odoo-url",
        "http://odoo.example.com:8069",
        "--odoo-db",
        "arthexis",
        "--enrol-token",
        "one-time-token",
        "--port",
        "443",
        "--rfid",
        "fake",
        "--kiosk-charger",
        "CP-LOBBY",
        "--kiosk-connector",
        "2",
    )
    assert first.returncode == 0, first.stderr
    after_first = files(root)
    second = run("install.sh", "--root", str(root))
    assert second.returncode == 0, second.stderr
    return root, first, after_first, second


def test_install_writes_the_settings_from_the_flags(installed):
    root = installed[0]
    config = root / "etc/arthexis-bridge/bridge.toml"
    settings = load_settings(config, environ={})
    assert settings.enrol_role == "terminal"
    assert settings.enrol_url == "http://odoo.example.com:8069"
    assert settings.enrol_db == "arthexis"
    assert settings.enrol_token == "one-time-token"
    assert settings.port == 443
    assert settings.rfid == "fake"
    assert (settings.kiosk_charger, settings.kiosk_connector) == ("CP-LOBBY", 2)
    assert settings.data_dir == Path("/var/lib/arthexis-bridge")
    assert settings.standalone  # enrolment, not the installer, gives it Odoo credentials
    assert stat.S_IMODE(config.stat().st_mode) == 0o640
    assert stat.S_IMODE(config.parent.stat().st_mode) == 0o750
    assert stat.S_IMODE((root / "var/lib/arthexis-bridge").stat().st_mode) == 0o750


def test_install_makes_a_venv_whose_bridge_runs(installed):
    root = installed[0]
    bridge = root / "opt/arthexis-bridge/bin/arthexis-bridge"
    result = subprocess.run([str(bridge), "--version"], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("arthexis-bridge ")


def test_install_lists_what_it_would_change_on_the_machine(installed):
    _, first, _, _ = installed
    skipped = re.findall(r"^skipped \(--root\): (.*)$", first.stdout, re.MULTILINE)
    assert skipped[0].startswith(
        "useradd --system --user-group --home-dir /var/lib/arthexis-bridge"
    )
    assert "systemctl daemon-reload" in skipped
    assert f"systemctl restart {SERVICE}" in skipped
    assert any(line.startswith("chown arthexis-bridge:arthexis-bridge ") for line in skipped)


def test_running_install_again_keeps_the_settings_and_changes_nothing(installed):
    root, _, after_first, second = installed
    assert files(root) == after_first
    assert "(unchanged)" in second.stdout.split("settings:")[1].splitlines()[0]
    assert "(unchanged)" in second.stdout.split("unit:")[1].splitlines()[0]


def test_a_flag_given_again_changes_only_its_setting(installed, tmp_path):
    root = tmp_path / "root"
    shutil.copytree(installed[0], root, symlinks=True)
    result = run("install.sh", "--root", str(root), "--port", "9000")
    assert result.returncode == 0, result.stderr
    assert "(written)" in result.stdout.split("settings:")[1].splitlines()[0]
    settings = load_settings(root / "etc/arthexis-bridge/bridge.toml", environ={})
    assert (settings.port, settings.enrol_token, settings.enrol_role) == (
        9000,
        "one-time-token",
        "terminal",
    )
    unit = (root / "etc/systemd/system" / SERVICE).read_text()
    assert "CapabilityBoundingSet=\n" in unit  # port 9000: no capability at all


def test_the_unit_is_enabled_and_hardened(installed):
    root = installed[0]
    unit_path = root / "etc/systemd/system" / SERVICE
    unit = unit_path.read_text()
    assert stat.S_IMODE(unit_path.stat().st_mode) == 0o644
    wanted = root / "etc/systemd/system/multi-user.target.wants" / SERVICE
    assert os.readlink(wanted) == f"/etc/systemd/system/{SERVICE}"
    for line in [
        "User=arthexis-bridge",
        "ExecStart=/opt/arthexis-bridge/bin/arthexis-bridge run "
        "--config /etc/arthexis-bridge/bridge.toml",
        "Restart=on-failure",
        "StandardOutput=journal",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ProtectHome=yes",
        "PrivateTmp=yes",
        "PrivateDevices=yes",  # the fake reader needs no device
        "ReadWritePaths=/var/lib/arthexis-bridge",
        # Port 443 is below 1024: that one capability, nothing else.
        "CapabilityBoundingSet=CAP_NET_BIND_SERVICE",
        "AmbientCapabilities=CAP_NET_BIND_SERVICE",
    ]:
        assert line in unit.splitlines(), line
    assert "@" not in re.sub(r"SystemCallFilter=@system-service", "", unit.split("[Unit]")[1])


def _unit_root(root, tmp_path):
    """The installed root, plus the machine's own units (targets the unit depends on)."""
    verify_root = tmp_path / "verify"
    shutil.copytree(root, verify_root, symlinks=True)
    shutil.copytree(
        "/usr/lib/systemd/system",
        verify_root / "usr/lib/systemd/system",
        symlinks=False,
        ignore_dangling_symlinks=True,
    )
    return verify_root


def test_systemd_analyze_verifies_the_unit(installed, tmp_path):
    analyze = shutil.which("systemd-analyze")
    if not analyze or not Path("/usr/lib/systemd/system/multi-user.target").exists():
        pytest.skip("systemd-analyze (package systemd) is not installed")
    root = _unit_root(installed[0], tmp_path)
    result = subprocess.run(
        [analyze, "verify", f"--root={root}", SERVICE], capture_output=True, text=True, check=False
    )
    about_unit = [line for line in result.stderr.splitlines() if SERVICE in line]
    assert result.returncode == 0 and not about_unit, result.stderr
    # ExecStart is checked under the root: the venv's bridge is really there.
    (root / "opt/arthexis-bridge/bin/arthexis-bridge").unlink()
    broken = subprocess.run(
        [analyze, "verify", f"--root={root}", SERVICE], capture_output=True, text=True, check=False
    )
    assert broken.returncode != 0
    assert "arthexis-bridge is not executable" in broken.stderr


def test_systemd_rates_the_unit_exposure_ok(installed, tmp_path):
    analyze = shutil.which("systemd-analyze")
    if not analyze or not Path("/usr/lib/systemd/system/multi-user.target").exists():
        pytest.skip("systemd-analyze (package systemd) is not installed")
    root = _unit_root(installed[0], tmp_path)
    result = subprocess.run(
        [analyze, "security", "--offline=true", f"--root={root}", SERVICE],
        capture_output=True,
        text=True,
        check=False,
    )
    level = re.search(r"Overall exposure level for \S+: ([\d.]+) (\w+)", result.stdout)
    assert level, result.stdout + result.stderr
    assert float(level.group(1)) < 3.0 and level.group(2) == "OK", level.group(0)


def test_a_bad_flag_value_is_refused_before_anything_is_installed(tmp_path):
    result = run("install.sh", "--root", str(tmp_path), "--tls-cert", "/etc/ssl/bridge.pem")
    assert result.returncode == 1
    assert "security profile 2 serves chargers over TLS" in result.stderr
    assert "ARTHEXIS_BRIDGE_TLS_KEY (tls.key)" in result.stderr
    assert not (tmp_path / "opt").exists()
    assert not (tmp_path / "etc/arthexis-bridge/bridge.toml").exists()
    result = run("install.sh", "--root", str(tmp_path), "--port", "70000")
    assert result.returncode == 1
    assert "port in /" in result.stderr and "is 70000: expected a TCP port number" in result.stderr
    result = run("install.sh", "--root", str(tmp_path), "--kiosk-charger", "CP-LOBBY")
    assert result.returncode == 1
    assert "the node has no RFID reader" in result.stderr
    assert not (tmp_path / "opt").exists()


def test_install_help_lists_every_flag():
    result = run("install.sh", "--help")
    assert result.returncode == 0
    assert result.stdout.startswith("usage: install.sh")
    for flag in [
        "--role",
        "--odoo-url",
        "--enrol-token",
        "--port",
        "--tls-cert",
        "--tls-key",
        "--data-dir",
        "--root",
        "--venv",
        "--channel",
        "--index-url",
        "--kiosk-charger",
        "--kiosk-connector",
    ]:
        assert flag in result.stdout, flag


def test_uninstall_keeps_the_data_unless_purged(installed, tmp_path):
    root = tmp_path / "root"
    shutil.copytree(installed[0], root, symlinks=True)
    outbox = root / "var/lib/arthexis-bridge/bridge.sqlite3"
    outbox.write_bytes(b"events not yet in Odoo")
    result = run("uninstall.sh", "--root", str(root))
    assert result.returncode == 0, result.stderr
    assert not (root / "etc/systemd/system" / SERVICE).exists()
    assert not (root / "etc/systemd/system/multi-user.target.wants" / SERVICE).exists()
    assert not (root / "opt/arthexis-bridge").exists()
    assert not (root / "etc/arthexis-bridge").exists()
    assert outbox.read_bytes() == b"events not yet in Odoo"
    assert "--purge removes it" in result.stdout
    result = run("uninstall.sh", "--root", str(root), "--purge")
    assert result.returncode == 0, result.stderr
    assert not (root / "var/lib/arthexis-bridge").exists()


def test_a_node_with_a_real_reader_or_lcd_gets_its_devices_and_groups():
    template = (EDGE / "systemd" / SERVICE).read_text()
    common = dict(user="bridge", venv="/opt/b", config="/etc/b/bridge.toml", data_dir="/var/b")
    pi = render_unit(template, **common, port=9000, device_groups=["spi", "i2c"], hardware=True)
    assert "PrivateDevices=no" in pi.splitlines()
    assert "SupplementaryGroups=spi i2c" in pi.splitlines()
    desktop = render_unit(template, **common, port=9000, device_groups=[], hardware=False)
    assert "PrivateDevices=yes" in desktop.splitlines()
    assert "SupplementaryGroups" not in desktop
