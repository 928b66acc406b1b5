from __future__ import annotations

import numpy as np
import pytest

import sokr


def test_hierarchy() -> None:
    for cls in (
        sokr.NoCapableSubstrateError,
        sokr.InvalidProgramError,
        sokr.InvalidInputError,
        sokr.CancelledError,
        sokr.DeadlineExceededError,
        sokr.SubstrateFaultError,
        sokr.ClosedError,
        sokr.RegistrationError,
        sokr.UnknownFormatError,
        sokr.AlreadyDoneError,
    ):
        assert issubclass(cls, sokr.SokrError)
    assert len({c.kind for c in sokr.SokrError.__subclasses__()}) == len(sokr.SokrError.__subclasses__())


def test_every_go_error_kind_has_an_exception() -> None:
    from sokr import _native, errors

    go_kinds = _native.error_kinds()  # pkg/sokr's table (sokr.ErrorKinds), "error" last
    assert go_kinds[-1] == "error" and "already_done" in go_kinds
    missing = set(go_kinds[:-1]) - set(errors._KINDS)
    assert not missing, f"sokr.errors has no exception for the core's kinds {sorted(missing)}"
    stale = set(errors._KINDS) - set(go_kinds)
    assert not stale, f"sokr.errors maps kinds the core never gives: {sorted(stale)}"
    for kind in go_kinds[:-1]:
        cls = errors._KINDS.get(kind)
        assert cls is not None, f"sokr.errors has no exception for the core's kind {kind!r}"
        assert cls.kind == kind and issubclass(cls, sokr.SokrError)
        assert cls.__name__ in sokr.__all__ and getattr(sokr, cls.__name__) is cls
        e = errors._from_json({"kind": kind, "message": "sokr: x"})
        assert type(e) is cls and e.message == "sokr: x"
    assert type(errors._from_json({"kind": "error", "message": "m"})) is sokr.SokrError


@pytest.mark.parametrize(
    ("src", "line", "col", "needle"),
    [
        ("sokr.native/1\nparam x: f32[2]\ny: f32[3] = exp x\nreturn y\n", 3, 1, "declared f32[3]"),
        ("sokr.native/1\nparam x: f32[2]\ny: f32[2] = expp x\nreturn y\n", 3, 13, "expp"),
        ("sokr.native/1\ny: f32[2] = exp x\nreturn y\n", 2, 17, "x"),
        ("sokr.native/1\nparam x: f33[2]\nreturn x\n", 2, 10, "f33"),
    ],
)
def test_invalid_program_has_position(src: str, line: int, col: int, needle: str) -> None:
    with pytest.raises(sokr.InvalidProgramError) as e:
        sokr.program(src)
    assert (e.value.line, e.value.col) == (line, col)
    assert needle in str(e.value)
    assert f"{line}:{col}" in str(e.value)
    assert isinstance(e.value, ValueError)


def test_unknown_format() -> None:
    with pytest.raises(sokr.UnknownFormatError, match="no registered IR recognises"):
        sokr.program("MODULE m; BEGIN END m.\n")
    with pytest.raises(sokr.UnknownFormatError):
        sokr.program("sokr.native/1\nreturn x\n", ir="nope/1")
    with pytest.raises(sokr.UnknownFormatError, match="cannot make a program from a int"):
        sokr.program(42)


def test_invalid_inputs(axpy: sokr.Program, ones4: np.ndarray) -> None:
    cases = [
        ((np.ones(3, np.float32), ones4), 0, "want f32[4], got f32[3]"),
        ((ones4, np.ones(4, np.float64)), 1, "want f32[4], got f64[4]"),
        ((ones4,), None, "takes 2 inputs, got 1"),
    ]
    for inputs, index, needle in cases:
        with pytest.raises(sokr.InvalidInputError) as e:
            sokr.dispatch(axpy, *inputs).result(10)
        assert needle in str(e.value)
        if index is not None:
            assert e.value.index == index and e.value.name == "xy"[index]


def test_inputs_checked_in_python(axpy: sokr.Program, ones4: np.ndarray) -> None:
    with pytest.raises(sokr.InvalidInputError, match="not C-contiguous"):
        sokr.dispatch(axpy, np.ones(8, np.float32)[::2], ones4)
    with pytest.raises(sokr.InvalidInputError, match="byte order"):
        sokr.dispatch(axpy, ones4.astype(">f4"), ones4)
    with pytest.raises(sokr.InvalidInputError, match="dtype float16 is not supported"):
        sokr.dispatch(axpy, ones4.astype(np.float16), ones4)
    with pytest.raises(sokr.InvalidInputError, match="expected a numpy array or numbers, got str"):
        sokr.dispatch(axpy, "1234", ones4)
    with pytest.raises(sokr.InvalidInputError, match="cannot make an array of it"):
        sokr.dispatch(axpy, [object()] * 4, ones4)


def test_no_capable_substrate_lists_reasons(axpy: sokr.Program, ones4: np.ndarray) -> None:
    with pytest.raises(sokr.NoCapableSubstrateError) as e:
        sokr.run(axpy, ones4, ones4, substrate="nothere")
    assert "no substrate of this name is registered" in e.value.offers[0].reason


@pytest.mark.parametrize(
    ("call", "exc"),
    [
        (lambda p: sokr.program(None), sokr.UnknownFormatError),
        (lambda p: sokr.program(3.5), sokr.UnknownFormatError),
        (lambda p: sokr.program("x", ir=5), TypeError),
        (lambda p: sokr.capability(object()), sokr.UnknownFormatError),
        (lambda p: sokr.dispatch(p, 1, 2, substrate=3), TypeError),
        (lambda p: sokr.dispatch(p, 1, 2, policy=3.0), TypeError),
        (lambda p: sokr.dispatch(p, [1] * 4, [1] * 4, shots=object()), TypeError),
        (lambda p: sokr.dispatch(p, None, None), sokr.InvalidInputError),
        (lambda p: sokr.dispatch_many(p, [(None, None)]), sokr.InvalidInputError),
        (lambda p: sokr.dispatch_many(p, 5), TypeError),
        (lambda p: sokr.gather(1, 2), TypeError),
        (lambda p: sokr.as_completed([1]), TypeError),
        (lambda p: sokr.Runtime(substrates="cpu"), TypeError),
        (lambda p: sokr.Runtime(policy=5), TypeError),
        (lambda p: sokr.run(p, [1] * 4, [1] * 4, timeout="soon"), TypeError),
    ],
)
def test_wrong_types_raise_clearly(axpy: sokr.Program, call: object, exc: type[BaseException]) -> None:
    with pytest.raises(exc):
        call(axpy)  # type: ignore[operator]


def test_bad_options_are_typed(axpy: sokr.Program, ones4: np.ndarray) -> None:
    with pytest.raises(sokr.InvalidInputError, match="timeout must be a positive number"):
        sokr.dispatch(axpy, ones4, ones4, timeout=-1)
    with pytest.raises(sokr.InvalidInputError, match="seed must be a non-negative integer"):
        sokr.dispatch(axpy, ones4, ones4, seed=1.5)


def test_huge_declared_output_is_refused_not_allocated() -> None:
    """A program whose output would not fit is refused with the reason, not met with a numpy
    MemoryError from preallocating its outputs."""
    p = sokr.program(
        "sokr.native/1\nc: f64[1000000,1000000] = const 0\ny: f64[1000000,1000000] = neg c\nreturn y\n"
    )
    with pytest.raises(sokr.NoCapableSubstrateError, match="memory"):
        sokr.run(p)
    with pytest.raises(sokr.NoCapableSubstrateError, match="memory"):
        sokr.dispatch_many(p, [()] * 3)[0].result(10)
