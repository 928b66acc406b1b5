"""Giving up on a run (asyncio cancellation, a timeout, Ctrl-C) cancels the run itself: no
run is left busy with nothing to reach it by (issue 16)."""

from __future__ import annotations

import _thread
import asyncio
import concurrent.futures
import itertools
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

import sokr
import sokr.quantum as q
from sokr import _future, neuro
from sokr._future import Derived

# A circuit that runs for minutes on a CPU (2000 layers of 22 Hadamards and a CNOT chain over 4M
# amplitudes; Hadamards alone would cancel out in gate fusion), so that whatever gives up on it
# does so while it runs.
LONG = "\n".join(
    [
        "OPENQASM 3.0;",
        'include "stdgates.inc";',
        "qubit[22] q;",
        "for int i in [0:2000] {",
        *(f"h q[{i}];" for i in range(22)),
        *(f"cx q[{i}], q[{i + 1}];" for i in range(21)),
        "}",
    ]
)


@pytest.fixture(scope="module")
def long_circuit() -> sokr.Program:
    p = sokr.program(LONG)
    # The first capability question about a circuit this large measures statevec's estimate
    # and may start Vulkan to compare (once per process): done here, not in a timed test.
    sokr.capability(p)
    return p


def _check_cancelled(fut: concurrent.futures.Future[object]) -> None:
    """The run behind ``fut`` was cancelled in the core: the future says so with sokr's error."""
    assert fut.cancelled()
    with pytest.raises(sokr.CancelledError):
        fut.result(10)


def _new_pending(before: set[int]) -> set[int]:
    """Tickets of dispatches still unresolved that were not before."""
    with _future._lock:
        return set(_future._pending) - before


async def test_wait_for_on_sample_async_raises_timeout_error_and_cancels_the_run(
    long_circuit: sokr.Program,
) -> None:
    fut = q.sample_async(long_circuit, shots_count=10)
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(fut, 0.2)
    _check_cancelled(fut)


async def test_wait_for_on_a_parsed_sample_async_raises_timeout_error() -> None:
    fut = q.sample_async(LONG, shots_count=10)  # parsed on a worker: a Launching future
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(fut, 0.5)
    _check_cancelled(fut)


async def test_cancelling_a_task_awaiting_sample_async_cancels_task_and_run(
    long_circuit: sokr.Program,
) -> None:
    fut = q.sample_async(long_circuit, shots_count=10)

    async def waiter() -> object:
        return await fut

    task = asyncio.ensure_future(waiter())
    await asyncio.sleep(0.1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert task.cancelled()
    _check_cancelled(fut)


async def test_wait_for_on_observe_and_get_state_async_cancels_the_run(long_circuit: sokr.Program) -> None:
    futs = [
        q.observe_async(long_circuit, q.spin.z(0)),
        q.get_state_async(long_circuit),
    ]
    for fut in futs:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(fut, 0.1)
        _check_cancelled(fut)


def test_keyboard_interrupt_thrown_into_an_await_cancels_the_run_and_goes_on(slow: sokr.Program) -> None:
    """What a kernel interrupt does to a coroutine awaiting a run: it is thrown in where the
    coroutine waits."""

    async def interrupt(fut: Any) -> None:
        steps = fut.__await__()
        steps.send(None)  # now waiting for the run
        with pytest.raises(KeyboardInterrupt):
            steps.throw(KeyboardInterrupt)

    for fut in (
        sokr.dispatch(slow, np.eye(1200)),
        Derived(sokr.dispatch(slow, np.eye(1200)), lambda r: r),
    ):
        asyncio.run(interrupt(fut))
        _check_cancelled(fut)
    child = sokr.dispatch(slow, np.eye(1200))
    gathered = sokr.gather(child)
    asyncio.run(interrupt(gathered))
    assert gathered.cancelled()
    _check_cancelled(child)


def test_closing_an_unfinished_await_leaves_the_run_going(slow: sokr.Program) -> None:
    """A coroutine closed while it waits (its loop closed, the task collected) is not giving
    up the run: others may still wait on it."""
    fut = sokr.dispatch(slow, np.eye(1200))

    async def main() -> None:
        await fut

    async def close_while_waiting() -> None:
        coro = main()
        coro.send(None)  # now waiting for the run
        coro.close()

    asyncio.run(close_while_waiting())
    assert not fut.cancelled()
    np.testing.assert_array_equal(fut.result(60).value, np.eye(1200))


async def test_cancelling_gather_cancels_its_children(slow: sokr.Program) -> None:
    futs = [sokr.dispatch(slow, np.eye(1200)) for _ in range(2)]
    g = sokr.gather(*futs)
    assert g.cancel()
    for f in futs:
        _check_cancelled(f)


async def test_gather_timing_out_in_wait_for_cancels_its_children(long_circuit: sokr.Program) -> None:
    futs = [q.sample_async(long_circuit, shots_count=10) for _ in range(2)]
    with pytest.raises(TimeoutError):
        gathered: Any = sokr.gather(*futs)
        await asyncio.wait_for(gathered, 0.2)
    for f in futs:
        _check_cancelled(f)


@pytest.fixture
def interrupt_soon() -> Iterator[threading.Timer]:
    """Ctrl-C in the main thread 0.3 s after the test starts it."""
    timer = threading.Timer(0.3, _thread.interrupt_main)
    yield timer
    timer.cancel()


def test_ctrl_c_during_sokr_run_cancels_the_run(slow: sokr.Program, interrupt_soon: threading.Timer) -> None:
    with _future._lock:
        before = set(_future._pending)
    big = np.eye(1200) * 1.0
    interrupt_soon.start()
    with pytest.raises(KeyboardInterrupt):
        for _ in range(100):  # the slow program takes far longer than 0.3 s; loop to be sure
            sokr.run(slow, big)
    assert _new_pending(before) == set()  # cancelled, not left running


def test_ctrl_c_during_quantum_sample_cancels_the_run(
    long_circuit: sokr.Program, interrupt_soon: threading.Timer
) -> None:
    with _future._lock:
        before = set(_future._pending)
    done: list[concurrent.futures.Future[object]] = []
    orig = _future.wait

    def spy(fut: concurrent.futures.Future[object], timeout: float | None = None) -> object:
        done.append(fut)
        return orig(fut, timeout)

    interrupt_soon.start()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_future, "wait", spy)
        with pytest.raises(KeyboardInterrupt):
            q.sample(long_circuit, shots_count=10)
    assert _new_pending(before) == set()
    assert len(done) == 1
    _check_cancelled(done[0])


def test_ctrl_c_during_neuro_run_cancels_the_run(interrupt_soon: threading.Timer) -> None:
    # Sixteen Affine layers of 1024 x 1024 and LIF neurons, 8000 steps of a batch of 2: about
    # 3 s on one core, ten times the 0.3 s before Ctrl-C (two layers took 0.5 s, and a run
    # that finished as Ctrl-C came could no longer be cancelled).
    n, layers = 1024, 16
    nodes: dict[str, Any] = {"in": {"type": "Input", "shape": [n]}}
    for i in range(layers):
        nodes[f"aff{i}"] = {
            "type": "Affine",
            "weight": np.full((n, n), 1e-3, np.float32),
            "bias": np.zeros(n),
        }
    nodes["lif"] = {
        "type": "LIF",
        "tau": np.full(n, 1e-3),
        "r": np.ones(n),
        "v_leak": np.zeros(n),
        "v_threshold": np.ones(n),
    }
    nodes["out"] = {"type": "Output", "shape": [n]}
    chain = ["in", *(f"aff{i}" for i in range(layers)), "lif", "out"]
    graph = neuro.load({"nodes": nodes, "edges": [list(e) for e in itertools.pairwise(chain)]})
    x = np.ones((8000, 2, n), np.float32)
    with _future._lock:
        before = set(_future._pending)
    done: list[concurrent.futures.Future[object]] = []
    orig = _future.wait

    def spy(fut: concurrent.futures.Future[object], timeout: float | None = None) -> object:
        done.append(fut)
        return orig(fut, timeout)

    interrupt_soon.start()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_future, "wait", spy)
        with pytest.raises(KeyboardInterrupt):
            neuro.run(graph, x)
    assert _new_pending(before) == set()
    assert len(done) == 1
    _check_cancelled(done[0])


CTRL_C_IN_ASYNCIO_RUN = """
import asyncio, sys
import sokr, sokr.quantum as q

LONG = sokr.program(sys.argv[1])  # parsed: sample_async returns the dispatch's Derived future

async def main():
    fut = q.sample_async(LONG, shots_count=10)
    try:
        print("awaiting", flush=True)
        await fut
    finally:
        try:
            fut.result(10)
        except BaseException as e:
            print("run:", type(e).__module__, type(e).__name__, flush=True)

asyncio.run(main())
"""


def test_ctrl_c_during_await_in_asyncio_run_cancels_the_run_and_raises_keyboard_interrupt() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", CTRL_C_IN_ASYNCIO_RUN, LONG],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "awaiting"
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert "run: sokr.errors CancelledError" in out, (out, err)  # the run itself was cancelled
    assert err.rstrip().endswith("KeyboardInterrupt"), err
    assert proc.returncode != 0
