"""HandlerPool: blocking handlers on a bounded set of threads, answered on the event loop."""

from __future__ import annotations

import asyncio
import contextvars
import gc
import threading
import time

import pytest
from tests.aio import run_coroutine

from tracklog.exceptions import NotFound
from tracklog.server.handler_pool import HandlerPool

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


def test_results_errors_and_context_cross_the_pool() -> None:
    pool = HandlerPool(4)

    def handler(x: int) -> tuple[int, str, bool]:
        return x * 2, request_id.get(), threading.current_thread() is threading.main_thread()

    def failing() -> None:
        raise NotFound("no such run")

    async def main() -> None:
        request_id.set("req-1")
        assert await pool.run(handler, 21) == (42, "req-1", False)
        with pytest.raises(NotFound):
            await pool.run(failing)

    run_coroutine(main())


def test_threads_are_bounded_and_started_on_demand() -> None:
    pool = HandlerPool(3)
    running, peak, lock = [0], [0], threading.Lock()

    def handler() -> str:
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.02)
        with lock:
            running[0] -= 1
        return threading.current_thread().name

    async def main() -> set[str]:
        assert await pool.run(handler)  # one request, one thread
        assert len(pool._threads) == 1
        return set(await asyncio.gather(*(pool.run(handler) for _ in range(12))))

    names = run_coroutine(main())
    assert peak[0] <= 3 and len(names) <= 3 and len(pool._threads) == 3


def test_a_cancelled_request_does_not_break_the_pool() -> None:
    pool = HandlerPool(1)
    gate = threading.Event()

    async def main() -> str:
        slow = asyncio.ensure_future(pool.run(gate.wait, 5))
        await asyncio.sleep(0.01)
        slow.cancel()
        gate.set()
        return await pool.run(lambda: "next")

    assert run_coroutine(main()) == "next"


def test_threads_stop_with_the_pool() -> None:
    pool = HandlerPool(2)

    async def main(p: HandlerPool) -> None:
        await asyncio.gather(p.run(time.sleep, 0.01), p.run(time.sleep, 0.01))

    run_coroutine(main(pool))
    threads = list(pool._threads)
    assert threads and all(t.is_alive() for t in threads)
    del pool
    gc.collect()
    for thread in threads:
        thread.join(5)
    assert not any(t.is_alive() for t in threads)
