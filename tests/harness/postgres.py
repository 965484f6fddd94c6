"""A PostgreSQL server for the tests: the one already running, else a throwaway one."""

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field


@dataclass
class Postgres:
    host: str
    port: int
    started_dir: str | None = field(default=None, repr=False)

    @property
    def env(self):
        """Environment for libpq clients (psql, createdb, Odoo) to reach this server."""
        return {**os.environ, "PGHOST": self.host, "PGPORT": str(self.port)}

    def createdb(self, name):
        subprocess.run(["createdb", name], env=self.env, check=True, capture_output=True)

    def dropdb(self, name):
        subprocess.run(
            ["dropdb", "--if-exists", "--force", name], env=self.env, capture_output=True
        )

    def stop(self):
        if self.started_dir:
            subprocess.run(
                [_pg_bin("pg_ctl"), "-D", self.started_dir, "-m", "fast", "stop"],
                capture_output=True,
            )
            shutil.rmtree(self.started_dir, ignore_errors=True)
            self.started_dir = None


def _reachable(host, port):
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def _pg_bin(name):
    found = shutil.which(name) or sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise RuntimeError(f"PostgreSQL's {name} was not found; install PostgreSQL server")
    return found if isinstance(found, str) else found[-1]


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def find_or_start():
    """Use PGHOST/PGPORT or a server on 127.0.0.1:5432; else start one in a temp dir.

    The clients need to be able to create databases there (trust or PGPASSWORD).
    """
    host = os.environ.get("PGHOST", "127.0.0.1")
    port = int(os.environ.get("PGPORT", "5432"))
    if host.startswith("/") or _reachable(host, port):
        return Postgres(host, port)
    datadir = tempfile.mkdtemp(prefix="arthexis-pg-")
    port = _free_port()
    subprocess.run(
        [_pg_bin("initdb"), "-D", datadir, "-A", "trust", "-U", os.environ.get("USER", "postgres")],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [
            _pg_bin("pg_ctl"),
            "-D",
            datadir,
            "-o",
            f"-p {port} -k {datadir} -c listen_addresses=127.0.0.1",
            "-w",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    deadline = time.monotonic() + 30
    while not _reachable("127.0.0.1", port):
        if time.monotonic() > deadline:
            raise RuntimeError("the throwaway PostgreSQL did not start")
        time.sleep(0.2)
    return Postgres("127.0.0.1", port, started_dir=datadir)
