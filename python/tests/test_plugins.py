"""Plugins from Python: IR plugins, substrates, and the Qiskit, CUDA-Q and nir front-ends."""

from __future__ import annotations

import asyncio
import concurrent.futures
import pathlib
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from types import ModuleType
from typing import Any, ClassVar

import numpy as np
import pytest

import sokr
from sokr import quantum


class Poly:
    """poly:c0,c1,... -> a poly/1 program; the polynomial's coefficients, highest first."""

    format = "poly/1"

    def accepts(self, obj: Any) -> bool:
        return isinstance(obj, str) and obj.startswith("poly:")

    def lower(self, obj: str) -> bytes:
        return obj.encode()


class PolyEval:
    name = "poly-eval"

    def __init__(self) -> None:
        self.calls = 0
        self.seen_options: dict[str, Any] = {}

    def capability(self, program: sokr.Program) -> Any:
        return program.format == "poly/1" or (False, "runs poly/1 only")

    def dispatch(self, program: sokr.Program, inputs: list[np.ndarray], options: dict[str, Any]) -> Any:
        self.calls += 1
        self.seen_options = options
        assert program.source is not None
        coeffs = [float(c) for c in program.source.decode()[5:].split(",")]
        return {"y": np.polyval(coeffs, inputs[0])}


@pytest.fixture
def rt():
    with sokr.Runtime() as r:
        yield r


def test_ir_plugin_and_substrate_in_ten_lines(rt: sokr.Runtime) -> None:
    sokr.register_ir(Poly, runtime=rt)
    ev = PolyEval()
    sokr.register_substrate(ev, runtime=rt)
    assert "poly/1" in rt.irs()
    subs = {s.name: s for s in rt.substrates()}
    assert subs["poly-eval"].properties["language"] == "python"

    p = rt.program("poly:1,0,-1")
    assert p.format == "poly/1" and p.source == b"poly:1,0,-1"
    r = rt.run(p, np.array([0.0, 1.0, 2.0]), seed=7, shots=3)
    np.testing.assert_array_equal(r["y"], [-1.0, 0.0, 3.0])
    assert r.substrate == "poly-eval"
    assert ev.seen_options == {"shots": 3, "seed": 7}
    offers = {o.substrate: o for o in rt.capability("poly:1,2")}
    assert offers["poly-eval"].ok
    assert not offers["cpu"].ok and "poly/1" in offers["cpu"].reason
    # Go programs reach Python substrates too, and a refusal carries its reason.
    offers = {o.substrate: o for o in rt.capability("sokr.native/1\nparam x: f32[1]\nreturn x\n")}
    assert offers["poly-eval"].reason == "runs poly/1 only"
    nat = rt.program("sokr.native/1\nparam x: f32[1]\nreturn x\n")
    assert (
        nat.source == b"sokr.native/1\nparam x: f32[1]\nreturn x\n" and nat.source_format == "sokr.native/1"
    )
    circ = rt.program('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[1];\n')
    assert (circ.format, circ.source_format) == ("sokr.circuit/1", "openqasm/2")

    assert sokr.unregister_substrate("poly-eval", runtime=rt)
    assert sokr.unregister_ir(Poly, runtime=rt)
    assert "poly/1" not in rt.irs()
    assert "poly-eval" not in {s.name for s in rt.substrates()}
    with pytest.raises(sokr.UnknownFormatError):
        rt.program("poly:1,2")
    assert not sokr.unregister_ir(Poly, runtime=rt)


def test_decorators_on_the_default_runtime() -> None:
    @sokr.register_ir
    class Upper:
        name = "upper"

        def accepts(self, obj: Any) -> bool:
            return isinstance(obj, tuple) and obj[:1] == ("neg",)

        def lower(self, obj: tuple) -> str:
            return f"sokr.native/1\nparam x: f32[{obj[1]}]\ny: f32[{obj[1]}] = neg x\nreturn y\n"

    try:
        r = sokr.run(("neg", 3), np.array([1, 2, 3], np.float32))
        np.testing.assert_array_equal(r["y"], [-1, -2, -3])
    finally:
        assert sokr.unregister_ir("upper")


def test_plugin_errors_name_the_plugin(rt: sokr.Runtime) -> None:
    class Broken:
        name = "broken"

        def accepts(self, obj: Any) -> bool:
            if obj == "boom":
                raise RuntimeError("accepts exploded")
            return obj in ("lower-fails", "bad-type", "bad-source", "raw")

        def lower(self, obj: str) -> Any:
            if obj == "lower-fails":
                raise KeyError("no such gate")
            if obj == "bad-type":
                return 42
            if obj == "raw":
                return b"\x00\x01"
            return "sokr.native/1\nreturn nothing\n"

    sokr.register_ir(Broken(), runtime=rt)
    with pytest.raises(sokr.UnknownFormatError, match=r"IR plugin 'broken': accepts"):
        rt.program("boom")
    with pytest.raises(sokr.InvalidProgramError, match=r"IR plugin 'broken' could not lower.*no such gate"):
        rt.program("lower-fails")
    with pytest.raises(sokr.InvalidProgramError, match=r"IR plugin 'broken': lower\(\) returned a int"):
        rt.program("bad-type")
    with pytest.raises(sokr.InvalidProgramError, match="IR plugin 'broken' lowered to an invalid program"):
        rt.program("bad-source")
    with pytest.raises(sokr.InvalidProgramError, match="declares no format"):
        rt.program("raw")
    with pytest.raises(TypeError, match="no accepts"):
        sokr.register_ir(object(), runtime=rt)
    with pytest.raises(sokr.RegistrationError, match="format must be"):

        class BadFormat(Poly):
            format = "nofmt"

        sokr.register_ir(BadFormat, runtime=rt)


def test_substrate_styles_sync_future_coroutine(rt: sokr.Runtime) -> None:
    pool = concurrent.futures.ThreadPoolExecutor(2)

    class Styles:
        def __init__(self, style: str) -> None:
            self.name = style

        def capability(self, p: sokr.Program) -> bool:
            return True

        def dispatch(self, p: sokr.Program, inputs: list[np.ndarray]) -> Any:
            x = inputs[0]
            if self.name == "sync":
                return x + 1
            if self.name == "future":
                return pool.submit(lambda: [x + 2, x * 0])

            async def later() -> Any:
                await asyncio.sleep(0.001)
                return {"z": x + 3}

            return later()

    for style in ("sync", "future", "coro"):
        sokr.register_substrate(Styles(style), runtime=rt)
    prog = "sokr.native/1\nparam x: f32[2]\nreturn x\n"
    x = np.array([1, 2], np.float32)
    # One output of a program that declares one: it takes the declared name.
    np.testing.assert_array_equal(rt.run(prog, x, substrate="sync")["x"], [2, 3])
    # More outputs than the program declares is the substrate's fault, said clearly.
    with pytest.raises(sokr.SubstrateFaultError, match="returned 2 outputs; the program declares 1"):
        rt.run(prog, x, substrate="future")
    np.testing.assert_array_equal(rt.run(prog, x, substrate="coro")["x"], [4, 5])

    async def main() -> Any:
        return await rt.dispatch(prog, x, substrate="coro")

    np.testing.assert_array_equal(asyncio.run(main())["x"], [4, 5])
    # A program without declared outputs keeps the names the substrate gives.
    sokr.register_ir(Poly, runtime=rt)
    r = rt.run("poly:1", x, substrate="future")
    assert list(r) == ["out0", "out1"]
    np.testing.assert_array_equal(r["out0"], [3, 4])
    assert list(rt.run("poly:1", x, substrate="coro")) == ["z"]


def test_exception_becomes_a_substrate_fault_with_the_traceback(rt: sokr.Runtime) -> None:
    class Faulty:
        name = "faulty"

        def capability(self, p: sokr.Program) -> bool:
            return True

        def dispatch(self, p: sokr.Program, inputs: list[np.ndarray]) -> Any:
            return self.helper(inputs)

        def helper(self, inputs: list[np.ndarray]) -> Any:
            raise ZeroDivisionError("bad luck")

    sokr.register_substrate(Faulty, runtime=rt)
    with pytest.raises(sokr.SubstrateFaultError, match="ZeroDivisionError: bad luck") as e:
        rt.run("sokr.native/1\nparam x: f32[1]\nreturn x\n", np.ones(1, np.float32), substrate="faulty")
    assert e.value.substrate == "faulty"
    assert "in helper" in e.value.stack and "Traceback" in e.value.stack

    class BadResult(Faulty):
        name = "bad-result"

        def dispatch(self, p: sokr.Program, inputs: list[np.ndarray]) -> Any:
            return {"s": np.array(["text"])}

    sokr.register_substrate(BadResult, runtime=rt)
    with pytest.raises(sokr.SubstrateFaultError, match="dtype"):
        rt.run("sokr.native/1\nparam x: f32[1]\nreturn x\n", np.ones(1, np.float32), substrate="bad-result")

    class CapRaises(Faulty):
        name = "cap-raises"

        def capability(self, p: sokr.Program) -> bool:
            raise RuntimeError("cannot tell")

    sokr.register_substrate(CapRaises, runtime=rt)
    offers = {o.substrate: o for o in rt.capability("sokr.native/1\nparam x: f32[1]\nreturn x\n")}
    assert offers["cap-raises"].reason == "capability() raised RuntimeError: cannot tell"


def test_zero_d_arrays_keep_their_shape(rt: sokr.Runtime) -> None:
    class Scalars:
        name = "scalars"

        def __init__(self) -> None:
            self.seen: list[tuple[int, ...]] = []

        def capability(self, p: sokr.Program) -> bool:
            return True

        def dispatch(self, p: sokr.Program, inputs: list[np.ndarray]) -> Any:
            self.seen.extend(a.shape for a in inputs)
            if p.format == "poly/1":  # no declared outputs: as returned
                return {"f": np.float32(2.5), "a": np.array(3.0), "v": np.zeros(2)}
            return {"b": -inputs[0]}

    sokr.register_ir(Poly, runtime=rt)
    sub = Scalars()
    sokr.register_substrate(sub, runtime=rt)
    neg = "sokr.native/1\nparam a: f32[]\nb: f32[] = neg a\nreturn b\n"
    r = rt.run(neg, np.float32(2), substrate="scalars")  # declared f32[] output
    assert r["b"].shape == () and r["b"] == -2 and sub.seen == [()]
    r = rt.run("poly:1", substrate="scalars")
    assert {k: v.shape for k, v in r.items()} == {"f": (), "a": (), "v": (2,)}
    assert r["f"] == 2.5 and r["a"] == 3


def test_thousand_concurrent_dispatches_do_not_deadlock(rt: sokr.Runtime) -> None:
    sokr.register_ir(Poly, runtime=rt)
    sokr.register_substrate(PolyEval, runtime=rt)
    p = rt.program("poly:2,1")
    errors: list[BaseException] = []
    results: list[float] = []
    lock = threading.Lock()

    def worker(k: int) -> None:
        try:
            futs = [rt.dispatch(p, np.full(4, float(k * 100 + i))) for i in range(100)]
            vals = [float(f.result(60)["y"][0]) for f in futs]
            with lock:
                results.extend(vals)
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors
    assert sorted(results) == sorted(2 * x + 1 for x in range(1000))

    # A Python dispatch that itself dispatches (to a Go substrate) does not deadlock.
    class Nested:
        name = "nested"

        def capability(self, prog: sokr.Program) -> bool:
            return prog.format == "poly/1"

        def dispatch(self, prog: sokr.Program, inputs: list[np.ndarray]) -> Any:
            inner = rt.run("sokr.native/1\nparam x: f64[4]\ny: f64[4] = neg x\nreturn y\n", inputs[0])
            return {"y": inner["y"]}

    sokr.register_substrate(Nested, runtime=rt)
    futs = [rt.dispatch(p, np.ones(4), substrate="nested") for _ in range(200)]
    assert all(f.result(60)["y"][0] == -1 for f in futs)


def test_any_policy_routes_to_a_python_substrate() -> None:
    with sokr.Runtime(policy="cheapest") as r:
        sokr.register_ir(Poly, runtime=r)

        class Fast(PolyEval):
            name = "fast"

            def capability(self, program: sokr.Program) -> Any:
                return (True, 1e-6) if program.format == "poly/1" else (False, "no")

        sokr.register_substrate(Fast, runtime=r)
        sokr.register_substrate(PolyEval, name="slow", runtime=r)
        assert r.run("poly:1", np.ones(1)).substrate == "fast"
    chosen: list[list[str]] = []

    def pick_last(prog: sokr.Program, offers: list[sokr.Offer]) -> str:
        chosen.append([o.substrate for o in offers])
        return offers[-1].substrate

    with sokr.Runtime(policy=pick_last) as r:
        sokr.register_ir(Poly, runtime=r)
        sokr.register_substrate(PolyEval, name="a-py", runtime=r)
        sokr.register_substrate(PolyEval, name="z-py", runtime=r)
        assert r.run("poly:1", np.ones(1)).substrate == "z-py"
        assert chosen[-1] == ["a-py", "z-py"]


def test_cancel_reaches_a_python_substrate(rt: sokr.Runtime) -> None:
    started = threading.Event()
    never: concurrent.futures.Future[Any] = concurrent.futures.Future()

    class Slow:
        name = "slow"

        def capability(self, p: sokr.Program) -> bool:
            return True

        def dispatch(self, p: sokr.Program, inputs: list[np.ndarray]) -> Any:
            started.set()
            return never

    sokr.register_substrate(Slow, runtime=rt)
    f = rt.dispatch("sokr.native/1\nparam x: f32[1]\nreturn x\n", np.ones(1, np.float32), substrate="slow")
    assert started.wait(10)
    assert f.cancel()
    deadline = time.monotonic() + 10
    while not never.cancelled() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert never.cancelled()


def test_python_substrate_errors_keep_their_type_and_detail(rt: sokr.Runtime) -> None:
    class Picky:
        name = "picky"

        def capability(self, p: sokr.Program) -> bool:
            return True

        def dispatch(self, p: sokr.Program, inputs: list[np.ndarray], options: dict[str, Any]) -> Any:
            mode = options.get("mode")
            if mode == "input":
                raise sokr.InvalidInputError("beta must be positive", index=0, name="beta")
            if mode == "raise-cancelled":
                raise sokr.CancelledError("gave up")
            if mode == "hang":
                return concurrent.futures.Future()  # until cancelled
            f: concurrent.futures.Future[Any] = concurrent.futures.Future()
            f.cancel()  # the substrate's own future, cancelled: the run was cancelled
            return f

    sokr.register_substrate(Picky, runtime=rt)
    prog = "sokr.native/1\nparam beta: f32[]\nreturn beta\n"
    with pytest.raises(sokr.InvalidInputError, match=r"invalid input 0 \(beta\): beta must be positive") as e:
        rt.run(prog, np.float32(1), substrate="picky", mode="input")
    assert (e.value.index, e.value.name) == (0, "beta")
    fut = rt.dispatch(prog, np.float32(1), substrate="picky")
    with pytest.raises(sokr.CancelledError, match="future was cancelled"):
        fut.result(10)
    assert fut.cancelled()
    with pytest.raises(sokr.CancelledError):
        fut.exception(10)
    with pytest.raises(sokr.CancelledError, match="gave up"):
        rt.run(prog, np.float32(1), substrate="picky", mode="raise-cancelled", timeout=10)
    # A future the caller cancels raises sokr.CancelledError too (a concurrent.futures one).
    fut = rt.dispatch(prog, np.float32(1), substrate="picky", mode="hang")
    assert fut.cancel()
    with pytest.raises(sokr.CancelledError, match="sokr: cancelled"):
        fut.result(10)


def test_substrate_attributes_name_kind_and_properties(rt: sokr.Runtime) -> None:
    class Annealer:
        name = "annealer"
        kind = "qpu"
        properties: ClassVar[dict[str, int]] = {"qubits": 5000}

        def capability(self, p: sokr.Program) -> bool:
            return False

        def dispatch(self, p: sokr.Program, inputs: list[np.ndarray]) -> Any:
            raise AssertionError("never chosen")

    sokr.register_substrate(Annealer, runtime=rt)
    subs = {s.name: s for s in rt.substrates()}
    assert subs["annealer"].kind == "qpu"
    assert subs["annealer"].properties["qubits"] == "5000"
    offers = {o.substrate: o for o in rt.capability("sokr.native/1\nparam x: f32[1]\nreturn x\n")}
    assert offers["annealer"].kind == "qpu"
    # The keyword wins over the attribute; without either the kind is cpu.
    sokr.register_substrate(Annealer, name="emulator", kind="gpu", runtime=rt)
    del Annealer.kind
    sokr.register_substrate(Annealer, name="plain", runtime=rt)
    kinds = {s.name: s.kind for s in rt.substrates()}
    assert (kinds["emulator"], kinds["plain"]) == ("gpu", "cpu")
    Annealer.kind = 3  # type: ignore[attr-defined]
    with pytest.raises(TypeError, match="kind must be a name"):
        sokr.register_substrate(Annealer, name="bad", runtime=rt)


def test_import_sokr_does_not_import_asyncio() -> None:
    # asyncio (with ssl, socket, subprocess) is a large share of `import sokr`; the Python
    # substrates' service imports it only when a substrate returns a coroutine.
    code = "import sys, sokr; sokr.Runtime(); print([m for m in ('asyncio', 'ssl') if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "[]", out.stderr


def test_registration_errors(rt: sokr.Runtime) -> None:
    with pytest.raises(TypeError, match="no capability"):
        sokr.register_substrate(object(), runtime=rt)
    sokr.register_substrate(PolyEval, runtime=rt)
    with pytest.raises(sokr.RegistrationError):
        sokr.register_substrate(PolyEval, runtime=rt)
    with pytest.raises(sokr.RegistrationError):
        sokr.register_substrate(PolyEval, name="cpu", runtime=rt)
    assert not sokr.unregister_substrate("cpu", runtime=rt)  # built-ins stay
    assert "cpu" in {s.name for s in rt.substrates()}


# -- front-ends: each needs its optional package ------------------------------------------------


def test_qiskit_circuit_runs_on_statevec(optional: Callable[[str], ModuleType]) -> None:
    qiskit = optional("qiskit")
    qc = qiskit.QuantumCircuit(3, 3)
    qc.h(0)
    qc.cx(0, 1)
    qc.cx(1, 2)
    qc.measure(range(3), range(3))
    p = sokr.program(qc)
    assert p.format == "sokr.circuit/1"
    counts = quantum.sample(qc, shots_count=400, seed=3)
    assert set(counts) == {"000", "111"} and counts.shots == 400

    theta = qiskit.circuit.Parameter("t")
    qc2 = qiskit.QuantumCircuit(1)
    qc2.rx(0.5, 0)
    state = quantum.get_state(qc2)
    np.testing.assert_allclose(
        np.abs(np.asarray(state)) ** 2, [np.cos(0.25) ** 2, np.sin(0.25) ** 2], atol=1e-12
    )
    unbound = qiskit.QuantumCircuit(1)
    unbound.rx(theta, 0)
    with pytest.raises(sokr.InvalidProgramError, match="IR plugin 'qiskit'"):
        sokr.program(unbound)


def test_nir_graph_is_a_program(optional: Callable[[str], ModuleType]) -> None:
    nir = optional("nir")
    g = nir.NIRGraph.from_list(
        nir.LIF(tau=np.ones(2) * 1e-3, r=np.ones(2), v_leak=np.zeros(2), v_threshold=np.ones(2))
    )
    p = sokr.program(g)
    assert p.format == "nir/1"
    r = sokr.run(p, np.full((20, 1, 2), 30.0, np.float32))
    assert r.substrate == "snn" and r.value.sum() > 0


@pytest.mark.cudaq
def test_cudaq_kernel_runs_on_statevec(optional: Callable[[str], ModuleType]) -> None:
    cudaq = optional("cudaq")

    @cudaq.kernel
    def bell() -> None:
        q = cudaq.qvector(2)
        h(q[0])  # noqa: F821 - CUDA-Q kernel builtins
        x.ctrl(q[0], q[1])  # noqa: F821
        mz(q)  # noqa: F821

    counts = quantum.sample(bell, shots_count=200, seed=1)
    assert set(counts) <= {"00", "11"} and counts.shots == 200


def test_plugin_entry_points_are_found_without_importlib_metadata(
    monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path
) -> None:
    import sys

    from sokr import _runtime

    other = tmp_path / "other" / "tool-1.0.dist-info"
    other.mkdir(parents=True)
    (other / "entry_points.txt").write_text("[console_scripts]\ntool = tool:main\n")
    (tmp_path / "other" / "broken-1.0.dist-info").mkdir()  # no entry_points.txt
    monkeypatch.setattr(sys, "path", [str(tmp_path / "other"), str(tmp_path / "missing")])
    assert not _runtime._declares_plugins()
    mine = tmp_path / "mine" / "sokr_extra-1.0.dist-info"
    mine.mkdir(parents=True)
    (mine / "entry_points.txt").write_text("[sokr.plugins]\nextra = sokr_extra:setup\n")
    sys.path.append(str(tmp_path / "mine"))
    assert _runtime._declares_plugins()


def test_entry_points_and_sokr_info(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import importlib.metadata

    from sokr import _runtime
    from sokr.cli import main

    monkeypatch.setattr(_runtime, "_declares_plugins", lambda: True)  # tested above

    class EP:
        def __init__(self, name: str, fn: Any) -> None:
            self.name, self.fn = name, fn

        def load(self) -> Any:
            return self.fn

    def setup() -> None:
        sokr.register_ir(Poly)
        sokr.register_substrate(PolyEval, name="ep-poly")

    def broken() -> None:
        raise RuntimeError("cannot start")

    monkeypatch.setattr(
        importlib.metadata,
        "entry_points",
        lambda group: [EP("good", setup), EP("bad", broken)] if group == "sokr.plugins" else [],
    )
    with pytest.warns(UserWarning, match="entry point 'bad' failed: RuntimeError: cannot start"):
        _runtime._load_entry_points()
    try:
        assert main(["info"]) == 0
        out = capsys.readouterr().out
        assert "poly/1" in out and "ep-poly" in out and "language=python" in out
        sokr.info()  # the same from Python, e.g. in a notebook
        assert capsys.readouterr().out == out
    finally:
        sokr.unregister_substrate("ep-poly")
        sokr.unregister_ir(Poly)
