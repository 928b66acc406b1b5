"""Python substrates run on their own daemon threads: one whose runs block for ever holds up
neither the other substrates nor the interpreter's exit, and cancelling a run tells it
(issue 16)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

import sokr

IDENTITY = "sokr.native/1\nparam x: f32[1]\nreturn x\n"


class Blocks:
    """Runs that block until the test ends (a substrate stuck on a device, say)."""

    name = "blocks"

    def __init__(self) -> None:
        self.release = threading.Event()
        self.started = threading.Semaphore(0)

    def capability(self, p: sokr.Program) -> bool:
        return True

    def dispatch(self, p: sokr.Program, inputs: list[np.ndarray]) -> Any:
        self.started.release()
        self.release.wait()
        return inputs[0]


class Doubles:
    name = "doubles"

    def capability(self, p: sokr.Program) -> bool:
        return True

    def dispatch(self, p: sokr.Program, inputs: list[np.ndarray]) -> Any:
        return inputs[0] * 2


@pytest.fixture
def rt() -> Iterator[sokr.Runtime]:
    with sokr.Runtime(substrates=[]) as r:
        yield r


def test_blocked_runs_of_one_python_substrate_do_not_stop_the_others(rt: sokr.Runtime) -> None:
    blocks = Blocks()
    sokr.register_substrate(blocks, runtime=rt)
    sokr.register_substrate(Doubles, runtime=rt)
    try:
        # More blocked runs than the old shared pool had threads (min(32, cpus + 4)), cancelled.
        workers = min(32, (os.cpu_count() or 1) + 4)
        stuck = [
            rt.dispatch(IDENTITY, np.ones(1, np.float32), substrate="blocks") for _ in range(workers + 2)
        ]
        for _ in range(workers):
            assert blocks.started.acquire(timeout=30)
        for f in stuck:
            f.cancel()
        for _ in range(3):
            res = rt.run(IDENTITY, np.full(1, 3, np.float32), substrate="doubles", timeout=30)
            assert float(res.value[0]) == 6.0
    finally:
        blocks.release.set()


def test_cancelling_a_run_sets_its_cancelled_event(rt: sokr.Runtime) -> None:
    seen: list[threading.Event] = []
    started = threading.Event()

    class Watches:
        name = "watches"

        def capability(self, p: sokr.Program) -> bool:
            return True

        def dispatch(self, p: sokr.Program, inputs: list[np.ndarray], cancelled: threading.Event) -> Any:
            seen.append(cancelled)
            started.set()
            cancelled.wait(30)
            raise sokr.CancelledError("stopped as asked")

    sokr.register_substrate(Watches, runtime=rt)
    f = rt.dispatch(IDENTITY, np.ones(1, np.float32), substrate="watches")
    assert started.wait(30)
    assert not seen[0].is_set()
    assert f.cancel()
    assert seen[0].wait(30)  # the substrate was told, and stops


EXIT_WHILE_BLOCKED = """
import threading, numpy as np, sokr

class Forever:
    name = "forever"
    def capability(self, p):
        return True
    def dispatch(self, p, inputs):
        started.set()
        threading.Event().wait()

started = threading.Event()
sokr.register_substrate(Forever)
futs = [sokr.dispatch("sokr.native/1\\nparam x: f32[1]\\nreturn x\\n", np.ones(1, np.float32),
                      substrate="forever") for _ in range(3)]
assert started.wait(30)
futs[0].cancel()
print("exiting", flush=True)
"""


def test_the_interpreter_exits_while_a_python_substrate_blocks() -> None:
    env = {**os.environ, "PYTHONFAULTHANDLER": "1"}
    proc = subprocess.run(
        [sys.executable, "-c", EXIT_WHILE_BLOCKED], capture_output=True, text=True, timeout=60, env=env
    )
    assert proc.returncode == 0, proc.stderr
    assert "exiting" in proc.stdout
    assert "Traceback" not in proc.stderr, proc.stderr  # the service thread does not die at exit
