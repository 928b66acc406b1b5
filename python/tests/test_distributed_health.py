"""sokr.distributed when the scheduler dies, and which work a healthy cluster gets (issue 16)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import sokr

distributed = pytest.importorskip("distributed") if not os.environ.get("CI") else __import__("distributed")
from sokr.distributed import DaskSubstrate  # noqa: E402

BELL = """OPENQASM 3;
include "stdgates.inc";
qubit[2] q;
bit[2] c;
h q[0];
cx q[0], q[1];
c = measure q;
"""

# Runs for minutes on a worker: the scheduler dies while it runs.
LONG = "\n".join(
    [
        "OPENQASM 3;",
        'include "stdgates.inc";',
        "qubit[22] q;",
        "for int i in [0:2000] {",
        *(f"h q[{i}];" for i in range(22)),
        *(f"cx q[{i}], q[{i + 1}];" for i in range(21)),
        "}",
    ]
)


@pytest.fixture
def rt() -> Iterator[sokr.Runtime]:
    with sokr.Runtime() as r:
        yield r


def _start(args: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


@pytest.fixture
def own_scheduler(tmp_path: Path) -> Iterator[tuple[Any, subprocess.Popen[bytes]]]:
    """A scheduler and a worker in processes of their own (the scheduler can be killed), and a
    client connected to them."""
    sf = str(tmp_path / "scheduler.json")
    sched = _start(
        ["distributed.cli.dask_scheduler", "--scheduler-file", sf, "--port", "0", "--dashboard-address", ":0"]
    )
    worker_args = ["--nthreads", "1", "--no-nanny", "--dashboard-address", ":0"]
    worker = _start(["distributed.cli.dask_worker", "--scheduler-file", sf, *worker_args])
    try:
        deadline = time.monotonic() + 60
        while not os.path.exists(sf) and time.monotonic() < deadline:
            time.sleep(0.1)
        client = distributed.Client(scheduler_file=sf, timeout=30, set_as_default=False)
        try:
            client.wait_for_workers(1, timeout=60)
            yield client, sched
        finally:
            client.close(timeout=5)
    finally:
        for p in (worker, sched):
            p.kill()
            p.wait(30)


def test_a_healthy_cluster_gets_pinned_work_not_every_unpinned_local_program(
    own_scheduler: tuple[Any, subprocess.Popen[bytes]], rt: sokr.Runtime
) -> None:
    client, _ = own_scheduler
    with DaskSubstrate(client, runtime=rt):
        prog = rt.program(BELL)
        assert [o.ok for o in rt.capability(prog) if o.substrate == "dask"] == [True]
        assert rt.run(prog, shots=10).substrate != "dask"  # "dask" sorts first, but is remote
        assert rt.run(prog, shots=10, substrate="dask").substrate == "dask"
        assert rt.run(prog, shots=10, policy="cheapest").substrate != "dask"  # no estimate


def test_a_dead_scheduler_answers_no_fails_runs_in_flight_and_work_falls_back(
    own_scheduler: tuple[Any, subprocess.Popen[bytes]], rt: sokr.Runtime
) -> None:
    client, sched = own_scheduler
    with DaskSubstrate(client, runtime=rt, timeout=5):
        prog = rt.program(BELL)
        assert rt.run(prog, shots=10, substrate="dask").substrate == "dask"  # healthy first
        in_flight = rt.dispatch(rt.program(LONG), substrate="dask", shots=10)
        time.sleep(1.0)
        assert not in_flight.done(), in_flight.exception()
        sched.send_signal(signal.SIGKILL)
        sched.wait(30)

        with pytest.raises(sokr.SubstrateFaultError, match=r"Dask.*run was lost"):
            in_flight.result(60)

        deadline = time.monotonic() + 30
        while client.status == "running" and time.monotonic() < deadline:
            time.sleep(0.05)  # the client sees the connection close
        offers = {o.substrate: o for o in rt.capability(prog)}
        assert not offers["dask"].ok
        assert "cannot be reached" in offers["dask"].reason
        assert "Dask scheduler" in offers["dask"].reason

        res = rt.run(prog, shots=10, timeout=30)  # unpinned: runs locally, at once
        assert res.substrate != "dask"
        assert sum(res.domain_values["counts"].values()) == 10
        with pytest.raises(sokr.NoCapableSubstrateError, match="cannot be reached"):
            rt.run(prog, shots=10, substrate="dask", timeout=30)
