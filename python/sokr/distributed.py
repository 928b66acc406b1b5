"""Beyond one machine: SOKR programs on a Dask cluster.

:class:`DaskSubstrate` is a substrate (kind ``remote``) that runs programs on Dask workers
where SOKR is installed. It joins the runtime like any other substrate, so
``sokr.dispatch``, ``quantum.sample`` and ``neuro.run`` reach the cluster when a policy
picks it, or when you pin it::

    from dask.distributed import Client
    import sokr
    from sokr.distributed import DaskSubstrate

    cluster = DaskSubstrate(Client("tcp://scheduler:8786"))      # or the address itself
    futs = cluster.sweep(circuit, [(theta,) for theta in thetas], shots=1000)
    for fut in sokr.as_completed(futs):                          # results stream back
        print(fut.result().domain_values["counts"])

**Capability** is the union of the workers': a program is accepted when some worker has a
substrate that accepts it, and a refusal lists each worker's reasons. Programs travel as
their source (format and bytes) and are parsed again on the worker.

**Dispatch** goes through Dask futures (``pure=False``: every run is a task of its own). A
worker that dies mid-run has its tasks re-run elsewhere by Dask; each SOKR future
completes exactly once. When the scheduler is gone, capability answers no, saying so (the
default policy then runs unpinned work on local substrates, which it prefers anyway: the
cluster gets work when pinned, when no local substrate can run it, or by a policy's
choice), and runs in flight fail with a :class:`sokr.SubstrateFaultError` naming Dask. A
scheduler that cannot be reached at first raises :class:`SchedulerUnreachableError` at
once, saying which address and why.

On a cluster: start the scheduler and workers with SOKR installed in their environment
(``pip install sokr``), e.g. with dask-jobqueue on SLURM or the Dask Kubernetes operator
(docs/distributed.md), and pass the client or the scheduler's address here.
"""

from __future__ import annotations

import functools
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from concurrent.futures import Future as ConcurrentFuture
from typing import Any

import numpy as np

from . import errors
from ._future import Future, Result, Timings
from ._runtime import Program, Runtime, default_runtime
from .plugins import register_substrate, unregister_substrate

__all__ = ["DaskSubstrate", "SchedulerUnreachableError"]


class SchedulerUnreachableError(errors.SokrError, ConnectionError):
    """The Dask scheduler could not be reached."""

    kind = "scheduler_unreachable"


# -- what runs on the workers ---------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def _worker_program(fmt: str, src: bytes) -> Program:
    """A program parsed on this worker, once per (format, source): a sweep sends one program
    many times."""
    return default_runtime().program(src, ir=fmt)


def _worker_capability(fmt: str, src: bytes) -> list[tuple[str, bool, str]]:
    """On a worker: every substrate's answer for the program."""
    try:
        p = _worker_program(fmt, src)
    except errors.SokrError as e:
        return [("(parse)", False, str(e))]
    return [(o.substrate, o.ok, o.reason) for o in default_runtime().capability(p)]


def _worker_run(fmt: str, src: bytes, inputs: Sequence[np.ndarray], options: dict[str, Any]) -> Any:
    """On a worker: parse, run on the worker's own substrates, return plain values."""
    import socket

    r = default_runtime().run(_worker_program(fmt, src), *inputs, **options)
    meta = dict(r.meta)
    meta["worker"] = socket.gethostname()
    meta["worker_substrate"] = r.substrate
    return {k: np.asarray(v) for k, v in r.outputs.items()}, dict(r.domain_values), meta


def _worker_run_args(args: tuple[Any, ...]) -> Any:
    return _worker_run(*args)


# -- the substrate ------------------------------------------------------------------------------


class DaskSubstrate:
    """A substrate that runs programs on a Dask cluster's workers.

    ``client`` is a ``distributed.Client`` or a scheduler address (``"tcp://host:8786"``);
    ``timeout`` bounds the connection and capability questions (seconds). Unless
    ``register=False`` it registers itself with the default runtime or ``runtime`` under
    ``name``."""

    def __init__(
        self,
        client: Any,
        *,
        name: str = "dask",
        timeout: float = 10.0,
        register: bool = True,
        runtime: Runtime | None = None,
    ) -> None:
        from distributed import Client

        if isinstance(client, str):
            address = client
            try:
                client = Client(address, timeout=timeout, set_as_default=False)
            except (OSError, TimeoutError) as e:
                raise SchedulerUnreachableError(
                    f"sokr.distributed: cannot reach the Dask scheduler at {address} "
                    f"within {timeout:g} s: {e}"
                ) from None
        if not isinstance(client, Client):
            raise TypeError(
                f"client must be a distributed.Client or a scheduler address, not {type(client).__name__}"
            )
        self.client = client
        self.name = name
        self.timeout = timeout
        self.properties = {"scheduler": str(client.scheduler.address)}
        self._runtime = runtime or default_runtime()
        self._cap_cache: OrderedDict[tuple[str, str], tuple[bool, str]] = OrderedDict()
        self._lock = threading.Lock()
        self._registered = False
        self._pending: list[tuple[tuple[Any, ...], ConcurrentFuture[Result]]] = []
        self._pending_lock = threading.Lock()
        self._pending_cv = threading.Condition(self._pending_lock)
        self._flusher: threading.Thread | None = None
        if register:
            register_substrate(
                self, name=name, kind="remote", properties=self.properties, runtime=self._runtime
            )
            self._registered = True

    def __repr__(self) -> str:
        return f"<sokr.distributed.DaskSubstrate {self.name} on {self.properties['scheduler']}>"

    def close(self) -> None:
        """Leave the runtime (the client stays open: it is yours)."""
        if self._registered:
            unregister_substrate(self.name, runtime=self._runtime)
            self._registered = False

    def __enter__(self) -> DaskSubstrate:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the substrate protocol ---------------------------------------------------------------

    def _down(self) -> str | None:
        """Why the cluster cannot take work now (its scheduler is gone), or None."""
        status = str(getattr(self.client, "status", "running"))
        if status in ("running", "newly-created"):
            return None
        return (
            f"the Dask scheduler at {self.properties['scheduler']} cannot be reached (the client is {status})"
        )

    def _fault(self, what: str) -> errors.SubstrateFaultError:
        return errors.SubstrateFaultError(f"sokr.distributed: Dask substrate {self.name!r}: {what}")

    def capability(self, program: Program) -> tuple[bool, Any]:
        fmt, src = _source(program)
        if src is None:
            return False, "the program has no source to send to the workers (it was built in Go)"
        down = self._down()
        if down is not None:  # checked before the cache: a dead cluster answers no at once
            return False, down
        key = (fmt, hashlib.sha256(src).hexdigest())
        with self._lock:
            hit = self._cap_cache.get(key)
        if hit is not None:
            return hit
        try:
            # Bounded: a scheduler that dies while asked must not hold the question for ever.
            answers = self.client.run(_worker_capability, fmt, src, wait=True, callback_timeout=self.timeout)
        except Exception as e:
            down = self._down()
            if down is not None:
                return False, down
            return False, f"the workers could not be asked: {type(e).__name__}: {e}"
        if not answers:
            return False, "the cluster has no workers"
        reasons = []
        ok = False
        for worker, offers in sorted(answers.items()):
            if any(o[1] for o in offers):
                ok = True
            else:
                reasons.append(f"{worker}: " + "; ".join(f"{s}: {r}" for s, _, r in offers))
        ans: tuple[bool, Any] = (
            (True, 0.0) if ok else (False, "no worker can run it (" + " | ".join(reasons) + ")")
        )
        with self._lock:
            self._cap_cache[key] = ans
            if len(self._cap_cache) > 256:
                self._cap_cache.popitem(last=False)
        return ans

    def dispatch(
        self, program: Program, inputs: list[np.ndarray], options: dict[str, Any]
    ) -> ConcurrentFuture[Result]:
        fmt, src = _source(program)
        if src is None:
            raise errors.InvalidInputError("the program has no source to send to the workers")
        down = self._down()
        if down is not None:
            raise self._fault(down)
        out: ConcurrentFuture[Result] = ConcurrentFuture()
        with self._pending_lock:
            self._pending.append(((fmt, src, inputs, dict(options)), out))
            if self._flusher is None:
                self._flusher = threading.Thread(target=self._flush, name="sokr-dask-submit", daemon=True)
                self._flusher.start()
            self._pending_cv.notify()
        return out

    def _flush(self) -> None:
        """Submit queued runs in batches (one client.map per batch: a submit from another
        thread costs a round trip to the client's event loop), each run still a task."""
        while True:
            with self._pending_lock:
                while not self._pending:
                    self._pending_cv.wait()
                batch, self._pending = self._pending, []
            try:
                down = self._down()
                if down is not None:
                    raise self._fault(down)
                dfs = self.client.map(_worker_run_args, [a for a, _ in batch], pure=False)
            except BaseException as e:
                for _, out in batch:
                    if not out.done():
                        out.set_exception(e)
                continue
            for df, (_, out) in zip(dfs, batch, strict=True):
                self._watch(df, out)

    def _watch(self, df: Any, out: ConcurrentFuture[Result]) -> None:
        def done(f: Any) -> None:
            if out.done():
                return
            try:
                if f.cancelled():
                    # Not by us (cancelling ``out`` cancels ``f``, and ``out`` is done then):
                    # Dask gave up on the run, as when the client loses its scheduler.
                    why = self._down() or "Dask cancelled the run"
                    out.set_exception(self._fault(f"the run was lost: {why}"))
                    return
                outputs, values, meta = f.result()
                out.set_result(Result(outputs, values, self.name, Timings(0.0, 0.0, 0.0), meta))
            except BaseException as e:
                out.set_exception(e)

        def cancel(f: ConcurrentFuture[Result]) -> None:
            if f.cancelled():
                df.cancel()

        out.add_done_callback(cancel)
        df.add_done_callback(done)

    # -- sweeps -------------------------------------------------------------------------------

    def sweep(
        self, program: Any, inputs: Iterable[Sequence[Any]], *, progress: bool | str = False, **options: Any
    ) -> list[Future]:
        """Run ``program`` once per input set on the cluster and return the futures at once
        (a tqdm progress bar with ``progress=True``); iterate them with
        :func:`sokr.as_completed` to take results as they finish."""
        return self._runtime.dispatch_many(program, inputs, substrate=self.name, progress=progress, **options)


def _source(program: Program) -> tuple[str, bytes | None]:
    return program.source_format or program.format, program.source
