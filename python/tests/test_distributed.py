"""sokr.distributed: sweeps on a Dask LocalCluster, capability across workers, a worker killed
mid-run, and an unreachable scheduler."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections import Counter
from typing import Any

import numpy as np
import pytest

import sokr
from sokr import quantum

distributed = pytest.importorskip("distributed") if not os.environ.get("CI") else __import__("distributed")
from sokr.distributed import DaskSubstrate, SchedulerUnreachableError  # noqa: E402

KERNEL = """OPENQASM 3;
include "stdgates.inc";
input float theta;
qubit[2] q;
bit[2] c;
ry(theta) q[0];
cx q[0], q[1];
c = measure q;
"""


@pytest.fixture(scope="module")
def cluster():
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=40
        ) as lc,
        distributed.Client(lc) as client,
    ):
        yield client


@pytest.fixture
def rt():
    with sokr.Runtime() as r:
        yield r


def test_sweep_matches_local(cluster: Any, rt: sokr.Runtime) -> None:
    with DaskSubstrate(cluster, runtime=rt) as ds:
        assert "dask" in {s.name for s in rt.substrates()}
        thetas = np.linspace(0, np.pi, 40)
        prog = rt.program(KERNEL)
        futs = ds.sweep(prog, [(t,) for t in thetas], shots=200, seed=11)
        remote = {}
        for f in sokr.as_completed(futs):
            r = f.result()
            assert r.substrate == "dask"
            remote[futs.index(f)] = r.domain_values["counts"]
        local = [
            rt.run(prog, t, substrate="statevec", shots=200, seed=11).domain_values["counts"] for t in thetas
        ]
        assert [remote[i] for i in range(len(thetas))] == local
        # quantum.sample reaches the cluster when pinned to it, with its registers.
        counts = quantum.sample(KERNEL, np.pi, shots_count=100, substrate="dask", runtime=rt, seed=1)
        assert dict(counts) == {"11": 100}
        assert counts.meta["worker_substrate"] == "statevec"
    assert "dask" not in {s.name for s in rt.substrates()}


def test_zero_d_arrays_keep_their_shape(cluster: Any, rt: sokr.Runtime) -> None:
    with DaskSubstrate(cluster, runtime=rt) as ds:
        prog = rt.program("sokr.native/1\nparam a: f32[]\nb: f32[] = neg a\nreturn b\n")
        (fut,) = ds.sweep(prog, [(np.float32(2),)])
        r = fut.result(60)
        assert r.substrate == "dask" and r["b"].shape == () and r["b"] == -2


def test_capability_is_the_union_of_the_workers(cluster: Any, rt: sokr.Runtime) -> None:
    with DaskSubstrate(cluster, runtime=rt, name="cluster") as ds:
        offers = {o.substrate: o for o in rt.capability(KERNEL)}
        assert offers["cluster"].ok
        nat = rt.program("sokr.native/1\nparam x: f32[3]\ny: f32[3] = neg x\nreturn y\n")
        r = rt.run(nat, np.array([1, 2, 3], np.float32), substrate="cluster")
        np.testing.assert_array_equal(r["y"], [-1, -2, -3])

        class Poly:
            format = "poly/1"

            def accepts(self, obj: Any) -> bool:
                return isinstance(obj, str) and obj.startswith("poly:")

            def lower(self, obj: str) -> bytes:
                return obj.encode()

        sokr.register_ir(Poly, runtime=rt)
        ok, reason = ds.capability(rt.program("poly:1,2"))
        assert not ok
        assert reason.startswith("no worker can run it (tcp://")
        assert reason.count('unknown program format: "poly/1"') == 2, reason


def test_a_killed_worker_loses_no_result(rt: sokr.Runtime) -> None:
    # A cluster of its own: one of its workers is killed mid-sweep; the nanny restarts it
    # and Dask re-runs its tasks. Every SOKR future completes once, with the right result.
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=50
        ) as lc,
        distributed.Client(lc) as client,
        DaskSubstrate(client, runtime=rt) as ds,
    ):
        n = 18
        slow = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n' + f"qreg q[{n}];\ncreg c[{n}];\n"
        slow += "".join(f"h q[{i}];\nrz({0.1 * i}) q[{i}];\n" for i in range(n)) * 6
        slow += "".join(f"cx q[{i}], q[{i + 1}];\n" for i in range(n - 1)) + "measure q -> c;\n"
        prog = rt.program(slow)
        ds.capability(prog)  # warm the workers up before the clock starts
        seeds = list(range(60))
        futs = [rt.dispatch(prog, substrate="dask", shots=50, seed=s, fusion=0) for s in seeds]
        completions: Counter[int] = Counter()
        lock = threading.Lock()
        for i, f in enumerate(futs):
            f.add_done_callback(lambda _f, i=i: (lock.acquire(), completions.update([i]), lock.release()))
        while sum(completions.values()) < 5:
            time.sleep(0.01)
        pids = client.run(os.getpid)
        victim = sorted(pids.values())[0]
        os.kill(victim, signal.SIGKILL)
        results = [f.result(120).domain_values["counts"] for f in futs]
        time.sleep(0.2)
        assert set(completions.values()) == {1} and len(completions) == len(futs)
        want = [
            rt.run(prog, substrate="statevec", shots=50, seed=s, fusion=0).domain_values["counts"]
            for s in seeds[:5]
        ]
        assert results[:5] == want
        assert all(sum(c.values()) == 50 for c in results)


def test_unreachable_scheduler_is_a_clear_error() -> None:
    t = time.monotonic()
    with pytest.raises(
        SchedulerUnreachableError, match=r"cannot reach the Dask scheduler at tcp://127.0.0.1:9 within 2 s"
    ):
        DaskSubstrate("tcp://127.0.0.1:9", timeout=2)
    assert time.monotonic() - t < 30
    with pytest.raises(TypeError, match=r"distributed\.Client or a scheduler address"):
        DaskSubstrate(42)
