"""Background tasks: failures are logged when they happen, not lost."""

import asyncio
import logging

from arthexis_bridge.tasks import TaskSet


async def test_a_failing_task_is_logged_with_its_name_and_exception(caplog):
    tasks = TaskSet(logging.getLogger("test.tasks"))

    async def fail():
        raise ValueError("boom")

    task = tasks.spawn(fail(), name="doomed")
    await asyncio.gather(task, return_exceptions=True)
    await asyncio.sleep(0)
    assert "task doomed failed" in caplog.text
    assert "ValueError: boom" in caplog.text
    assert len(tasks) == 0


async def test_cancel_all_ends_every_task():
    tasks = TaskSet(logging.getLogger("test.tasks"))
    started = [tasks.spawn(asyncio.sleep(60), name=f"sleeper {n}") for n in range(3)]
    await asyncio.sleep(0)
    await tasks.cancel_all()
    assert all(task.cancelled() for task in started)
    assert len(tasks) == 0
