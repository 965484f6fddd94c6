"""``arthexis-bridge upgrade``: install the newest release the node's channel allows.

The channel (``upgrade.channel``) says which releases a node takes: ``fixed``
none, ``stable`` final releases only, ``unstable`` and ``latest``
pre-releases too. pip picks the newest such release from the package index
(``upgrade.index_url``) and installs it into the bridge's own virtual
environment, the one this command runs from.

Before pip runs, the environment is copied aside. If pip fails, or the new
version fails its self-check (``arthexis-bridge --version`` must run and name
the version installed), the copy is put back: the node keeps the version it
had. The data directory (the outbox) is never touched. After a good upgrade
the service is restarted so the new version serves (``--no-restart`` skips it).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from .settings import Settings

PACKAGE = "arthexis-bridge"
SERVICE = "arthexis-bridge.service"


class UpgradeError(Exception):
    """The upgrade failed; the message says whether the previous version is back."""


@dataclass(frozen=True)
class Outcome:
    before: str
    after: str
    message: str

    @property
    def changed(self) -> bool:
        return self.before != self.after


def _venv() -> Path:
    if sys.prefix == sys.base_prefix:
        raise UpgradeError(
            f"{sys.executable} is not in a virtual environment: upgrade installs into the "
            "bridge's own one (run its bin/arthexis-bridge)"
        )
    return Path(sys.prefix)


def installed_version(venv: Path) -> str | None:
    """The bridge's version installed in the environment (None: none is)."""
    probe = f"import importlib.metadata as m; print(m.version({PACKAGE!r}))"
    result = subprocess.run(
        [str(venv / "bin" / "python"), "-I", "-c", probe],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.strip() or None if result.returncode == 0 else None


def self_check(venv: Path, version: str) -> str | None:
    """None if ``arthexis-bridge --version`` runs and names ``version``, else what went wrong."""
    try:
        result = subprocess.run(
            [str(venv / "bin" / "arthexis-bridge"), "--version"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return str(error)
    if result.returncode:
        return f"exit code {result.returncode}: {(result.stderr or result.stdout).strip()[-500:]}"
    if version not in result.stdout.split():
        return f"it reports {result.stdout.strip()!r}, not version {version}"
    return None


def upgrade(settings: Settings, venv: Path | None = None) -> Outcome:
    """Upgrade the environment as the channel allows; roll back if the new version fails."""
    venv = venv or _venv()
    before = installed_version(venv) or importlib.metadata.version(PACKAGE)
    channel = settings.upgrade_channel
    if channel == "fixed":
        return Outcome(before, before, f"channel fixed: {PACKAGE} stays at {before}")
    command = [str(venv / "bin" / "python"), "-I", "-m", "pip", "install", "--quiet", "--upgrade"]
    command += ["--upgrade-strategy", "only-if-needed"]
    if channel in ("unstable", "latest"):
        command.append("--pre")
    if settings.upgrade_index_url:
        command += ["--index-url", settings.upgrade_index_url]
    command.append(PACKAGE)

    saved = venv.with_name(venv.name + ".rollback")
    if saved.exists():
        shutil.rmtree(saved)
    shutil.copytree(venv, saved, symlinks=True)
    try:
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode:
            raise UpgradeError(f"pip failed: {(result.stderr or result.stdout).strip()[-2000:]}")
        after = installed_version(venv)
        if after is None:
            raise UpgradeError(f"pip left no {PACKAGE} installed")
        if after != before:
            problem = self_check(venv, after)
            if problem:
                raise UpgradeError(f"{PACKAGE} {after} failed its self-check: {problem}")
    except BaseException as error:
        shutil.rmtree(venv, ignore_errors=True)
        saved.rename(venv)
        if isinstance(error, UpgradeError):
            raise UpgradeError(f"{error}; rolled back to {before}") from None
        raise
    shutil.rmtree(saved, ignore_errors=True)
    if after == before:
        return Outcome(before, after, f"{PACKAGE} {before} is the newest {channel} release")
    return Outcome(before, after, f"upgraded {PACKAGE} {before} -> {after} ({channel})")


def restart_service() -> str | None:
    """Restart the service; None, or why it could not."""
    if not shutil.which("systemctl"):
        return "systemctl not found: restart the bridge by hand"
    result = subprocess.run(
        ["systemctl", "restart", SERVICE], capture_output=True, text=True, check=False
    )
    if result.returncode:
        return f"systemctl restart {SERVICE} failed: {result.stderr.strip()}"
    return None


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "upgrade",
        help="install the newest release the upgrade channel allows, then restart the service",
        description="Install the newest release of arthexis-bridge that upgrade.channel "
        "allows (fixed: none; stable: final releases; unstable, latest: pre-releases "
        "too) from upgrade.index_url into this bridge's virtual environment, then "
        f"restart {SERVICE}. If pip or the new version's self-check fails, the "
        "previous version is put back. The data directory is never touched.",
    )
    parser.add_argument("--config", metavar="FILE", help="TOML settings file, as for run")
    parser.add_argument(
        "--no-restart", action="store_true", help=f"do not restart {SERVICE} afterwards"
    )
