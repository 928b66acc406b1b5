"""A Runtime owns what is registered with it (IR plugins, Python substrates, parsed kernels),
and one dropped without close() is closed by its finalizer (issue 16)."""

from __future__ import annotations

import gc
import threading
import time
import weakref
from typing import Any

import numpy as np
import pytest

import sokr
from sokr import _native, quantum

IDENTITY = "sokr.native/1\nparam x: f32[1]\nreturn x\n"
BELL = 'OPENQASM 3; include "stdgates.inc"; qubit[2] q; bit[2] c; h q[0]; cx q[0], q[1]; c = measure q;'


def _collected(ref: weakref.ref[Any]) -> bool:
    """Whether the object is collected once the worker threads that served its last calls have
    returned from them (they hold the substrate until then: a moment after the result)."""
    for _ in range(200):
        gc.collect()
        if ref() is None:
            return True
        time.sleep(0.05)
    return False


def _gone(handle: int) -> bool:
    try:
        _native.info(handle)
    except sokr.SokrError as e:
        assert "no runtime with handle" in str(e)
        return True
    return False


def test_a_dropped_runtime_is_closed() -> None:
    rt = sokr.Runtime(["cpu"])
    handle = rt._handle
    assert sokr.run(rt.program(IDENTITY), np.ones(1, np.float32)).value[0] == 1  # on the default one
    assert rt.run(IDENTITY, np.ones(1, np.float32)).value[0] == 1
    ref = weakref.ref(rt)
    del rt
    assert _collected(ref)
    assert _gone(handle)


class _Holds:
    """A Python substrate that holds its runtime (as sokr.distributed.DaskSubstrate does): a
    cycle through the runtime, which must not keep the runtime alive for ever."""

    name = "holds"

    def __init__(self, rt: sokr.Runtime) -> None:
        self.rt = rt

    def capability(self, program: sokr.Program) -> bool:
        return program.format == "sokr.native/1"

    def dispatch(self, program: sokr.Program, inputs: list[Any]) -> Any:
        return {"x": inputs[0] * 2}


class _Upper:
    format = "upper/1"

    def accepts(self, obj: Any) -> bool:
        return isinstance(obj, str) and obj.startswith("upper:")

    def lower(self, obj: str) -> bytes:
        return obj.encode()


def test_a_dropped_runtime_takes_its_python_substrates_plugins_and_kernels() -> None:
    rt = sokr.Runtime(["statevec"])
    handle = rt._handle
    sokr.register_substrate(_Holds(rt), runtime=rt)
    sokr.register_ir(_Upper, runtime=rt)
    assert rt.run(IDENTITY, np.ones(1, np.float32), substrate="holds").value[0] == 2
    assert rt.program("upper:x").format == "upper/1"
    assert quantum.sample(BELL, shots_count=10, runtime=rt, seed=1).shots == 10  # a kernel cached on rt
    workers = [t for t in threading.enumerate() if t.name == "sokr-py-dispatch-holds"]
    assert workers
    ref = weakref.ref(rt)
    del rt
    assert _collected(ref)
    assert _gone(handle)
    for t in workers:  # told to end by the finalizer
        t.join(30)
        assert not t.is_alive()


def test_registrations_belong_to_their_runtime() -> None:
    with sokr.Runtime(["cpu"]) as a, sokr.Runtime(["cpu"]) as b:
        sokr.register_ir(_Upper, runtime=a)
        assert a.program("upper:y").format == "upper/1"
        assert "upper/1" in a.irs() and "upper/1" not in b.irs() and "upper/1" not in sokr.irs()
        with pytest.raises(sokr.SokrError):
            b.program("upper:y")
        sokr.register_substrate(_Holds(a), runtime=a)
        assert "holds" in [s.name for s in a.substrates()]
        assert "holds" not in [s.name for s in b.substrates()]


def test_a_closed_runtime_takes_no_registrations() -> None:
    rt = sokr.Runtime(["cpu"])
    sokr.register_substrate(_Holds(rt), runtime=rt)
    rt.close()
    with pytest.raises(sokr.ClosedError):
        sokr.register_substrate(_Holds(rt), name="again", runtime=rt)
    with pytest.raises(sokr.ClosedError):
        sokr.register_ir(_Upper, runtime=rt)
    assert sokr.unregister_substrate("holds", runtime=rt)  # what it held goes quietly
    assert sokr.unregister_ir(_Upper, runtime=rt) is False
