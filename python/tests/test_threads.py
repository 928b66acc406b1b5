from __future__ import annotations

import threading
import time

import numpy as np

import sokr


def test_eight_threads_dispatch_at_once(axpy: sokr.Program) -> None:
    n_threads, per = 8, 500
    calls: dict[int, int] = {}
    lock = threading.Lock()
    errors: list[BaseException] = []
    barrier = threading.Barrier(n_threads)

    def worker(k: int) -> None:
        try:
            barrier.wait()
            x = np.full(4, k, np.float32)
            futs = [sokr.dispatch(axpy, x, x) for _ in range(per)]
            for i, f in enumerate(futs):
                key = k * per + i

                def cb(_f: sokr.Future, key: int = key) -> None:
                    with lock:
                        calls[key] = calls.get(key, 0) + 1

                f.add_done_callback(cb)
            for f in futs:
                assert f.result(30).value[0] == 3 * k
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    deadline = time.monotonic() + 10
    while len(calls) < n_threads * per and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(calls) == n_threads * per
    assert set(calls.values()) == {1}


def test_result_releases_the_gil(slow: sokr.Program) -> None:
    """While one thread waits in result(), another keeps running Python."""
    fut = sokr.dispatch(slow, np.eye(1200))
    ticks = [0]
    stop = threading.Event()

    def spin() -> None:
        while not stop.is_set():
            ticks[0] += 1

    t = threading.Thread(target=spin)
    t.start()
    fut.result(60)
    stop.set()
    t.join()
    assert ticks[0] > 1000


MATMUL = """sokr.native/1
param x: f64[96,96]
y: f64[96,96] = matmul x, x
return y
"""


def test_result_and_the_pump_race_to_read_and_one_does() -> None:
    # Runs that complete after dispatch are read by whoever comes first: the pump (notified by
    # Go) or a thread in result(). The read releases the ticket, so each claims the future
    # before it reads; a second reader waits for the first instead of reading a released
    # ticket ("no dispatch with ticket").
    prog = sokr.program(MATMUL)
    x = np.eye(96)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(60):
                futs = [sokr.dispatch(prog, x) for _ in range(4)]
                for f in futs:
                    np.testing.assert_array_equal(f.result(30).value, x)
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors[:3]
