"""The sokr command: info, run, and one-line errors with the documented exit statuses."""

from __future__ import annotations

import io
import json
import os
import pathlib
import subprocess
import sys
from typing import Any

import numpy as np
import pytest
from conftest import SLOW

import sokr
import sokr._future
import sokr.native as sn
from sokr._runtime import default_runtime
from sokr.cli import _options, main

PROGRAM = """sokr.native/1
param x: f32[4]
param y: f32[4]
a: f32[] = const 2
ax: f32[4] = mul a, x
out: f32[4] = add ax, y
s: f32[] = reduce_sum out, axes=[0]
return out, s
"""

# Fits no substrate's memory budget, yet takes and gives small arrays.
HUGE = """sokr.native/1
param x: f64[2]
c: f64[] = const 1
b: f64[1000000,1000000] = broadcast c
s: f64[] = reduce_sum b, axes=[0,1]
return s
"""


@pytest.fixture
def files(tmp_path: pathlib.Path) -> dict[str, str]:
    (tmp_path / "axpy.native").write_text(PROGRAM)
    np.save(tmp_path / "x.npy", np.arange(4, dtype=np.float32))
    np.save(tmp_path / "y.npy", np.ones(4, np.float32))
    return {
        "prog": str(tmp_path / "axpy.native"),
        "x": str(tmp_path / "x.npy"),
        "y": str(tmp_path / "y.npy"),
        "dir": str(tmp_path),
    }


def one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("sokr: "), err
    assert "Traceback" not in err
    return lines[0]


# -- info -----------------------------------------------------------------------------------------


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"sokr {sokr.__version__}"


def test_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "info" in out and "run" in out and "Exit status" in out
    assert main(["run", "--help"]) == 0
    assert "--input" in capsys.readouterr().out


def test_no_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "usage: sokr" in capsys.readouterr().err


def test_info_human(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"sokr {sokr.__version__}\n")
    assert "SUBSTRATE" in out and "KIND" in out and "PROPERTIES" in out
    for s in sokr.substrates():
        assert any(line.split()[:2] == [s.name, s.kind] for line in out.splitlines() if line.strip())
        for k, v in s.properties.items():
            assert f"{k}={v}" in out
    assert (
        "IR FORMATS\nnir/1\nopenqasm/2\nopenqasm/3\nqir/1\nsokr.native/1\nsokr.photonic/1\nspirv/1\n" in out
    )
    assert any(line.split()[:2] == ["photonic", "photonic"] for line in out.splitlines())
    # Vulkan fails to start on a machine with no GPU unless lavapipe is asked for
    # (SOKR_VULKAN_CPU=1, as make test-py does): whatever failed is listed, with its reason.
    failures = sokr.default_runtime().info()["failures"]
    if failures:
        assert "FAILED PLUGINS\n" in out
        for name, why in failures.items():
            assert f"{name}: {why}" in out
    else:
        assert "FAILED PLUGINS: none" in out


def test_info_human_lists_failed_plugins(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = {
        "version": "9.9.9",
        "substrates": [
            {"name": "cpu", "kind": "cpu", "properties": {"memory_bytes": str(3 << 30), "cores": "8"}},
            {"name": "qpu-sim", "kind": "quantum", "properties": {}},
        ],
        "irs": ["openqasm/3", "sokr.native/1"],
        "failures": {"vulkan": "no Vulkan loader\n(libvulkan.so.1 not found)"},
    }
    monkeypatch.setattr(default_runtime(), "info", lambda: fake)
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert "sokr 9.9.9" in out
    assert "memory_bytes=3221225472 (3.0 GiB)" in out
    assert "qpu-sim" in out and "quantum" in out
    assert "openqasm/3" in out
    assert "FAILED PLUGINS\nvulkan: no Vulkan loader (libvulkan.so.1 not found)" in out


def test_info_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info == default_runtime().info()
    assert info["version"] == sokr.__version__
    assert "sokr.native/1" in info["irs"]
    assert {s["name"] for s in info["substrates"]} == {s.name for s in sokr.substrates()}
    assert isinstance(info["failures"], dict)


def test_info_shows_an_unusable_sokr_blas() -> None:
    """A SOKR_BLAS that cannot be loaded is shown with the library really in use (the Go
    kernels), not silently ignored."""
    missing = "/nonexistent/libsokr-no-such-blas.so"
    env = {**os.environ, "SOKR_BLAS": missing}
    r = subprocess.run(
        [sys.executable, "-m", "sokr", "info"], capture_output=True, text=True, timeout=120, env=env
    )
    assert r.returncode == 0, r.stderr
    assert "blas=go" in r.stdout
    assert f"blas_error=blas: no CBLAS library available: SOKR_BLAS={missing} cannot be used" in r.stdout


def test_python_m_sokr() -> None:
    r = subprocess.run(
        [sys.executable, "-m", "sokr", "info", "--json"], capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout)
    assert info["version"] == sokr.__version__
    assert "sokr.native/1" in info["irs"]
    assert any(s["name"] == "cpu" for s in info["substrates"])


def test_python_m_sokr_error_has_no_traceback(tmp_path: pathlib.Path) -> None:
    r = subprocess.run(
        [sys.executable, "-m", "sokr", "run", str(tmp_path / "missing.native")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 1
    assert r.stderr == f"sokr: no such file: {tmp_path / 'missing.native'}\n"


# -- run ------------------------------------------------------------------------------------------


def test_run_named_inputs_and_output(files: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    out = pathlib.Path(files["dir"]) / "result.npz"
    rc = main(
        ["run", files["prog"], "--input", f"y={files['y']}", "--input", f"x={files['x']}", "-o", str(out)]
    )
    assert rc == 0
    text = capsys.readouterr().out
    assert "substrate  cpu" in text
    assert "sokr.native/1" in text and "elapsed" in text
    assert "out  f32[4]  [1. 3. 5. 7.]" in text
    assert "s    f32[]   16." in text
    assert f"saved 2 outputs to {out}" in text
    with np.load(out) as saved:
        assert sorted(saved.files) == ["out", "s"]
        np.testing.assert_array_equal(saved["out"], np.array([1, 3, 5, 7], np.float32))
        assert saved["out"].dtype == np.float32
        assert saved["s"] == 16
    assert sorted(p.name for p in pathlib.Path(files["dir"]).iterdir()) == [
        "axpy.native",
        "result.npz",
        "x.npy",
        "y.npy",
    ]  # no temporary file left behind


def test_run_positional_and_mixed_inputs(files: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", files["prog"], "-i", files["x"], "-i", files["y"]]) == 0
    assert "[1. 3. 5. 7.]" in capsys.readouterr().out
    # a named input takes its slot; positional ones fill the rest in declared order
    assert main(["run", files["prog"], "-i", f"y={files['x']}", "-i", files["y"]]) == 0
    assert "[2. 3. 4. 5.]" in capsys.readouterr().out  # x = ones, y = 0..3


def test_run_with_options_and_timeout(files: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    args = ["run", files["prog"], "-i", files["x"], "-i", files["y"], "--option", "seed=3", "--timeout", "30"]
    assert main(args) == 0
    assert "[1. 3. 5. 7.]" in capsys.readouterr().out
    assert main([*args, "--substrate", "cpu", "--ir", "sokr.native/1"]) == 0
    assert "substrate  cpu" in capsys.readouterr().out


def test_options_are_json_where_they_parse() -> None:
    assert _options(
        ["shots=1000", "name=bell", "flag=true", "dt=1e-4", "list=[1,2]", "empty=", "eq=a=b"]
    ) == {
        "shots": 1000,
        "name": "bell",
        "flag": True,
        "dt": 1e-4,
        "list": [1, 2],
        "empty": "",
        "eq": "a=b",
    }


def test_run_stdin(
    files: dict[str, str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(PROGRAM.encode())))
    assert main(["run", "-", "-i", files["x"], "-i", files["y"]]) == 0
    out = capsys.readouterr().out
    assert "<stdin>" in out and "[1. 3. 5. 7.]" in out


def test_run_accepts_fortran_order_and_big_endian_npy(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prog = tmp_path / "t.native"
    prog.write_text("sokr.native/1\nparam m: f64[2,3]\nt: f64[3,2] = transpose m, perm=[1,0]\nreturn t\n")
    m = np.arange(6, dtype=">f8").reshape(2, 3)
    np.save(tmp_path / "f.npy", np.asfortranarray(m))
    out = tmp_path / "o.npz"
    assert main(["run", str(prog), "-i", str(tmp_path / "f.npy"), "-o", str(out)]) == 0
    with np.load(out) as saved:
        np.testing.assert_array_equal(saved["t"], m.T)


def test_run_a_builder_program(tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    b = sn.Builder()
    x = b.param("x", "f64", (3,))
    prog = tmp_path / "b.native"
    prog.write_text(b.text(y=sn.exp(x).sum()))
    np.save(tmp_path / "x.npy", np.zeros(3))
    assert main(["run", str(prog), "-i", f"x={tmp_path / 'x.npy'}"]) == 0
    assert "y  f64[]  3." in capsys.readouterr().out


def test_run_a_zero_d_npy(tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    prog = tmp_path / "neg.native"
    prog.write_text("sokr.native/1\nparam a: f32[]\nb: f32[] = neg a\nreturn b\n")
    np.save(tmp_path / "a.npy", np.float32(2.5))  # a 0-d array: shape (), not (1,)
    out = tmp_path / "o.npz"
    assert main(["run", str(prog), "-i", f"a={tmp_path / 'a.npy'}", "-o", str(out)]) == 0
    assert "b  f32[]  -2.5" in capsys.readouterr().out
    with np.load(out) as saved:
        assert saved["b"].shape == () and saved["b"] == -2.5


def test_run_previews_large_outputs_on_one_line(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prog = tmp_path / "big.native"
    prog.write_text("sokr.native/1\nparam x: f32[100,100]\ny: f32[100,100] = neg x\nreturn y\n")
    np.save(tmp_path / "x.npy", np.ones((100, 100), np.float32))
    assert main(["run", str(prog), "-i", str(tmp_path / "x.npy")]) == 0
    line = next(line for line in capsys.readouterr().out.splitlines() if line.strip().startswith("y "))
    assert "f32[100,100]" in line and "..." in line and len(line) < 110


def test_interrupt_cancels(
    files: dict[str, str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cancelled: list[bool] = []

    def interrupted(self: Any, timeout: float | None = None) -> Any:
        cancelled.append(True)
        raise KeyboardInterrupt

    monkeypatch.setattr(sokr._future.Future, "result", interrupted)
    assert main(["run", files["prog"], "-i", files["x"], "-i", files["y"]]) == 130
    assert one_line_error(capsys) == "sokr: interrupted"
    assert cancelled


# -- errors ---------------------------------------------------------------------------------------


def _write(d: pathlib.Path, name: str, content: str | bytes) -> str:
    p = d / name
    if isinstance(content, bytes):
        p.write_bytes(content)
    else:
        p.write_text(content)
    return str(p)


ERRORS: list[tuple[str, int, str]] = [
    # (id, exit status, expected fragment of the message); the arguments are built in the test
    ("missing-program", 1, "no such file: "),
    ("directory-program", 1, "is a directory"),
    (
        "invalid-program",
        1,
        'bad.native: invalid program (sokr.native/1) at 5:14: unknown op "mu" (did you mean mul?)',
    ),
    ("unknown-format", 1, "unknown program format: no registered IR recognises this source"),
    (
        "unknown-ir",
        2,
        "unknown IR format 'qasm/9' (registered: nir/1, openqasm/2, openqasm/3, qir/1, sokr.native/1, "
        "sokr.photonic/1, spirv/1)",
    ),
    ("unknown-substrate", 2, "unknown substrate 'warp-drive' (available: "),
    ("unknown-input-name", 2, "the program has no input named 'z' (its inputs: x: f32[4], y: f32[4])"),
    ("missing-input", 2, "missing input y: f32[4]; pass --input NAME=FILE.npy"),
    ("missing-inputs", 2, "missing inputs x: f32[4], y: f32[4]"),
    ("too-many-inputs", 2, "too many inputs: the program takes 2 (x: f32[4], y: f32[4]), got 3"),
    ("duplicate-input", 2, "input x is given twice"),
    ("empty-input-file", 2, "no file after '='"),
    ("missing-npy", 1, "input x: no such file: "),
    ("not-npy", 1, "is not a .npy file"),
    ("npz-input", 1, "is an .npz archive; pass a .npy file"),
    ("truncated-npy", 1, "is not a valid .npy file"),
    ("object-npy", 1, "is not a valid .npy file"),
    ("wrong-dtype", 1, "invalid input 0 (x): want f32[4], got f64[4]"),
    ("wrong-shape", 1, "invalid input 1 (y): want f32[4], got f32[5]"),
    ("no-capable-substrate", 1, "no capable substrate for sokr.native/1: cpu: needs"),
    ("deadline", 1, "deadline exceeded (--timeout 0.001 s)"),
    ("bad-option", 2, "--option 'seed': want KEY=VALUE"),
    ("bad-timeout", 2, "the timeout must be a positive number of seconds"),
    ("nan-timeout", 2, "the timeout must be a positive number of seconds"),
    ("output-dir", 1, "cannot write "),
    ("unknown-flag", 2, "unrecognized arguments: --frobnicate"),
    ("unknown-command", 2, "invalid choice: 'jump'"),
    ("run-without-file", 2, "the following arguments are required: FILE"),
]


def _error_args(case: str, files: dict[str, str]) -> list[str]:
    d = pathlib.Path(files["dir"])
    p, x, y = files["prog"], files["x"], files["y"]
    xy = ["-i", x, "-i", y]
    if case == "missing-program":
        return ["run", str(d / "nope.native")]
    if case == "directory-program":
        return ["run", str(d)]
    if case == "invalid-program":
        return ["run", _write(d, "bad.native", PROGRAM.replace("mul", "mu")), *xy]
    if case == "unknown-format":
        return ["run", x]
    if case == "unknown-ir":
        return ["run", p, "--ir", "qasm/9", *xy]
    if case == "unknown-substrate":
        return ["run", p, "--substrate", "warp-drive", *xy]
    if case == "unknown-input-name":
        return ["run", p, "-i", f"z={x}", "-i", y]
    if case == "missing-input":
        return ["run", p, "-i", f"x={x}"]
    if case == "missing-inputs":
        return ["run", p]
    if case == "too-many-inputs":
        return ["run", p, *xy, "-i", y]
    if case == "duplicate-input":
        return ["run", p, "-i", f"x={x}", "-i", f"x={y}"]
    if case == "empty-input-file":
        return ["run", p, "-i", "x=", "-i", y]
    if case == "missing-npy":
        return ["run", p, "-i", f"x={d / 'nope.npy'}", "-i", y]
    if case == "not-npy":
        return ["run", p, "-i", f"x={_write(d, 'text.npy', 'hello')}", "-i", y]
    if case == "npz-input":
        np.savez(d / "a.npz", x=np.ones(4, np.float32))
        return ["run", p, "-i", f"x={d / 'a.npz'}", "-i", y]
    if case == "truncated-npy":
        return ["run", p, "-i", f"x={_write(d, 'cut.npy', pathlib.Path(x).read_bytes()[:70])}", "-i", y]
    if case == "object-npy":
        np.save(d / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
        return ["run", p, "-i", f"x={d / 'obj.npy'}", "-i", y]
    if case == "wrong-dtype":
        np.save(d / "f64.npy", np.ones(4))
        return ["run", p, "-i", str(d / "f64.npy"), "-i", y]
    if case == "wrong-shape":
        np.save(d / "five.npy", np.ones(5, np.float32))
        return ["run", p, "-i", x, "-i", str(d / "five.npy")]
    if case == "no-capable-substrate":
        np.save(d / "two.npy", np.ones(2))
        return ["run", _write(d, "huge.native", HUGE), "-i", str(d / "two.npy")]
    if case == "deadline":
        np.save(d / "m.npy", np.ones((1200, 1200)))
        return ["run", _write(d, "slow.native", SLOW), "-i", str(d / "m.npy"), "--timeout", "0.001"]
    if case == "bad-option":
        return ["run", p, *xy, "--option", "seed"]
    if case == "bad-timeout":
        return ["run", p, *xy, "--timeout", "-1"]
    if case == "nan-timeout":
        return ["run", p, *xy, "--timeout", "nan"]
    if case == "output-dir":
        return ["run", p, *xy, "-o", str(d / "no" / "such" / "dir.npz")]
    if case == "unknown-flag":
        return ["run", p, *xy, "--frobnicate"]
    if case == "unknown-command":
        return ["jump"]
    if case == "run-without-file":
        return ["run"]
    raise AssertionError(case)


@pytest.mark.parametrize(("case", "code", "fragment"), ERRORS, ids=[e[0] for e in ERRORS])
def test_errors(
    case: str, code: int, fragment: str, files: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(_error_args(case, files)) == code
    line = one_line_error(capsys)
    assert fragment in line, line
    if case == "output-dir":
        assert not list(pathlib.Path(files["dir"]).glob("*.npz"))


def test_run_a_photonic_program(tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    prog = tmp_path / "hom.photonic"
    prog.write_text("sokr.photonic/1\nmodes 2\ninput |1,1>\nbs 0, 1\n")
    assert main(["run", str(prog), "--option", "shots=100", "--option", "seed=1"]) == 0
    out = capsys.readouterr().out
    assert "substrate  photonic" in out
    line = next(li for li in out.splitlines() if li.strip().startswith("counts"))
    counts = json.loads(line.split("value", 1)[1])
    assert set(counts) == {"|2,0>", "|0,2>"} and sum(counts.values()) == 100
