"""Recipes: scripts kept in Odoo as ordered steps, which a node that enables them
fetches, runs step by step (stopping at the first that fails) and reports back.

Each step runs in ``/bin/sh -c`` in its own process; the output of all steps,
each headed by its command, goes back to Odoo with the exit code of the last
step run. Only nodes with "Recipes enabled" in Odoo get any recipe.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TextIO

from .odoo_client import OdooError

RECIPE_MODEL = "arthexis.recipe"
OUTPUT_LIMIT = 1_000_000  # characters of output kept for Odoo (the tail, if longer)


@dataclass
class RecipeRun:
    """What running a recipe did."""

    recipe_id: int
    name: str
    started_at: str
    finished_at: str = ""
    exit_code: int = 0
    steps_run: int = 0
    output: list[str] = field(default_factory=list)

    def report(self) -> dict[str, Any]:
        text = "".join(self.output)
        return {
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "exit_code": self.exit_code,
            "output": text[-OUTPUT_LIMIT:],
        }


async def fetch(client: Any) -> list[dict[str, Any]]:
    """The recipes Odoo gives this node: [{id, name, steps}]."""
    recipes = await client.call(RECIPE_MODEL, "bridge_recipes", [])
    if not isinstance(recipes, list) or not all(
        isinstance(r, dict) and isinstance(r.get("steps"), list) for r in recipes
    ):
        raise OdooError(f"{RECIPE_MODEL}.bridge_recipes answered something other than recipes")
    return recipes


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def run_steps(
    recipe: dict[str, Any], *, echo: TextIO | None = sys.stdout, timeout: float | None = None
) -> RecipeRun:
    """Run the recipe's steps in order, stopping at the first that fails (blocks)."""
    run = RecipeRun(recipe["id"], recipe["name"], _now())
    for step in recipe["steps"]:
        header = f"$ {step}\n"
        run.output.append(header)
        if echo:
            echo.write(header)
            echo.flush()
        try:
            done = subprocess.run(
                ["/bin/sh", "-c", step],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                timeout=timeout,
                check=False,
            )
            text, code = done.stdout, done.returncode
        except subprocess.TimeoutExpired as error:
            out = error.output
            text = (out.decode(errors="replace") if isinstance(out, bytes) else out or "") + (
                f"\n[step stopped after {timeout} s]\n"
            )
            code = 124
        except OSError as error:
            text, code = f"[cannot run the step: {error}]\n", 127
        run.output.append(text)
        if echo and text:
            echo.write(text)
            echo.flush()
        run.steps_run += 1
        run.exit_code = code
        if code != 0:
            break
    run.finished_at = _now()
    return run


async def run_and_report(
    client: Any, name: str, *, echo: TextIO | None = sys.stdout, step_timeout: float | None = None
) -> RecipeRun:
    """Fetch recipe ``name``, run it, and send Odoo what happened. LookupError if the
    node has no recipe of that name."""
    recipes = await fetch(client)
    found = [r for r in recipes if r.get("name") == name]
    if not found:
        names = ", ".join(sorted(str(r.get("name")) for r in recipes)) or "none"
        raise LookupError(f"Odoo gives this node no recipe {name!r} (it has: {names})")
    run = await asyncio.to_thread(run_steps, found[0], echo=echo, timeout=step_timeout)
    await client.call(RECIPE_MODEL, "bridge_report_run", [run.recipe_id, run.report()])
    return run
