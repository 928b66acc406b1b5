from __future__ import annotations

import asyncio
import threading

import numpy as np
import pytest

import sokr


async def test_await_on_running_loop(axpy: sokr.Program, ones4: np.ndarray) -> None:
    res = await sokr.dispatch(axpy, np.array([1, 2, 3, 4], np.float32), ones4)
    np.testing.assert_array_equal(res.value, [3, 5, 7, 9])


async def test_await_slow_completes_via_pump(slow: sokr.Program) -> None:
    res = await sokr.dispatch(slow, np.eye(1200))
    np.testing.assert_array_equal(res.value, np.eye(1200))


async def test_ten_thousand_concurrent_awaits(axpy: sokr.Program) -> None:
    x = np.ones(4, np.float32)
    futs = [sokr.dispatch(axpy, np.full(4, i % 100, np.float32), x) for i in range(10_000)]
    calls = [0] * len(futs)
    for i, f in enumerate(futs):
        f.add_done_callback(lambda _f, i=i: calls.__setitem__(i, calls[i] + 1))
    results = await asyncio.gather(*(_await(f) for f in futs))
    assert [r.value[0] for r in results] == [2 * (i % 100) + 1 for i in range(10_000)]
    assert set(calls) == {1}


async def _await(f: sokr.Future) -> sokr.Result:
    return await f


async def test_await_gather_and_async_as_completed(axpy: sokr.Program, ones4: np.ndarray) -> None:
    futs = [sokr.dispatch(axpy, ones4, ones4) for _ in range(10)]
    assert len(await sokr.gather(*futs)) == 10
    n = 0
    async for f in sokr.as_completed(futs):
        assert f.done()
        n += 1
    assert n == 10


async def test_cancelling_the_awaiting_task_cancels_the_dispatch(slow: sokr.Program) -> None:
    fut = sokr.dispatch(slow, np.eye(1200))
    task = asyncio.ensure_future(_await(fut))
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert fut.cancelled()


async def test_await_timeout_via_wait_for(slow: sokr.Program) -> None:
    fut = sokr.dispatch(slow, np.eye(1200))
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(_await(fut), 0.01)
    assert fut.cancelled()


def test_loop_closed_while_awaiting(slow: sokr.Program) -> None:
    """A loop closed with a future still awaited: nothing hangs or crashes; the future still
    completes for anyone else."""
    fut = sokr.dispatch(slow, np.eye(1200))
    loop = asyncio.new_event_loop()
    task = loop.create_task(_await(fut))
    loop.run_until_complete(asyncio.sleep(0.01))
    loop.close()  # the task is abandoned mid-await
    assert not task.done()
    res = fut.result(60)
    np.testing.assert_array_equal(res.value, np.eye(1200))


def test_await_from_loops_in_several_threads(axpy: sokr.Program) -> None:
    out: list[float] = []

    def worker(k: int) -> None:
        async def main() -> float:
            x = np.full(4, k, np.float32)
            rs = await asyncio.gather(*(_await(sokr.dispatch(axpy, x, x)) for _ in range(200)))
            return float(sum(r.value[0] for r in rs))

        out.append(asyncio.run(main()))

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(out) == [200 * 3 * k for k in range(4)]


async def test_awaiting_task_wakes_when_another_cancels(slow: sokr.Program) -> None:
    fut = sokr.dispatch(slow, np.eye(1200))
    task = asyncio.ensure_future(_await(fut))
    await asyncio.sleep(0.01)
    assert fut.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 10)


async def test_awaiting_task_wakes_when_a_thread_reads_the_result(slow: sokr.Program) -> None:
    fut = sokr.dispatch(slow, np.eye(1200))
    task = asyncio.ensure_future(_await(fut))
    await asyncio.sleep(0.01)
    reader = threading.Thread(target=fut.result)
    reader.start()
    res = await asyncio.wait_for(task, 60)
    reader.join()
    np.testing.assert_array_equal(res.value, np.eye(1200))
