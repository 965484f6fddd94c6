"""Run every test tier and say plainly which ran, which were skipped, and why.

Tiers: lint (ruff, pylint-odoo), bridge (edge_bridge's pytest suite), odoo (the
addons' own tests on a fresh database, with Odoo's test runner), e2e (real Odoo
server + real bridge + simulated chargers). The Odoo tiers run whenever Odoo 18
is importable here or found through ODOO_PATH.
"""

import argparse
import re
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.harness import odoo as odoo_harness  # noqa: E402
from tests.harness import postgres  # noqa: E402

TIERS = ["lint", "bridge", "odoo", "e2e"]
PYTEST_COUNT = re.compile(r"(\d+) (passed|failed|errors?|skipped)")
ODOO_RESULT = re.compile(r"odoo\.tests\.result: (\d+) failed, (\d+) error\(s\) of (\d+) tests")
# Odoo counts a skipped test as run; its log line says which and why.
ODOO_SKIP = re.compile(r"INFO \S+ odoo\.addons\.[\w.]+: skipped (\S+) : (.*?)\s*$")


@dataclass
class Outcome:
    tier: str
    state: str  # passed, failed, skipped
    detail: str
    seconds: float = 0.0
    passed: int = 0
    failed: int = 0
    skipped: int = 0


def heading(text):
    print(f"\n=== {text} ===", flush=True)


def run(cmd, cwd=REPO, **kwargs):
    print("$", " ".join(str(c) for c in cmd), flush=True)
    return subprocess.run(cmd, cwd=cwd, check=False, **kwargs)


def lint():
    bin_dir = Path(sys.executable).parent
    addons = sorted(str(p) for p in (REPO / "addons").iterdir() if (p / "__manifest__.py").exists())
    steps = [
        [bin_dir / "ruff", "check", "."],
        [bin_dir / "ruff", "format", "--check", "."],
        [
            bin_dir / "pylint",
            "--rcfile",
            str(REPO / ".pylintrc"),
            *addons,
        ],
    ]
    failed = [str(step[0].name) for step in steps if run(step).returncode]
    if failed:
        return Outcome("lint", "failed", "problems from " + ", ".join(failed))
    return Outcome("lint", "passed", "ruff and pylint-odoo clean")


def pytest_tier(tier, cwd, args):
    proc = run([sys.executable, "-m", "pytest", *args], cwd=cwd, capture_output=True, text=True)
    sys.stdout.write(proc.stdout)
    sys.stdout.write(proc.stderr)
    summary = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
    counts = {word.rstrip("s"): int(n) for n, word in PYTEST_COUNT.findall(summary)}
    outcome = Outcome(
        tier,
        "passed" if proc.returncode == 0 else "failed",
        summary.strip("= "),
        passed=counts.get("passed", 0),
        failed=counts.get("failed", 0) + counts.get("error", 0),
        skipped=counts.get("skipped", 0),
    )
    if proc.returncode == 5:  # pytest: no test collected
        outcome.state, outcome.detail = "failed", "no test was collected"
    return outcome


def odoo_tier(found, pg, logs):
    db = f"arthexis_test_{uuid.uuid4().hex[:8]}"
    try:
        install_log = logs / "odoo-install.log"
        problems = found.install(db, pg, install_log)
        if problems:
            print("\n".join(problems))
            return Outcome("odoo", "failed", f"install logged {len(problems)} warnings/errors")
        print(f"installed {', '.join(odoo_harness.MODULES)} on {db} with a clean log")
        tags = ",".join(f"/{module}" for module in odoo_harness.MODULES)
        test_log = logs / "odoo-tests.log"
        lines = found.run(
            "-d",
            db,
            "--test-enable",
            f"--http-port={odoo_harness.free_port()}",  # HttpCase tests serve on it
            f"--test-tags={tags}",
            "--stop-after-init",
            pg=pg,
            log_path=test_log,
        )
        for line in lines:
            if odoo_harness.PROBLEM.match(line) or "FAIL:" in line or "ERROR:" in line:
                print(line)
        result = next(
            (ODOO_RESULT.search(line) for line in lines if ODOO_RESULT.search(line)), None
        )
        if not result:
            return Outcome("odoo", "failed", f"no test result in the log; see {test_log}")
        failed, errors, total = map(int, result.groups())
        if total == 0:
            return Outcome("odoo", "failed", "no addon test ran")
        skips = [m.groups() for m in map(ODOO_SKIP.search, lines) if m]
        for test, reason in skips:
            print(f"SKIPPED {test}: {reason}")
        reasons = "; ".join(sorted({reason for _test, reason in skips}))
        state = "passed" if failed + errors == 0 else "failed"
        return Outcome(
            "odoo",
            state,
            f"{total} tests, {failed} failed, {errors} errors, {len(skips)} skipped"
            + (f" ({reasons})" if skips else "")
            + f" (log: {test_log})",
            passed=total - failed - errors - len(skips),
            failed=failed + errors,
            skipped=len(skips),
        )
    finally:
        pg.dropdb(db)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tier", action="append", choices=TIERS, help="run only these tiers")
    args = parser.parse_args()
    wanted = args.tier or TIERS
    logs = REPO / "var" / "test-logs"
    logs.mkdir(parents=True, exist_ok=True)

    found, odoo_reason = odoo_harness.find()
    print(f"Odoo: {odoo_reason}")
    pg = None
    outcomes = []
    try:
        for tier in wanted:
            heading(tier)
            started = time.monotonic()
            if tier == "lint":
                outcome = lint()
            elif tier == "bridge":
                outcome = pytest_tier("bridge", REPO / "edge_bridge", ["-q", "tests"])
            elif not found:
                outcome = Outcome(tier, "skipped", odoo_reason)
            else:
                pg = pg or postgres.find_or_start()
                if tier == "odoo":
                    outcome = odoo_tier(found, pg, logs)
                else:
                    outcome = pytest_tier("e2e", REPO / "tests", ["-q", "-p", "no:cacheprovider"])
            outcome.seconds = time.monotonic() - started
            outcomes.append(outcome)
    finally:
        if pg:
            pg.stop()

    heading("summary")
    for o in outcomes:
        print(f"{o.tier:7} {o.state.upper():8} {o.seconds:6.1f}s  {o.detail}")
    total = [sum(getattr(o, k) for o in outcomes) for k in ("passed", "failed", "skipped")]
    print(f"tests: {total[0]} passed, {total[1]} failed, {total[2]} skipped")
    return 1 if any(o.state == "failed" for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
