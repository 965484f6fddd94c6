"""Find Odoo 18 and drive it as a user would: odoo's own CLI in a subprocess."""

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ADDONS = REPO / "addons"
MODULES = [
    "arthexis_nodes",
    "arthexis_accounts",
    "arthexis_ocpp",
    "arthexis_awg",
    "arthexis_release",
]
PROBLEM = re.compile(r"^\S+ \S+ \d+ (WARNING|ERROR|CRITICAL) ")


@dataclass
class Odoo:
    """How to run the Odoo 18 that was found: this Python, this environment."""

    location: str
    env: dict = field(repr=False)
    addons_path: str

    def command(self, *args):
        return [sys.executable, "-m", "odoo", f"--addons-path={self.addons_path}", *args]

    def run(self, *args, pg, log_path, timeout=1800):
        """Run odoo's CLI to completion, its log in log_path; return the log's lines."""
        with open(log_path, "w") as log:
            proc = subprocess.run(
                self.command(*args, f"--logfile={log_path}"),
                env={**self.env, **pg.env},
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=timeout,
                check=False,
            )
        lines = Path(log_path).read_text(errors="replace").splitlines()
        if proc.returncode:
            raise RuntimeError(f"odoo exited with {proc.returncode}; see {log_path}")
        return lines

    def install(self, db, pg, log_path, modules=None):
        """Create db with the modules installed; return the log's warning and error lines."""
        lines = self.run(
            "-d",
            db,
            "-i",
            ",".join(modules or MODULES),
            "--without-demo=all",
            "--stop-after-init",
            pg=pg,
            log_path=log_path,
        )
        return [line for line in lines if PROBLEM.match(line)]

    def serve(self, db, port, pg, log_path, workers=0):
        """Start an Odoo HTTP server on 127.0.0.1:port and wait until it answers.

        ``db``: the database, or a list of them for a server that serves several.

        ``workers`` 0: one process, a thread per request (tests); more: Odoo's
        prefork server with that many worker processes, as in production.
        """
        log = open(log_path, "a")  # closed with the process, by stop_server
        # Prefork also runs a long-polling process: on a free port, not 8072, so
        # that servers side by side do not collide.
        prefork = [f"--gevent-port={free_port()}"] if workers else []
        command = self.command
        odoo_bin = Path(self.location) / "odoo-bin"
        if workers and odoo_bin.is_file():
            # Prefork starts that process as `<python> <argv[0]> gevent`: argv[0] must be
            # a script (under `-m odoo` it is odoo/__main__.py, which cannot run alone).
            def command(*args):
                return [sys.executable, str(odoo_bin), f"--addons-path={self.addons_path}", *args]

        # Several databases: no default one, as on an Odoo hosting several companies.
        dbs = [db] if isinstance(db, str) else list(db)
        chosen = ["-d", dbs[0]] if len(dbs) == 1 else []
        proc = subprocess.Popen(
            command(
                *chosen,
                f"--db-filter=^({'|'.join(re.escape(name) for name in dbs)})$",
                "--http-interface=127.0.0.1",
                f"--http-port={port}",
                f"--workers={workers}",
                *prefork,
                "--max-cron-threads=0",
                "--no-database-list",
            ),
            env={**self.env, **pg.env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        proc.log = log
        deadline = time.monotonic() + 120
        url = f"http://127.0.0.1:{port}/web/health"
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"odoo stopped at start-up; see {log_path}")
            try:
                with urllib.request.urlopen(url, timeout=2):
                    return proc
            except OSError:
                if time.monotonic() > deadline:
                    stop_server(proc)
                    raise RuntimeError(f"odoo did not answer on {url}; see {log_path}") from None
                time.sleep(0.3)


def stop_server(proc):
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    proc.log.close()


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def find():
    """Return (Odoo or None, a sentence saying what was found or why not).

    Odoo is found when this Python can import Odoo 18, or through ODOO_PATH, the
    root of an Odoo 18 source checkout whose requirements this Python has.
    """
    env = {**os.environ, "TZ": "UTC"}
    odoo_path = os.environ.get("ODOO_PATH")
    if odoo_path:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [odoo_path, env.get("PYTHONPATH")]))
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import odoo.cli, odoo.release as r; print(r.serie); print(r.__file__)",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if probe.returncode:
        last = (probe.stderr.strip().splitlines() or ["no output"])[-1]
        where = (
            f"ODOO_PATH={odoo_path}" if odoo_path else "this Python (set ODOO_PATH to a checkout)"
        )
        return None, f"Odoo 18 is not importable from {where}: {last}"
    serie, release_file = probe.stdout.split()
    location = str(Path(release_file).parents[1])
    if serie != "18.0":
        return None, f"Odoo {serie} found at {location}, but these addons need 18.0"
    paths = [str(ADDONS)]
    # A source checkout keeps most apps (web, mail, account) beside the odoo package.
    source_addons = Path(location) / "addons"
    if (source_addons / "web").is_dir():
        paths.append(str(source_addons))
    return Odoo(location, env, ",".join(paths)), f"Odoo {serie} at {location}"
