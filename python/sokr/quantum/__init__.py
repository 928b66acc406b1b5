"""Quantum circuits on any substrate that runs them, with CUDA-Q's simulation API.

A kernel is OpenQASM 2 or 3 source text, a path to a ``.qasm`` file, or a
:class:`sokr.Program` made from one. Its runtime parameters (OpenQASM 3 ``input float``)
follow as positional arguments, in declaration order::

    from sokr import quantum
    from sokr.quantum import spin

    bell = '''OPENQASM 3;
    include "stdgates.inc";
    qubit[2] q; bit[2] c;
    h q[0]; cx q[0], q[1];
    c = measure q;
    '''
    counts = quantum.sample(bell, shots_count=1000)           # {'00': ~500, '11': ~500}
    counts = await quantum.sample_async(bell)                 # in a notebook
    e = quantum.observe(ansatz, spin.z(0) * spin.z(1), 0.3).expectation()
    psi = quantum.get_state(ansatz, 0.3)

Every function takes ``seed=`` (same seed, same result on the same substrate), ``substrate=``
to pin one, ``noise_model=`` (:mod:`sokr.quantum.noise`: exact on a density matrix up to 14 qubits,
by trajectories beyond; ``method=`` chooses), and
``precision="complex64"`` for half the memory. Bit order is documented on
:class:`SampleResult`.

>>> from sokr import quantum
>>> r = quantum.sample("OPENQASM 2.0; include \\"qelib1.inc\\"; qreg q[2]; creg c[2]; "
...                    "x q[1]; measure q -> c;", shots_count=10)
>>> dict(r)
{'10': 10}
"""

from __future__ import annotations

import functools
import json
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import numpy as np

from .. import _future, _launch, _native, _runtime, errors
from .._future import Result
from .._launch import AsyncResult, Derived, Gets
from .._runtime import Program, Runtime, default_runtime
from . import _cudaq, _draw, _sampled, noise, spin
from ._results import ObserveResult, Order, Register, SampleResult, State
from .noise import NoiseModel
from .spin import SpinOperator

R = TypeVar("R")

__all__ = [
    "AsyncResult",
    "NoiseModel",
    "ObserveResult",
    "Order",
    "Register",
    "SampleResult",
    "SpinOperator",
    "State",
    "draw",
    "get_state",
    "get_state_async",
    "noise",
    "observe",
    "observe_async",
    "run",
    "sample",
    "sample_async",
    "spin",
]


# Kernels parsed, at most this many per runtime (``Runtime._kernels``, by source text, most
# recently used last): a VQE loop passes the same text many times. Not functools.lru_cache:
# the _async calls ask whether a kernel is parsed already (see _needs_parse), and a cache here
# would keep every runtime it saw alive.
_PARSED_MAX = 128


def _parse(runtime: Runtime, text: str) -> Program:
    """A kernel parsed once per (runtime, source text)."""
    cache = runtime._kernels
    with runtime._lock:
        p = cache.get(text)
        if p is not None:
            cache.move_to_end(text)
            return p
    p = runtime.program(text)
    with runtime._lock:
        cache[text] = p
        if len(cache) > _PARSED_MAX:
            cache.popitem(last=False)
    return p


def _needs_parse(kernel: Any, runtime: Runtime | None) -> bool:
    """Whether running ``kernel`` starts with a parse: anything but a Program or a kernel text
    parsed already (an _async call then parses on a worker; see sokr._launch)."""
    if isinstance(kernel, Program):
        return False
    if not isinstance(kernel, str):
        return True
    rt = runtime or default_runtime()
    with rt._lock:
        return kernel not in rt._kernels


def _circuit(kernel: Any, runtime: Runtime) -> Program:
    if _cudaq.is_kernel(kernel):
        # Argument-free kernels; those with arguments are specialised in _run.
        kernel = _cudaq.to_openqasm(kernel, ())
    if isinstance(kernel, str) and (not kernel or kernel.isspace()):
        raise errors.InvalidInputError(
            "sokr.quantum: the kernel is empty; pass OpenQASM source text, a .qasm file, or a program"
        )
    p = _parse(runtime, kernel) if isinstance(kernel, str) else runtime.program(kernel)
    if p._info.get("circuit") is None:
        raise errors.UnknownFormatError(
            f"sokr.quantum: expected a quantum circuit (OpenQASM text, a .qasm file, or a circuit "
            f"program), got a {p.format} program"
        )
    return p


def _specialise(kernel: Any, args: Sequence[Any], options: dict[str, Any]) -> tuple[Any, Sequence[Any]]:
    """A CUDA-Q kernel specialised on its arguments (keyword ones taken out of ``options``):
    OpenQASM text with no parameters left. Anything else as it is."""
    if not _cudaq.is_kernel(kernel):
        return kernel, args
    names = _cudaq.arg_names(kernel)
    kernel_kw = {k: options.pop(k) for k in list(options) if k in names}
    return _cudaq.to_openqasm(kernel, _cudaq.bind(kernel, args, kernel_kw)), ()


def _run(
    kernel: Any,
    args: Sequence[Any],
    mode: str,
    noise_model: NoiseModel | None,
    runtime: Runtime | None,
    substrate: str | None,
    options: dict[str, Any],
) -> tuple[Program, Any]:
    rt = runtime or default_runtime()
    kernel, args = _specialise(kernel, args, options)
    p = _circuit(kernel, rt)
    info = p._info["circuit"]
    names = info["params"]
    if names and any(k in names for k in options):
        # Parameters by keyword (theta=0.5), after the positional ones.
        given = list(args)
        for name in names[len(given) :]:
            if name not in options:
                break
            given.append(options.pop(name))
        clash = [k for k in options if k in names]
        if clash:
            raise TypeError(f"parameter {clash[0]!r} given both by position and by keyword")
        args = given
    if len(args) != len(names):
        raise errors.InvalidInputError(
            f"the kernel takes {len(names)} parameter(s) ({', '.join(names) or 'none'}), got {len(args)}",
            index=min(len(args), len(names)),
        )
    inputs = []
    for i, (a, name) in enumerate(zip(args, names, strict=True)):
        if isinstance(a, bool) or not isinstance(a, (int, float, np.integer, np.floating)):
            raise errors.InvalidInputError(
                f"parameter {i} ({name}) must be a real number, not {type(a).__name__}", index=i, name=name
            )
        inputs.append(np.asarray(float(a), dtype=np.float64))
    if noise_model is not None:
        if not isinstance(noise_model, NoiseModel):
            raise TypeError(
                f"noise_model must be a sokr.quantum.NoiseModel, not {type(noise_model).__name__}"
            )
        _warn_unused_rules(noise_model, p)
        if len(noise_model):
            p = Program(_native.with_noise(p._handle, noise_model._json()), rt)
    opts = {k: v for k, v in options.items() if v is not None}
    return p, rt.dispatch(p, *inputs, substrate=substrate, mode=mode, **opts)


def _warn_unused_rules(model: NoiseModel, p: Program) -> None:
    """Warn of noise rules that apply to nothing in ``p``: noise follows gates, so a rule
    for a gate the kernel never applies (or for "measure", which is not a gate) is unused."""
    features = set(p._info.get("features") or ())
    for gate, _, channel in model._rules:
        if gate != "*" and f"gate:{gate}" not in features:
            what = (
                "measurement noise is not modelled: rules follow gates"
                if gate in ("measure", "mz", "reset")
                else f"the kernel has no {gate} gate"
            )
            warnings.warn(
                f"noise rule {gate!r} ({channel!r}) applies to nothing: {what}", UserWarning, stacklevel=5
            )


def _no_shots(options: dict[str, Any]) -> None:
    """``shots=`` is not an argument (CUDA-Q's is shots_count=); refuse it rather than let it
    pass as a substrate option that overrides shots_count."""
    if "shots" in options:
        raise TypeError("sample and observe take shots_count=, not shots=")


@functools.lru_cache(maxsize=256)
def _parse_registers(text: str) -> tuple[Register, ...]:
    return tuple(Register(r["name"], int(r["start"]), int(r["size"])) for r in json.loads(text))


def _registers(res: Result) -> list[Register]:
    return list(_parse_registers(res.meta.get("registers") or "[]"))


def _explicit(p: Program) -> list[int]:
    """The classical bit each measurement of ``p`` writes, in execution order, for
    ``explicit_measurements``: read from the counts of the final classical register, which
    hold every measurement's result when each measurement runs exactly once per shot (not
    under an ``if`` or in a loop) and writes a bit no other measurement writes. Other kernels
    are refused, saying why: the substrates return the final register, not a record of every
    measurement."""
    order: list[int] = []
    seen: set[int] = set()

    def walk(ops: list[dict[str, Any]], under: str | None) -> None:
        for op in ops:
            kind = op.get("kind")
            if kind == "measure":
                if under is not None:
                    raise errors.InvalidInputError(
                        f"explicit_measurements: the kernel measures under {under} (a measurement "
                        "that runs a varying number of times per shot); SOKR's substrates return "
                        "the final classical register, not a record of each measurement"
                    )
                bit = int(op["clbit"])
                if bit in seen:
                    raise errors.InvalidInputError(
                        f"explicit_measurements: the kernel measures into classical bit {bit} more "
                        "than once; SOKR's substrates return the final classical register, which "
                        "keeps only the last of those results"
                    )
                seen.add(bit)
                order.append(bit)
            for branch in ("then", "else", "body"):
                if op.get(branch):
                    walk(op[branch], f"'{kind} ({op.get('cond', '')})'")

    if not p._info["circuit"].get("measured"):
        raise errors.InvalidInputError(
            "explicit_measurements: the kernel measures nothing (its qubits are measured whole "
            "only at the end); add its measurements"
        )
    walk(_native.circuit_ops(p._handle, ""), None)
    return order


def _in_execution_order(counts: Mapping[str, int], order: list[int]) -> dict[str, int]:
    """``counts`` over the classical register (bit 0 rightmost) as counts of the measurements
    in execution order: measurement i is bit i (rightmost first, as every SampleResult key;
    ``in_order("cudaq")`` puts the first measurement leftmost, as CUDA-Q does)."""
    out: dict[str, int] = {}
    for key, n in counts.items():
        w = len(key)
        bits = "".join(key[w - 1 - b] for b in reversed(order))
        out[bits] = out.get(bits, 0) + n
    return out


def _sample(
    kernel: Any,
    args: Sequence[Any],
    shots_count: int,
    noise_model: NoiseModel | None,
    seed: int | None,
    substrate: str | None,
    runtime: Runtime | None,
    explicit_measurements: bool,
    options: dict[str, Any],
) -> Derived[SampleResult]:
    _no_shots(options)
    if isinstance(shots_count, bool) or not isinstance(shots_count, (int, np.integer)) or shots_count < 1:
        raise errors.InvalidInputError(f"shots_count must be a positive integer, not {shots_count!r}")
    p, fut = _run(
        kernel,
        args,
        "sample",
        noise_model,
        runtime,
        substrate,
        {"shots": int(shots_count), "seed": seed, **options},
    )
    explicit = _explicit(p) if explicit_measurements else None

    def convert(res: Result) -> SampleResult:
        counts = res.domain_values["counts"]
        if explicit is not None:
            return SampleResult(
                _in_execution_order(counts, explicit),
                [Register("__global__", 0, len(explicit))],
                meta=res.meta,
                substrate=res.substrate,
                seed=seed,
            )
        return SampleResult(counts, _registers(res), meta=res.meta, substrate=res.substrate, seed=seed)

    return Derived(fut, convert)


class Broadcast(Gets[list[R]], _runtime.Gathered):
    """The future of a broadcast call (see :func:`sample_async`): the list of its runs'
    results, in the order of the argument sets. Cancelling it cancels every run; the first
    run that fails fails it."""

    def result(self, timeout: float | None = None) -> list[R]:
        res: list[R] = super().result(timeout)
        return res


def _broadcasting(
    kernel: Any, args: Sequence[Any], start: Callable[[Sequence[Any]], AsyncResult[R]]
) -> AsyncResult[list[R]] | None:
    """For a broadcast call (see _broadcast), a future of the list of results of ``start(a)``
    for each set of arguments ``a``, all dispatched before any is waited on; else None."""
    sets = _broadcast(kernel, args)
    if sets is None:
        return None
    futs: list[AsyncResult[R]] = []
    try:
        for a in sets:
            futs.append(start(a))
    except BaseException:
        for f in futs:
            f.cancel()
        raise
    return Broadcast(futs, False)  # type: ignore[arg-type]


def sample_async(
    kernel: Any,
    *args: Any,
    shots_count: int = 1000,
    noise_model: NoiseModel | None = None,
    explicit_measurements: bool = False,
    seed: int | None = None,
    substrate: str | None = None,
    runtime: Runtime | None = None,
    timeout: float | None = None,
    **options: Any,
) -> AsyncResult[SampleResult]:
    """Start sampling ``kernel`` ``shots_count`` times; returns a future (``await`` it, or
    ``.get()``/``.result()``) of a :class:`SampleResult`. Circuits without mid-circuit
    measurement are simulated once and sampled; others shot by shot.

    - ``args``: the kernel's arguments, in order (also by name as keywords, ``theta=0.5``).
    - ``noise_model``: a :class:`NoiseModel` (see :mod:`sokr.quantum.noise`).
    - ``explicit_measurements``: as CUDA-Q's, the results of every measurement in the order
      they ran, one bit per measurement (measurement i is bit i: ``in_order("cudaq")`` puts
      the first leftmost, as CUDA-Q prints them), instead of the final classical register. The
      kernel's measurements must each run once per shot into a bit of their own; a kernel that
      measures under a condition or in a loop, or twice into one bit, is refused
      (InvalidInputError), since the substrates return the final register.
    - ``seed``: the same seed gives the same counts on the same substrate.
    - ``substrate`` pins the run; ``runtime`` chooses the runtime (the default one else).
    - ``timeout``: seconds for the whole call, parsing included.
    - Other keywords are substrate options (``precision="complex64"``, ``method=``...).

    **Broadcasting**, as CUDA-Q's: with a list of values per argument (``sample_async(k,
    [0.1, 0.2])`` for ``k(theta)``, or a list of lists for a ``list[float]`` argument) the
    future is of a list of results, one per set of values; the runs are all dispatched at
    once and run concurrently.

    It returns at once, even when the kernel must be parsed first: parsing then runs in the
    background, within ``timeout``, and cancelling the future cancels it. Every failure, a
    program that does not parse included, comes through the future."""
    if timeout is not None:
        options["timeout"] = timeout

    def start(a: Sequence[Any]) -> AsyncResult[SampleResult]:
        return _launch.launch(
            _needs_parse(kernel, runtime),
            _launch.timeout_of(options),
            lambda: _sample(
                kernel,
                a,
                shots_count,
                noise_model,
                seed,
                substrate,
                runtime,
                explicit_measurements,
                dict(options),
            ),
        )

    many = _broadcasting(kernel, args, start)
    return many if many is not None else start(args)  # type: ignore[return-value]


def sample(
    kernel: Any,
    *args: Any,
    shots_count: int = 1000,
    noise_model: NoiseModel | None = None,
    explicit_measurements: bool = False,
    seed: int | None = None,
    substrate: str | None = None,
    runtime: Runtime | None = None,
    timeout: float | None = None,
    **options: Any,
) -> SampleResult:
    """Sample ``kernel`` and wait: :func:`sample_async`'s result (a list of results when
    broadcasting). Ctrl-C while it waits cancels the run."""
    return _future.wait(
        sample_async(
            kernel,
            *args,
            shots_count=shots_count,
            noise_model=noise_model,
            explicit_measurements=explicit_measurements,
            seed=seed,
            substrate=substrate,
            runtime=runtime,
            timeout=timeout,
            **options,
        )
    )


def _depth(a: Any) -> int:
    """How deeply ``a`` nests lists: 0 for a number, 1 for a list of numbers..."""
    if isinstance(a, np.ndarray):
        return a.ndim
    if isinstance(a, (list, tuple)):
        return 1 + (_depth(a[0]) if a else 0)
    return 0


def _declared_depth(kernel: Any, i: int) -> int:
    """The nesting a kernel's parameter ``i`` takes: 1 for a CUDA-Q ``list[...]``, else 0
    (OpenQASM parameters are real numbers)."""
    if not _cudaq.is_kernel(kernel):
        return 0
    import inspect

    params = list(inspect.signature(kernel.kernelFunction).parameters.values())
    if i >= len(params):
        return 0
    ann = str(params[i].annotation).lower()
    return 1 if "list" in ann or "ndarray" in ann else 0


def _broadcast(kernel: Any, args: Sequence[Any]) -> list[tuple[Any, ...]] | None:
    """CUDA-Q's broadcasting: when the arguments carry one list level more than the kernel
    takes, they are lists of argument values, one per run (all of one length). The argument
    sets, or None when this is a single call."""
    if not args or not any(_depth(a) > _declared_depth(kernel, i) for i, a in enumerate(args)):
        return None
    lengths = [len(a) if _depth(a) > _declared_depth(kernel, i) else None for i, a in enumerate(args)]
    if len(set(lengths)) != 1:
        raise errors.InvalidInputError(
            "broadcasting takes a list of values for every kernel argument, all of one length; "
            f"got lengths {lengths} (None: not a list)"
        )
    return list(zip(*[list(a) for a in args], strict=True))


def _observe(
    kernel: Any,
    spin_operator: SpinOperator,
    args: Sequence[Any],
    shots_count: int | None,
    noise_model: NoiseModel | None,
    seed: int | None,
    substrate: str | None,
    runtime: Runtime | None,
    options: dict[str, Any],
) -> Derived[ObserveResult]:
    _no_shots(options)
    if _cudaq.is_spin_operator(spin_operator):
        spin_operator = _cudaq.spin_operator(spin_operator)
    if not isinstance(spin_operator, SpinOperator):
        raise TypeError(
            f"spin_operator must be a sokr.quantum.SpinOperator, not {type(spin_operator).__name__}"
        )
    if shots_count is not None and (
        isinstance(shots_count, bool) or not isinstance(shots_count, (int, np.integer)) or shots_count < 1
    ):
        raise errors.InvalidInputError(f"shots_count must be a positive integer or None, not {shots_count!r}")
    rt = runtime or default_runtime()
    kernel, rest = _specialise(kernel, args, options)
    args = tuple(rest)
    n = _circuit(kernel, rt)._info["circuit"]["qubits"]
    if spin_operator.qubit_count > n:
        raise errors.InvalidInputError(
            f"the spin operator acts on {spin_operator.qubit_count} qubits; the kernel has {n}"
        )
    if shots_count is not None:
        # Sampled: measured in each group's basis, with the counts behind each term.
        sampled = _sampled.observe(
            _circuit(kernel, rt),
            spin_operator,
            n,
            int(shots_count),
            seed,
            lambda p, o: _run(p, args, "sample", noise_model, rt, substrate, {**o, **options})[1],
        )
        if sampled is not None:
            return Derived(*sampled)
    terms = [{"coef": [c.real, c.imag], "paulis": w} for c, w in spin_operator.terms(n)]
    _, fut = _run(
        kernel,
        args,
        "observe",
        noise_model,
        rt,
        substrate,
        {"observable": terms, "shots": shots_count, "seed": seed, **options},
    )
    op = SpinOperator(dict(spin_operator._terms))

    def convert(res: Result) -> ObserveResult:
        return ObserveResult(
            op, res["expectations"].tolist(), shots=shots_count, meta=res.meta, substrate=res.substrate
        )

    return Derived(fut, convert)


def observe_async(
    kernel: Any,
    spin_operator: SpinOperator,
    *args: Any,
    shots_count: int | None = None,
    noise_model: NoiseModel | None = None,
    seed: int | None = None,
    substrate: str | None = None,
    runtime: Runtime | None = None,
    timeout: float | None = None,
    **options: Any,
) -> AsyncResult[ObserveResult]:
    """Start computing ⟨kernel|H|kernel⟩ for the spin operator ``H`` (a
    :class:`SpinOperator` or a ``cudaq.SpinOperator``); returns a future of an
    :class:`ObserveResult`.

    - Without noise it is exact unless ``shots_count`` is given: then it is estimated by
      sampling, one measurement basis per group of qubit-wise commuting terms
      (``ObserveResult.counts(term)`` gives each term's counts).
    - With ``noise_model`` it is exact too on circuits of up to 14 qubits, which the statevec
      substrate simulates as a density matrix (``method="density_matrix"`` asks for it;
      ``ObserveResult.meta["method"]`` says which ran); otherwise (more qubits, branching on
      measurements, ``method="trajectories"``, or ``shots_count``) it is an estimate: the mean
      over noise trajectories (``trajectories``, an option), or over ``shots_count`` shots.
    - Terminal measurements in the kernel are ignored.

    The other arguments, broadcasting (a list of results) and the future are as for
    :func:`sample_async`."""
    if timeout is not None:
        options["timeout"] = timeout

    def start(a: Sequence[Any]) -> AsyncResult[ObserveResult]:
        return _launch.launch(
            _needs_parse(kernel, runtime),
            _launch.timeout_of(options),
            lambda: _observe(
                kernel, spin_operator, a, shots_count, noise_model, seed, substrate, runtime, dict(options)
            ),
        )

    many = _broadcasting(kernel, args, start)
    return many if many is not None else start(args)  # type: ignore[return-value]


def observe(
    kernel: Any,
    spin_operator: SpinOperator,
    *args: Any,
    shots_count: int | None = None,
    noise_model: NoiseModel | None = None,
    seed: int | None = None,
    substrate: str | None = None,
    runtime: Runtime | None = None,
    timeout: float | None = None,
    **options: Any,
) -> ObserveResult:
    """Compute an expectation and wait: :func:`observe_async`'s result (a list of results
    when broadcasting). Ctrl-C while it waits cancels the run."""
    return _future.wait(
        observe_async(
            kernel,
            spin_operator,
            *args,
            shots_count=shots_count,
            noise_model=noise_model,
            seed=seed,
            substrate=substrate,
            runtime=runtime,
            timeout=timeout,
            **options,
        )
    )


def get_state_async(
    kernel: Any,
    *args: Any,
    noise_model: NoiseModel | None = None,
    substrate: str | None = None,
    runtime: Runtime | None = None,
    timeout: float | None = None,
    **options: Any,
) -> AsyncResult[State]:
    """Start computing the kernel's final state vector (terminal measurements ignored; the
    kernel must have no mid-circuit measurement); returns a future of a :class:`State`. Like
    :func:`sample_async`, it returns at once and broadcasts. A ``noise_model`` with channels
    is refused (InvalidInputError): a noisy state is a density matrix, not a state vector."""
    if timeout is not None:
        options["timeout"] = timeout

    def start(a: Sequence[Any]) -> AsyncResult[State]:
        def go() -> Derived[State]:
            _, fut = _run(kernel, a, "state", noise_model, runtime, substrate, dict(options))
            return Derived(fut, lambda res: State(res["state"], res.substrate))

        return _launch.launch(_needs_parse(kernel, runtime), _launch.timeout_of(options), go)

    many = _broadcasting(kernel, args, start)
    return many if many is not None else start(args)  # type: ignore[return-value]


def get_state(
    kernel: Any,
    *args: Any,
    noise_model: NoiseModel | None = None,
    substrate: str | None = None,
    runtime: Runtime | None = None,
    timeout: float | None = None,
    **options: Any,
) -> State:
    """The kernel's final state vector, waited for: :func:`get_state_async`'s result. Ctrl-C
    while it waits cancels the run."""
    return _future.wait(
        get_state_async(
            kernel,
            *args,
            noise_model=noise_model,
            substrate=substrate,
            runtime=runtime,
            timeout=timeout,
            **options,
        )
    )


def draw(kernel: Any, *args: Any, runtime: Runtime | None = None, **kernel_kw: Any) -> str:
    """A text diagram of the kernel, as CUDA-Q's ``cudaq.draw``: one wire per qubit (qubit 0
    on top), gates as boxes, controls as ● (○ on |0>), swaps as crosses, measurements as ``mz``
    boxes; gates go as far left as their wires allow. ``args`` are the kernel's arguments;
    without them, OpenQASM parameters are drawn by name. Gates under a classical condition
    carry it in their box; a ``while`` loop is one box over the qubits its body touches.

    >>> from sokr import quantum
    >>> print(quantum.draw('OPENQASM 3; include "stdgates.inc"; input float a; qubit[2] q; '
    ...                    "h q[0]; cx q[0], q[1]; ry(a) q[1];"), end="")
         ╭───╮
    q0 : ┤ h ├──●───────────
         ╰───╯╭─┴─╮╭───────╮
    q1 : ─────┤ x ├┤ ry(a) ├
              ╰───╯╰───────╯
    """
    rt = runtime or default_runtime()
    kernel, rest = _specialise(kernel, args, kernel_kw)
    args = tuple(rest)
    if kernel_kw:
        raise TypeError(f"draw() got unexpected keyword argument(s): {', '.join(kernel_kw)}")
    p = _circuit(kernel, rt)
    info = p._info["circuit"]
    values = ""
    if args:
        if len(args) != len(info["params"]):
            raise errors.InvalidInputError(
                f"the kernel takes {len(info['params'])} parameter(s) "
                f"({', '.join(info['params']) or 'none'}), got {len(args)}",
                index=min(len(args), len(info["params"])),
            )
        values = json.dumps([float(a) for a in args])
    return _draw.render(_native.circuit_ops(p._handle, values), int(info["qubits"]))


def run(kernel: Any, *args: Any, shots_count: int = 100, **kw: Any) -> list[str]:
    """Run ``kernel`` ``shots_count`` times and return each shot's measured bits, one
    bitstring per shot in :class:`SampleResult`'s bit order, as CUDA-Q's ``cudaq.run`` returns
    one value per shot (an OpenQASM kernel returns its classical bits). Takes the arguments of
    :func:`sample`; the shots are those of ``sample(...).get_sequential_data()``.

    >>> from sokr import quantum
    >>> quantum.run('OPENQASM 3; include "stdgates.inc"; qubit[2] q; bit[2] c; x q[0]; c = measure q;',
    ...             shots_count=3)
    ['01', '01', '01']
    """
    res = sample(kernel, *args, shots_count=shots_count, **kw)
    if isinstance(res, list):  # broadcast: one list of shots per set of arguments
        return [r.get_sequential_data() for r in res]
    return res.get_sequential_data()
