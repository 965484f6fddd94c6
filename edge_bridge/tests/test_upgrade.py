"""``arthexis-bridge upgrade`` for real: wheels of the bridge built at made-up
versions, a local package index, a virtual environment, and pip.

One environment goes through the channels in turn: fixed stays, stable takes
the newest final release, a release that fails its self-check is rolled back,
unstable takes a pre-release, and a release pip cannot install is rolled back.
The data directory is never touched.
"""

import shutil
import subprocess
import venv
from pathlib import Path

import pytest

EDGE = Path(__file__).resolve().parents[1]


def _copy_at(version, destination, broken=False):
    """A copy of the bridge's source whose version is ``version``."""
    shutil.copytree(EDGE / "arthexis_bridge", destination / "arthexis_bridge")
    shutil.copy(EDGE / "README.md", destination)
    pyproject = (EDGE / "pyproject.toml").read_text()
    (destination / "pyproject.toml").write_text(
        pyproject.replace('version = "', f'version = "{version}"  # was "', 1)
    )
    init = destination / "arthexis_bridge" / "__init__.py"
    text = init.read_text()
    init.write_text(text.split("__version__ =")[0] + f'__version__ = "{version}"\n')
    if broken:  # a release whose command does not even start
        cli = destination / "arthexis_bridge" / "cli.py"
        cli.write_text(cli.read_text() + '\nraise SystemExit("this release is broken")\n')


@pytest.fixture
def environment(tmp_path):
    """A fresh virtual environment, as the installer makes (plus ``wheel``, to build)."""
    path = tmp_path / "venv"
    venv.create(path, with_pip=True)
    pip = [str(path / "bin/python"), "-m", "pip", "install", "-q", "wheel"]
    subprocess.run(pip, check=True, capture_output=True, timeout=300)
    return path


@pytest.fixture
def wheels(environment, tmp_path):
    """Wheels of the bridge: 7.0.0, 7.1.0, 7.2.0b1 and a broken 7.5.0."""
    root = tmp_path / "wheels"
    versions = {"7.0.0": False, "7.1.0": False, "7.2.0b1": False, "7.5.0": True}
    for version, broken in versions.items():
        source = root / f"src-{version}"
        _copy_at(version, source, broken)
        build = [str(environment / "bin/python"), "-m", "pip", "wheel", "-q", "--no-deps"]
        build += ["--no-build-isolation", "-w", root, source]
        result = subprocess.run(build, capture_output=True, text=True, timeout=300, check=False)
        assert result.returncode == 0, result.stderr
    return {v: next(root.glob(f"arthexis_bridge-{v}-*.whl")) for v in versions}


def index(tmp_path, name, *wheel_files):
    """A package index (PEP 503, as a directory) holding these wheels."""
    project = tmp_path / name / "arthexis-bridge"
    project.mkdir(parents=True)
    links = []
    for wheel in wheel_files:
        shutil.copy(wheel, project)
        links.append(f'<a href="{wheel.name}">{wheel.name}</a>')
    (project / "index.html").write_text("<html><body>" + "".join(links) + "</body></html>")
    return (tmp_path / name).as_uri()


def upgrade(environment, config, channel, index_url):
    config.write_text(
        f'data_dir = "{config.parent / "data"}"\n\n'
        f'[upgrade]\nchannel = "{channel}"\nindex_url = "{index_url}"\n'
    )
    return subprocess.run(
        [str(environment / "bin/arthexis-bridge"), "upgrade", "--config", config, "--no-restart"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def version(environment):
    result = subprocess.run(
        [str(environment / "bin/arthexis-bridge"), "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()[-1]


def test_upgrade_follows_the_channel_and_rolls_back_a_bad_release(environment, wheels, tmp_path):
    install = [str(environment / "bin/python"), "-m", "pip", "install", "-q", wheels["7.0.0"]]
    subprocess.run(install, check=True, capture_output=True, timeout=300)
    config = tmp_path / "bridge.toml"
    data = tmp_path / "data"
    data.mkdir()
    (data / "bridge.sqlite3").write_bytes(b"the outbox")
    releases = index(tmp_path, "releases", wheels["7.0.0"], wheels["7.1.0"], wheels["7.2.0b1"])

    fixed = upgrade(environment, config, "fixed", releases)
    assert fixed.returncode == 0, fixed.stderr
    assert "channel fixed: arthexis-bridge stays at 7.0.0" in fixed.stdout
    assert version(environment) == "7.0.0"

    stable = upgrade(environment, config, "stable", releases)
    assert stable.returncode == 0, stable.stderr
    assert "upgraded arthexis-bridge 7.0.0 -> 7.1.0 (stable)" in stable.stdout
    assert version(environment) == "7.1.0"  # not the pre-release

    again = upgrade(environment, config, "stable", releases)
    assert "7.1.0 is the newest stable release" in again.stdout

    bad = index(tmp_path, "bad", wheels["7.1.0"], wheels["7.5.0"])
    broken = upgrade(environment, config, "stable", bad)
    assert broken.returncode == 1
    assert "arthexis-bridge 7.5.0 failed its self-check" in broken.stderr
    assert "this release is broken" in broken.stderr
    assert "rolled back to 7.1.0" in broken.stderr
    assert version(environment) == "7.1.0"
    assert not (tmp_path / "venv.rollback").exists()

    unstable = upgrade(environment, config, "unstable", releases)
    assert unstable.returncode == 0, unstable.stderr
    assert "upgraded arthexis-bridge 7.1.0 -> 7.2.0b1 (unstable)" in unstable.stdout
    assert version(environment) == "7.2.0b1"

    corrupt = tmp_path / "arthexis_bridge-7.9.0-py3-none-any.whl"
    corrupt.write_bytes(b"not a zip file")
    unusable = upgrade(environment, config, "latest", index(tmp_path, "corrupt", corrupt))
    assert unusable.returncode == 1
    assert "pip failed" in unusable.stderr and "rolled back to 7.2.0b1" in unusable.stderr
    assert version(environment) == "7.2.0b1"

    assert [p.name for p in data.iterdir()] == ["bridge.sqlite3"]
    assert (data / "bridge.sqlite3").read_bytes() == b"the outbox"
