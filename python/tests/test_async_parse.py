"""The _async calls return at once, even when their program must be parsed first: the parse
runs in the background under the dispatch's timeout, and cancelling the future cancels it.

PARSE_HEAVY takes seconds to parse (a loop of 2^63 steps, run until a limit refuses it),
so a call that parsed on the caller's thread would return a finished future, or raise."""

from __future__ import annotations

import asyncio
import concurrent.futures

import numpy as np
import pytest

import sokr
from sokr import neuro, quantum

PARSE_HEAVY = (
    "OPENQASM 3;\nqubit q;\nint x = 0;\nfor int i in [0:9223372036854775807] { x = x + i * 2 - 1; }\n"
)
BELL = (
    'OPENQASM 3;\ninclude "stdgates.inc";\nqubit[2] q;\nbit[2] c;\nh q[0];\ncx q[0], q[1];\nc = measure q;\n'
)


def test_sample_async_returns_before_the_parse_and_times_out() -> None:
    fut = quantum.sample_async(PARSE_HEAVY, timeout=0.3)
    assert not fut.done(), "the call waited for the parse"
    assert "parsing" in repr(fut)
    with pytest.raises(sokr.DeadlineExceededError):
        fut.result(60)
    assert isinstance(fut.exception(0), TimeoutError)


def test_wait_for_gives_up_and_cancels() -> None:
    async def main() -> concurrent.futures.Future[quantum.SampleResult]:
        fut = quantum.sample_async(PARSE_HEAVY)
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(fut, 0.3)  # type: ignore[arg-type]
        return fut

    fut = asyncio.run(main())
    assert fut.cancelled()


def test_cancel_during_the_parse() -> None:
    for start in (
        lambda: quantum.sample_async(PARSE_HEAVY),
        lambda: quantum.observe_async(PARSE_HEAVY, quantum.spin.z(0)),
        lambda: quantum.get_state_async(PARSE_HEAVY),
    ):
        fut = start()
        assert not fut.done()
        assert fut.cancel()
        assert fut.cancelled()
        with pytest.raises(concurrent.futures.CancelledError):
            fut.result(10)
        assert not fut.cancel() or fut.cancelled()


def test_result_timeout_leaves_it_running() -> None:
    fut = quantum.sample_async(PARSE_HEAVY)
    with pytest.raises(TimeoutError):
        fut.result(timeout=0.05)
    assert not fut.done()
    assert fut.cancel()


def test_parsed_in_the_background_then_run() -> None:
    # A fresh text (not parsed before): parsed on a worker, then sampled.
    text = BELL + "// " + __name__ + " background\n"
    fut = quantum.sample_async(text, shots_count=100, seed=3, timeout=60)
    r = fut.result(60)
    assert set(r) <= {"00", "11"} and r.shots == 100
    assert fut.substrate == "statevec"
    # Parsed now: the next call dispatches at once, with the same result.
    again = quantum.sample_async(text, shots_count=100, seed=3)
    assert dict(again.result(60)) == dict(r)

    async def awaited() -> quantum.SampleResult:
        return await quantum.sample_async(BELL + "// awaited\n", shots_count=10, seed=1)

    assert sum(asyncio.run(awaited()).values()) == 10


def test_failures_come_through_the_future() -> None:
    bad = quantum.sample_async("OPENQASM 3;\nqubit q;\nfoo q;\n")
    with pytest.raises(sokr.InvalidProgramError, match="foo"):
        bad.result(60)
    wrong = quantum.sample_async(BELL + "// arity\n", 0.5)  # BELL takes no parameter
    with pytest.raises(sokr.InvalidInputError, match="takes 0 parameter"):
        wrong.result(60)
    parsed = quantum.sample_async(BELL + "// arity\n", 0.5)  # parsed now: the quick path
    with pytest.raises(sokr.InvalidInputError, match="takes 0 parameter"):
        parsed.result(60)


def test_neuro_run_async_reads_in_the_background() -> None:
    graph = {
        "nodes": {
            "in": {"type": "Input", "shape": [1]},
            "lif": {
                "type": "LIF",
                "tau": [0.001],
                "r": [1.0],
                "v_leak": [0.0],
                "v_threshold": [1.0],
            },
            "out": {"type": "Output", "shape": [1]},
        },
        "edges": [["in", "lif"], ["lif", "out"]],
    }
    x = np.full((20, 1, 1), 30.0, np.float32)
    fut = neuro.run_async(graph, x, timeout=60)
    r = fut.result(60)
    assert r.substrate == "snn"
    with pytest.raises(sokr.InvalidProgramError):
        neuro.run_async({"nodes": {}, "edges": [["a", "b"]]}, x).result(60)


def test_synchronous_calls_parse_within_their_timeout() -> None:
    with pytest.raises(sokr.DeadlineExceededError):
        sokr.dispatch(PARSE_HEAVY, timeout=0.3)
    with pytest.raises(sokr.DeadlineExceededError):
        sokr.run(PARSE_HEAVY, timeout=0.3)
    with pytest.raises(sokr.DeadlineExceededError):
        quantum.sample(PARSE_HEAVY, timeout=0.3)
    with pytest.raises(sokr.DeadlineExceededError):
        quantum.observe(PARSE_HEAVY, quantum.spin.z(0), timeout=0.3)
    # A source that parses in time runs with what is left of the timeout.
    r = sokr.run(BELL + "// dispatch\n", timeout=60, shots=10, seed=2)
    assert sum(r.domain_values["counts"].values()) == 10
