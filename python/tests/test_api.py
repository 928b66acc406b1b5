from __future__ import annotations

import concurrent.futures
import json
import pathlib
import time
from typing import Any

import numpy as np
import pytest
from conftest import AXPY

import sokr


def test_substrates_and_irs() -> None:
    subs = sokr.substrates()
    assert [s.name for s in subs] == sorted(s.name for s in subs)
    cpu = next(s for s in subs if s.name == "cpu")
    assert cpu.kind == "cpu"
    assert int(cpu.properties["workers"]) >= 1
    assert "sokr.native/1" in sokr.irs()


def test_program_from_text_bytes_path(tmp_path: pathlib.Path) -> None:
    p = sokr.program(AXPY)
    assert p.format == "sokr.native/1"
    assert [str(s) for s in p.inputs or []] == ["x: f32[4]", "y: f32[4]"]
    assert [str(s) for s in p.outputs or []] == ["out: f32[4]"]
    assert str(p) == AXPY  # the canonical text round-trips
    assert "op:mul" in p.features
    assert p.quantities["flops"] > 0
    assert sokr.program(AXPY.encode()).format == "sokr.native/1"
    f = tmp_path / "axpy.sokr"
    f.write_text(AXPY)
    assert sokr.program(f).text == AXPY
    assert sokr.program(str(f)).text == AXPY
    assert sokr.program(p) is p
    assert sokr.program(AXPY, ir="sokr.native/1").text == AXPY


def test_program_reads_only_paths_and_program_files(tmp_path: pathlib.Path) -> None:
    secret = tmp_path / "environ"
    secret.write_text("TOKEN=hunter2\nHOME=/root\n")
    # A str that names a file but has no program extension is source text: never read.
    with pytest.raises(sokr.InvalidProgramError) as e:
        sokr.program(str(secret), ir="sokr.native/1")
    assert "hunter2" not in str(e.value)
    with pytest.raises(sokr.UnknownFormatError) as u:
        sokr.program(str(secret))
    assert "hunter2" not in str(u.value)
    # A path is read, but an error about a file that is not a program names it, never its bytes.
    for ir in (
        "sokr.native/1",
        "openqasm/2",
        "openqasm/3",
        "sokr.photonic/1",
        "nir/1",
        "spirv/1",
        "qir/1",
        None,
    ):
        with pytest.raises((sokr.InvalidProgramError, sokr.UnknownFormatError)) as e:
            sokr.program(secret, ir=ir)
        chain = [e.value, e.value.__context__, e.value.__cause__]  # what a traceback could show
        assert not any("hunter2" in str(x) or "TOKEN" in str(x) for x in chain), ir
        if ir is not None:
            assert str(secret) in str(e.value) and ir in str(e.value)
    # A program file's own errors still say what is wrong, with what was found there.
    bad = tmp_path / "bad.sokr"
    bad.write_text("sokr.native/1\nparam x: f32[2]\ny: f32[2] = frobnicate x\nreturn y\n")
    with pytest.raises(sokr.InvalidProgramError, match="frobnicate") as e:
        sokr.program(str(bad), ir="sokr.native/1")
    assert e.value.line == 3
    with pytest.raises(FileNotFoundError, match=r"missing\.qasm"):
        sokr.program(str(tmp_path / "missing.qasm"))
    # A file without a program extension is read when given as a path.
    plain = tmp_path / "axpy"
    plain.write_text(AXPY)
    assert sokr.program(plain).text == AXPY
    with pytest.raises(sokr.UnknownFormatError):
        sokr.program(str(plain))


def test_capability_lists_offers(axpy: sokr.Program) -> None:
    offers = sokr.capability(axpy)
    assert [o.substrate for o in offers] == [s.name for s in sokr.substrates()]
    cpu = next(o for o in offers if o.substrate == "cpu")
    assert cpu.ok and cpu and cpu.reason == ""
    assert cpu.estimate_seconds > 0 and cpu.estimate_bytes > 0


def test_dispatch_result(axpy: sokr.Program, ones4: np.ndarray) -> None:
    x = np.array([1, 2, 3, 4], np.float32)
    fut = sokr.dispatch(axpy, x, ones4)
    assert isinstance(fut, concurrent.futures.Future)
    res = fut.result(timeout=10)
    np.testing.assert_array_equal(res["out"], [3, 5, 7, 9])
    np.testing.assert_array_equal(res.value, [3, 5, 7, 9])
    assert list(res) == ["out"] and len(res) == 1
    assert res.substrate == "cpu" == fut.substrate
    assert res.timings.queued <= res.timings.started <= res.timings.finished
    assert fut.done() and not fut.cancelled()
    assert fut.cancel() is False  # already done
    assert "cpu" in repr(res) and "<table>" in res._repr_html_()


def test_inputs_are_read_in_place_unless_copied(
    axpy: sokr.Program, ones4: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sokr import _runtime

    # The addresses the runtime is given ([DTYPE, SHAPE, ADDR, NBYTES] per input): whose memory it reads.
    seen: list[list[int]] = []
    for name in ("dispatch", "dispatch_many"):
        real = getattr(_runtime._native, name)

        def spy(rt: int, prog: int, specs: str, *rest: str, real=real, name=name) -> int:
            batch = json.loads(specs)  # one spec (dispatch) or a list of them (dispatch_many)
            for one in batch if name == "dispatch_many" else [batch]:
                seen.append([addr for _, _, addr, _ in one])
            return real(rt, prog, specs, *rest)

        monkeypatch.setattr(_runtime._native, name, spy)
    x = np.array([1, 2, 3, 4], np.float32)
    mine = [x.ctypes.data, ones4.ctypes.data]
    sokr.dispatch(axpy, x, ones4).result(10)
    assert seen.pop() == mine  # in place: the run reads the caller's arrays as it goes
    fut = sokr.dispatch(axpy, x, ones4, copy=True)
    assert not set(seen.pop()) & set(mine)  # copies made at dispatch
    x[:] = 100  # so the caller may change its arrays at once
    np.testing.assert_array_equal(fut.result(10).value, [3, 5, 7, 9])
    x[:] = [1, 2, 3, 4]
    futs = sokr.dispatch_many(axpy, [(x, ones4)] * 3, copy=True)
    assert len(seen) == 3 and not any(set(s) & set(mine) for s in seen)
    seen.clear()
    x[:] = 100
    for f in futs:
        np.testing.assert_array_equal(f.result(10).value, [3, 5, 7, 9])
    sokr.dispatch_many(axpy, [(x, ones4)] * 2)
    assert seen == [[x.ctypes.data, ones4.ctypes.data]] * 2
    x[:] = [1, 2, 3, 4]
    assert sokr.run(axpy, x, ones4, copy=True).value.tolist() == [3, 5, 7, 9]
    assert not set(seen.pop()) & set(mine)
    view = memoryview(x)  # an array made from it shares the memory: copied too
    assert sokr.run(axpy, view, ones4, copy=True).value.tolist() == [3, 5, 7, 9]
    assert not set(seen.pop()) & set(mine)


def test_read_refuses_a_malformed_request_with_a_typed_error() -> None:
    from sokr import _native

    # Read's request is a JSON list of tickets; anything else is an invalid_input error in JSON.
    for req in ("x,1", "", '["1"]'):
        assert _native.loads(_native.read(req, 0, 0, 0))["error"]["kind"] == "invalid_input"
    # An unknown ticket is described as an error, not a crash.
    out = _native.loads(_native.read("[987654321]", 0, 0, 0))
    assert "no dispatch with ticket" in out["outcomes"]["987654321"]["error"]["message"]


def test_result_html_is_capped() -> None:
    from sokr._future import Result, Timings

    outs = {f"y{i}": np.arange(1000, dtype=np.float32) for i in range(200)}
    page = Result(outs, {}, "cpu", Timings(0.0, 0.0, 1e-6), {})._repr_html_()
    assert len(page) < 32_000 and "and 136 more outputs" in page


def test_lists_and_numbers_convert_to_declared_dtype(axpy: sokr.Program) -> None:
    res = sokr.run(axpy, [1, 2, 3, 4], [0.5, 0.5, 0.5, 0.5])
    assert res.value.dtype == np.float32
    np.testing.assert_array_equal(res.value, [2.5, 4.5, 6.5, 8.5])


def test_run_and_dispatch_many(axpy: sokr.Program) -> None:
    sets = [(np.full(4, i, np.float32), np.ones(4, np.float32)) for i in range(500)]
    futs = sokr.dispatch_many(axpy, sets)
    assert len(futs) == 500
    for i, f in enumerate(futs):
        np.testing.assert_array_equal(f.result(10).value, np.full(4, 2 * i + 1, np.float32))
    assert sokr.dispatch_many(axpy, []) == []


def test_dispatch_many_progress(axpy: sokr.Program, capsys: pytest.CaptureFixture[str]) -> None:
    futs = sokr.dispatch_many(axpy, [(np.ones(4, np.float32), np.ones(4, np.float32))] * 50, progress="sweep")
    sokr.gather(*futs).result(10)
    err = capsys.readouterr().err
    # The bar reaches the end: runs read during dispatch_many run their done callbacks too.
    assert "sweep" in err and "50/50" in err


def test_gather_and_as_completed(axpy: sokr.Program, ones4: np.ndarray) -> None:
    futs = [sokr.dispatch(axpy, np.full(4, i, np.float32), ones4) for i in range(20)]
    results = sokr.gather(*futs).result(10)
    assert [r.value[0] for r in results] == [2 * i + 1 for i in range(20)]
    seen = {id(f) for f in sokr.as_completed(futs, timeout=10)}
    assert seen == {id(f) for f in futs}
    assert sokr.gather().result() == []


def test_gather_return_exceptions(axpy: sokr.Program, ones4: np.ndarray) -> None:
    good = sokr.dispatch(axpy, ones4, ones4)
    bad = sokr.dispatch(axpy, np.ones(3, np.float32), ones4)
    with pytest.raises(sokr.InvalidInputError):
        sokr.gather(good, bad).result(10)
    out = sokr.gather(good, bad, return_exceptions=True).result(10)
    assert isinstance(out[0], sokr.Result) and isinstance(out[1], sokr.InvalidInputError)


def test_runtime_with_no_substrates(axpy: sokr.Program, ones4: np.ndarray) -> None:
    with sokr.Runtime(substrates=[]) as rt:
        assert rt.substrates() == []
        assert "sokr.native/1" in rt.irs()  # it still reads programs
        with pytest.raises(sokr.NoCapableSubstrateError):
            rt.run(axpy.text, ones4, ones4)

        @sokr.register_substrate(runtime=rt)
        class Echo:
            name = "echo"

            def capability(self, p: sokr.Program) -> bool:
                return True

            def dispatch(self, p: sokr.Program, inputs: list[np.ndarray]) -> Any:
                return {"out": inputs[0] + inputs[1]}

        assert [s.name for s in rt.substrates()] == ["echo"]
        assert rt.run(axpy.text, ones4, ones4).substrate == "echo"
    with sokr.Runtime(substrates=()) as rt:
        assert rt.substrates() == []
    with sokr.Runtime() as rt:
        assert {"cpu", "statevec"} <= {s.name for s in rt.substrates()}


def test_custom_runtime_and_policies(axpy: sokr.Program, ones4: np.ndarray) -> None:
    with sokr.Runtime(substrates=["cpu"], policy="round_robin") as rt:
        assert [s.name for s in rt.substrates()] == ["cpu"]
        assert rt.dispatch(axpy, ones4, ones4).result(10).substrate == "cpu"
        for policy in ("auto", "first", "cheapest", "round_robin"):
            assert rt.run(axpy, ones4, ones4, policy=policy).substrate == "cpu"
    with pytest.raises(sokr.ClosedError):
        rt.dispatch(axpy, ones4, ones4)

    seen: list[list[str]] = []

    def mine(prog: sokr.Program, offers: list[sokr.Offer]) -> sokr.Offer:
        seen.append([o.substrate for o in offers])
        assert prog.format == "sokr.native/1"
        return offers[-1]

    rt2 = sokr.Runtime(policy=mine)
    capable = [o.substrate for o in rt2.capability(axpy) if o.ok]  # cpu, and vulkan:N with Vulkan
    assert capable[0] == "cpu"
    assert rt2.run(axpy, ones4, ones4).substrate == capable[-1]
    assert seen == [capable]
    assert sokr.run(axpy, ones4, ones4, policy=lambda p, o: 0).substrate == "cpu"
    assert sokr.run(axpy, ones4, ones4, policy=lambda p, o: "cpu").substrate == "cpu"
    with pytest.raises(sokr.NoCapableSubstrateError, match="chose 'gpu'"):
        sokr.dispatch(axpy, ones4, ones4, policy=lambda p, o: "gpu")
    rt2.close()


def test_unknown_substrate_and_policy(axpy: sokr.Program, ones4: np.ndarray) -> None:
    with pytest.raises(sokr.NoCapableSubstrateError) as e:
        sokr.run(axpy, ones4, ones4, substrate="qpu-9000")
    assert "qpu-9000" in str(e.value) and "cpu" in str(e.value)
    assert e.value.offers[0].substrate == "qpu-9000"
    with pytest.raises(sokr.RegistrationError, match="unknown policy"):
        sokr.dispatch(axpy, ones4, ones4, policy="fastest")
    with pytest.raises(sokr.RegistrationError, match="no built-in substrate"):
        sokr.Runtime(substrates=["vulkan-on-mars"])


def test_cancel_reaches_go(slow: sokr.Program) -> None:
    x = np.eye(1200)
    fut = sokr.dispatch(slow, x)
    assert fut.cancel() is True
    assert fut.cancelled() and fut.done()
    with pytest.raises(concurrent.futures.CancelledError):
        fut.result(10)
    calls: list[sokr.Future] = []
    fut.add_done_callback(calls.append)
    assert calls == [fut]


def test_timeout_option_is_a_deadline(slow: sokr.Program) -> None:
    fut = sokr.dispatch(slow, np.eye(1200), timeout=0.001)
    with pytest.raises(sokr.DeadlineExceededError):
        fut.result(30)
    assert isinstance(fut.exception(), TimeoutError)


def test_result_timeout_leaves_the_run_going(slow: sokr.Program) -> None:
    fut = sokr.dispatch(slow, np.eye(1200))
    t0 = time.monotonic()
    with pytest.raises(concurrent.futures.TimeoutError):
        fut.result(timeout=0.001)
    assert time.monotonic() - t0 < 5
    fut.cancel()


def test_callbacks_run_exactly_once(axpy: sokr.Program, ones4: np.ndarray, slow: sokr.Program) -> None:
    calls: list[int] = []
    futs = [sokr.dispatch(axpy, ones4, ones4) for _ in range(50)] + [sokr.dispatch(slow, np.eye(1200))]
    for i, f in enumerate(futs):
        f.add_done_callback(lambda _f, i=i: calls.append(i))
    futs[-1].cancel()
    sokr.gather(*futs[:-1]).result(10)
    deadline = time.monotonic() + 10
    while len(calls) < len(futs) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert sorted(calls) == list(range(len(futs)))


def test_result_timeout_is_not_doubled() -> None:
    """result/exception/gather(...).result wait their timeout once, not twice or per future."""
    very_slow = sokr.program(
        "sokr.native/1\nparam x: f64[2000,2000]\n"
        + "".join(f"m{i + 1}: f64[2000,2000] = matmul m{i}, m{i}\n" for i in range(6)).replace("m0", "x", 2)
        + "return m6\n"
    )
    fut, other = sokr.dispatch(very_slow, np.eye(2000)), sokr.dispatch(very_slow, np.eye(2000))
    t0 = time.monotonic()
    for wait in (fut.result, fut.exception, sokr.gather(fut, other).result):
        with pytest.raises(concurrent.futures.TimeoutError):
            wait(timeout=0.2)
    assert time.monotonic() - t0 < 1.0  # 3 x 0.2 s; doubled or summed it would be >= 1.2 s
    fut.cancel()
    other.cancel()


def test_cancelled_inputs_are_let_go_after_the_substrate_settles(slow: sokr.Program) -> None:
    from sokr import _future

    futs = [sokr.dispatch(slow, np.eye(1200)) for _ in range(3)]
    for f in futs:
        f.cancel()
    deadline = time.monotonic() + 60
    while _future._held and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _future._held


def test_a_failing_read_fails_its_futures_and_ctrl_c_hands_them_back(
    axpy: sokr.Program, ones4: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sokr import _future

    real = _future._native.read
    calls: list[str] = []

    def broken(tickets: str, *rest: Any) -> str:
        calls.append(tickets)
        raise ValueError("the read broke")

    # A bug in the read fails the futures it claimed (none is left claimed, waiting for ever).
    monkeypatch.setattr(_future._native, "read", broken)
    fut = sokr.dispatch(axpy, ones4, ones4)
    assert calls and isinstance(fut.exception(10), ValueError)

    # Ctrl-C during the read goes on, and the future is read again at once: no ticket is left
    # behind in Go, no future in the pump's table.
    def interrupted(tickets: str, *rest: Any) -> str:
        monkeypatch.setattr(_future._native, "read", real)
        raise KeyboardInterrupt

    monkeypatch.setattr(_future._native, "read", interrupted)
    x = np.array([1, 2, 3, 4], np.float32)
    before = _future._native.pending()
    with pytest.raises(KeyboardInterrupt):
        sokr.dispatch(axpy, x, ones4)
    deadline = time.monotonic() + 10
    while _future._native.pending() > before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert _future._native.pending() <= before
    with _future._lock:
        assert not [f for f in _future._pending.values() if f._keep and f._keep[0] is x]
