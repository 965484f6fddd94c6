import time

import pytest


def wait_for(condition, timeout, what):
    """Poll condition() until it returns something truthy; fail saying what was awaited."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"waited {timeout} s for {what}")
        time.sleep(0.25)
