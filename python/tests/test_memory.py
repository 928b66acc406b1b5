"""The runtime's memory budget: Runtime(memory=...), SOKR_MEMORY, refusals with the numbers,
runs that wait for memory, and `sokr info`."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest

import sokr
from sokr.cli import main

GIB = 1 << 30


def circuit(qubits: int) -> str:
    return f'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[{qubits}];\nh q;\n'


def test_memory_argument_sets_the_budget() -> None:
    with sokr.Runtime(memory="1.5GiB") as rt:
        assert rt.memory() == {
            "budget": 3 << 29,
            "source": "Runtime(memory=...)",
            "reserved": 0,
            "waiting": 0,
        }
        statevec = next(s for s in rt.substrates() if s.name == "statevec")
        assert statevec.properties["memory_bytes"] == str(3 << 29), "the substrates plan for the same budget"
        assert rt.info()["memory"]["budget"] == 3 << 29
    with sokr.Runtime(memory=2_000_000_000) as rt:
        assert rt.memory()["budget"] == 2_000_000_000
    with sokr.Runtime(memory=np.int64(GIB)) as rt:
        assert rt.memory()["budget"] == GIB


@pytest.mark.parametrize(
    ("memory", "error", "message"),
    [
        ("4 lots", ValueError, 'unknown unit "lots"'),
        ("", ValueError, "no number"),
        ("0", ValueError, "not a positive size"),
        (-1, ValueError, "positive number of bytes, not -1"),
        (0, ValueError, "positive number of bytes, not 0"),
        (1.5, TypeError, "not float"),
        (True, TypeError, "not bool"),
    ],
)
def test_memory_argument_is_checked(memory: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        sokr.Runtime(memory=memory)  # type: ignore[arg-type]


def test_a_run_that_could_never_fit_is_refused_with_the_numbers() -> None:
    with sokr.Runtime(memory="1GiB") as rt:
        prog = rt.program(circuit(28))  # 4 GiB as complex128, 2 GiB as complex64
        offer = next(o for o in rt.capability(prog) if o.substrate == "statevec")
        assert not offer.ok
        assert re.search(r"in 1(\.0)? GiB", offer.reason), offer.reason
        with pytest.raises(sokr.NoCapableSubstrateError, match=r"in 1(\.0)? GiB"):
            rt.dispatch(prog, shots=1).result(timeout=60)


def test_runs_that_do_not_fit_together_wait_and_all_complete() -> None:
    # 20 qubits: 16 MiB of state each; a budget of 40 MiB holds two at a time.
    with sokr.Runtime(substrates=["statevec"], memory="40MiB") as rt:
        prog = rt.program(circuit(20))
        futs = [rt.dispatch(prog, shots=5, seed=i) for i in range(6)]
        results = [f.result(timeout=120) for f in futs]
        assert all(sum(r.domain_values["counts"].values()) == 5 for r in results)
        assert rt.memory() == {
            "budget": 40 << 20,
            "source": "Runtime(memory=...)",
            "reserved": 0,
            "waiting": 0,
        }


def run_child(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], env={**os.environ, **env}, capture_output=True, text=True, timeout=120
    )


def test_sokr_memory_variable() -> None:
    code = "import json, sokr; print(json.dumps(sokr.Runtime().memory()))"
    out = run_child(code, SOKR_MEMORY="3G")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {"budget": 3 * GIB, "source": "SOKR_MEMORY", "reserved": 0, "waiting": 0}
    # An explicit argument wins over the variable.
    code = "import json, sokr; print(json.dumps(sokr.Runtime(memory='1G').memory()))"
    out = run_child(code, SOKR_MEMORY="3G")
    assert json.loads(out.stdout)["budget"] == GIB
    # A malformed variable is reported, not ignored.
    code = "import sokr\ntry:\n    sokr.Runtime()\nexcept sokr.SokrError as e:\n    print(e)"
    out = run_child(code, SOKR_MEMORY="4 lots")
    assert out.returncode == 0, out.stderr
    assert 'SOKR_MEMORY="4 lots": not a memory size: unknown unit "lots"' in out.stdout


def test_sokr_info_shows_the_budget_and_where_it_came_from(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    budget = sokr.Runtime(_handle=0).memory()
    assert f"MEMORY BUDGET {budget['budget']} (" in out
    assert f"set by {budget['source']}" in out
    assert main(["info", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["memory"]["budget"] == budget["budget"]


def test_three_27_qubit_runs_under_ulimit() -> None:
    """Issue 15's reproducer from Python: three 27-qubit circuits (2 GiB of state each)
    dispatched at once under `ulimit -v 5000000` all complete, one at a time, where they
    used to end the process with Go's fatal "out of memory". One gate: the memory is the
    state's whatever the gates."""
    code = (
        "import json, sokr\n"
        "rt = sokr.Runtime()\n"
        "p = rt.program('OPENQASM 2.0;\\ninclude \"qelib1.inc\";\\nqreg q[27];\\nh q[0];\\n')\n"
        "futs = [rt.dispatch(p, shots=1, seed=i) for i in range(3)]\n"
        "done = [f.result(timeout=300).meta['precision'] for f in futs]\n"
        "print(json.dumps({'memory': rt.memory(), 'done': done}))\n"
    )
    out = subprocess.run(
        ["bash", "-c", 'ulimit -v 5000000 && exec "$0" -c "$1"', sys.executable, code],
        env={**os.environ, "SOKR_MEMORY": ""},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    res = json.loads(out.stdout.splitlines()[-1])
    assert res["done"] == ["complex128"] * 3
    assert res["memory"]["source"].startswith("RLIMIT_AS: ")
    assert 2 * GIB <= res["memory"]["budget"] < 4 * GIB, "one run fits, two do not"
