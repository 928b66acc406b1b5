"""The domain APIs written once (issue 16): each sync call waits on its _async form, the
futures have CUDA-Q's get(), neuro.Session follows the runtime's policy; and, from issue 17,
broadcasting for the _async forms and explicit_measurements for sample."""

from __future__ import annotations

import _thread
import asyncio
import inspect
import math
import threading
from typing import Any

import numpy as np
import pytest

import sokr
from sokr import neuro, photonic, quantum
from sokr.quantum import spin

ANSATZ = 'OPENQASM 3; include "stdgates.inc"; input float theta; qubit[1] q; ry(theta) q[0];'
BELL = 'OPENQASM 3; include "stdgates.inc"; qubit[2] q; bit[2] c; h q[0]; cx q[0], q[1]; c = measure q;'
LIF = {
    "nodes": {
        "in": {"type": "Input", "shape": [1]},
        "lif": {"type": "LIF", "tau": [1e-3], "r": [1.0], "v_leak": [0.0], "v_threshold": [1.0]},
        "out": {"type": "Output", "shape": [1]},
    },
    "edges": [["in", "lif"], ["lif", "out"]],
}


def test_the_sync_calls_have_explicit_keywords() -> None:
    for fn, names in (
        (quantum.sample, ["shots_count", "noise_model", "explicit_measurements", "seed", "substrate"]),
        (quantum.observe, ["shots_count", "noise_model", "seed", "substrate"]),
        (quantum.get_state, ["noise_model", "substrate"]),
    ):
        params = inspect.signature(fn).parameters
        async_params = inspect.signature(getattr(quantum, fn.__name__ + "_async")).parameters
        for n in [*names, "runtime", "timeout"]:
            assert params[n].kind is inspect.Parameter.KEYWORD_ONLY, (fn.__name__, n)
            assert params[n].default == async_params[n].default, (fn.__name__, n)


def test_every_sync_domain_call_takes_its_async_forms_keywords() -> None:
    from sokr.photonic import orca

    for sync, asynchronous in (
        (neuro.run, neuro.run_async),
        (photonic.sample, photonic.sample_async),
        (photonic.probabilities, photonic.probabilities_async),
        (orca.sample, orca.sample_async),
    ):
        a, b = inspect.signature(sync).parameters, inspect.signature(asynchronous).parameters
        assert list(a) == list(b), sync.__qualname__
        for n in a:
            assert (a[n].kind, a[n].default) == (b[n].kind, b[n].default), (sync.__qualname__, n)


def test_sync_and_async_give_the_same_results() -> None:
    a = quantum.sample(BELL, shots_count=300, seed=5)
    b = quantum.sample_async(BELL, shots_count=300, seed=5).get()
    assert dict(a) == dict(b) and a.shots == 300
    e = quantum.observe(ANSATZ, spin.z(0), 0.4).expectation()
    assert quantum.observe_async(ANSATZ, spin.z(0), 0.4).get().expectation() == pytest.approx(e)
    assert e == pytest.approx(math.cos(0.4))
    s = quantum.get_state(ANSATZ, 0.4)
    np.testing.assert_allclose(np.asarray(quantum.get_state_async(ANSATZ, 0.4).get()), np.asarray(s))


def test_domain_futures_have_get() -> None:
    p = sokr.program(BELL)  # parsed: a dispatch's future; a text not parsed yet: a launching one
    text = BELL.replace("h q[0];", "h q[0]; x q[1]; x q[1];")
    for fut in (quantum.sample_async(p, shots_count=10), quantum.sample_async(text, shots_count=10)):
        assert fut.get(30).shots == 10
    x = np.full((30, 1, 1), 2.0)
    assert int(neuro.run_async(LIF, x, dt=1e-4).get(30).value.sum()) == 4
    hom = photonic.Builder(2, input_state=(1, 1)).bs(0, 1)
    assert sum(photonic.sample_async(hom, shots=20, seed=1).get(30).values()) == 20
    with neuro.Session(LIF, dt=1e-4) as s:
        assert int(s.run_async(x).get(30).value.sum()) == 4


def test_a_failure_comes_through_get() -> None:
    fut = quantum.sample_async("OPENQASM 3; qubit[1] q; nope q[0];", shots_count=10)
    with pytest.raises(sokr.SokrError):
        fut.get(30)
    with pytest.raises(TypeError, match="shots_count"):
        quantum.sample(BELL, shots=10)


async def test_broadcast_async_forms() -> None:
    thetas = [0.1, 0.5, 0.9]
    fut = quantum.observe_async(ANSATZ, spin.z(0), thetas)
    results = await fut
    assert [r.expectation() for r in results] == pytest.approx([math.cos(t) for t in thetas])
    assert [r.expectation() for r in fut.get()] == pytest.approx([math.cos(t) for t in thetas])
    samples = quantum.sample_async(ANSATZ + " bit[1] c; c[0] = measure q[0];", [0.0, math.pi], shots_count=50)
    assert [dict(r) for r in samples.get(30)] == [{"0": 50}, {"1": 50}]
    states = quantum.get_state_async(ANSATZ, [0.0, math.pi]).get(30)
    np.testing.assert_allclose(np.abs(np.asarray(states[0])), [1, 0], atol=1e-6)
    np.testing.assert_allclose(np.abs(np.asarray(states[1])), [0, 1], atol=1e-6)
    # The sync forms broadcast the same way.
    assert [r.expectation() for r in quantum.observe(ANSATZ, spin.z(0), thetas)] == pytest.approx(
        [r.expectation() for r in results]
    )


# Seconds of work per run (as in test_interrupts.py), with a parameter to broadcast over.
LONG = "\n".join(
    [
        'OPENQASM 3.0; include "stdgates.inc"; input float theta; qubit[22] q;',
        "for int i in [0:2000] {",
        "rz(theta) q[0];",
        *(f"h q[{i}];" for i in range(22)),
        *(f"cx q[{i}], q[{i + 1}];" for i in range(21)),
        "}",
    ]
)


async def test_cancelling_a_broadcast_cancels_every_run() -> None:
    p = sokr.program(LONG)
    fut = quantum.sample_async(p, [0.1, 0.2], shots_count=1)
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(fut)), 0.2)  # type: ignore[arg-type]
    assert fut.cancel()
    for run in fut._futs:  # type: ignore[attr-defined]
        with pytest.raises(sokr.CancelledError):
            run.result(30)


def test_ctrl_c_during_a_broadcast_sample_cancels_every_run() -> None:
    from sokr import _future

    p = sokr.program(LONG)
    sokr.capability(p)  # measures statevec's estimate (once per process) before the timer starts
    waited: list[Any] = []
    wait = _future.wait

    def spy(fut: Any, timeout: float | None = None) -> Any:
        waited.append(fut)
        return wait(fut, timeout)

    timer = threading.Timer(0.3, _thread.interrupt_main)
    timer.start()
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(_future, "wait", spy)
            with pytest.raises(KeyboardInterrupt):
                quantum.sample(p, [0.1, 0.2], shots_count=1)
    finally:
        timer.cancel()
    (fut,) = waited
    assert fut.cancelled() and len(fut._futs) == 2
    for run in fut._futs:
        with pytest.raises(sokr.CancelledError):
            run.result(30)


def test_a_broadcast_with_one_bad_set_fails() -> None:
    with pytest.raises(sokr.InvalidInputError, match="all of one length"):
        quantum.sample_async(ANSATZ, [0.1, 0.2], [0.3])


# x q[1]; three measurements, into bits c[2], d[0], c[0] in that order: q0 (0), q1 (1), q1 (1).
EXPLICIT = (
    'OPENQASM 3; include "stdgates.inc"; qubit[2] q; bit[3] c; bit[1] d; x q[1]; '
    "c[2] = measure q[0]; d[0] = measure q[1]; h q[0]; c[0] = measure q[0];"
)


def test_explicit_measurements_are_in_execution_order() -> None:
    final = quantum.sample(EXPLICIT, shots_count=400, seed=2)
    assert set(final) <= {"1000", "1001"}  # d c2 c1 c0, bit 0 rightmost
    r = quantum.sample(EXPLICIT, shots_count=400, seed=2, explicit_measurements=True)
    # Measurement i is bit i: the first (q0 -> 0) rightmost, CUDA-Q's order leftmost.
    assert set(r) == {"010", "110"} and r.shots == 400
    assert set(r.in_order("cudaq")) == {"010", "011"}
    assert r["110"] == final["1001"] and r["010"] == final["1000"]
    assert [g.name for g in r.registers] == ["__global__"]
    assert all(len(s) == 3 for s in r.get_sequential_data())
    # The async form too.
    fut = quantum.sample_async(EXPLICIT, shots_count=400, seed=2, explicit_measurements=True)
    assert dict(fut.get()) == dict(r)


@pytest.mark.parametrize(
    ("kernel", "match"),
    [
        (
            'OPENQASM 3; include "stdgates.inc"; qubit[1] q; bit[1] c; c[0] = measure q[0]; '
            "x q[0]; c[0] = measure q[0];",
            "classical bit 0 more than once",
        ),
        (
            'OPENQASM 3; include "stdgates.inc"; qubit[2] q; bit[2] c; c[0] = measure q[0]; '
            "if (c[0] == 1) { c[1] = measure q[1]; }",
            "measures under 'if",
        ),
        ('OPENQASM 3; include "stdgates.inc"; qubit[1] q; h q[0];', "measures nothing"),
    ],
)
def test_explicit_measurements_refuses_what_the_final_register_cannot_tell(kernel: str, match: str) -> None:
    with pytest.raises(sokr.InvalidInputError, match=match):
        quantum.sample(kernel, shots_count=10, explicit_measurements=True)


def test_a_session_follows_the_runtimes_policy() -> None:
    asked: list[list[str]] = []

    def policy(program: sokr.Program, offers: list[sokr.Offer]) -> sokr.Offer:
        asked.append([o.substrate for o in offers])
        return offers[0]

    with sokr.Runtime(policy=policy) as rt:
        x = np.full((30, 1, 1), 2.0)
        with neuro.Session(LIF, runtime=rt, dt=1e-4) as s:
            assert s.substrate is None  # not chosen before the first chunk
            a = s.run(x[:15])
            assert s.substrate == a.substrate == asked[0][0]
            b = s.run(x[15:])  # where the state is, without asking the policy again
            assert b.substrate == a.substrate and len(asked) == 1
            assert int(a.value.sum() + b.value.sum()) == 4  # one run of 30 steps gives 4 spikes
            assert a.substrate in repr(s)


def test_a_session_pinned_to_a_substrate_that_cannot_run_it_fails() -> None:
    with neuro.Session(LIF, substrate="cpu", dt=1e-4) as s:
        with pytest.raises(sokr.NoCapableSubstrateError):
            s.run(np.zeros((5, 1, 1)))


def test_async_result_type_is_exported() -> None:
    assert quantum.AsyncResult is sokr._launch.AsyncResult
    any_future: Any = quantum.sample_async(BELL, shots_count=5)
    assert callable(any_future.get)
