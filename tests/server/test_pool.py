"""The resource pool that hands out GPUs and CPU slots: first come, first served, nothing leaked."""

from __future__ import annotations

import asyncio

import pytest

from torchpad.server.pool import Pool


def run(coro):
    return asyncio.run(coro)


def test_hands_out_free_items_and_takes_them_back():
    async def main():
        pool = Pool([0, 1, 2], "GPU")
        assert pool.wait_reason(2) is None
        taken = await pool.acquire(2)
        assert taken == [0, 1] and pool.free == [2]
        assert pool.wait_reason(2) == "waiting for 2 GPUs (1 of 3 free on this server)"
        pool.release(taken)
        assert sorted(pool.free) == [0, 1, 2]
    run(main())


def test_a_big_request_is_not_starved_by_later_small_ones():
    async def main():
        pool = Pool(["a", "b"], "GPU")
        first = await pool.acquire(1)
        big = asyncio.ensure_future(pool.acquire(2))
        await asyncio.sleep(0)
        assert pool.wait_reason(1) == "waiting for 1 GPU (1 of 2 free on this server; 1 job(s) ahead)"
        small = asyncio.ensure_future(pool.acquire(1))  # would fit now, but the big one came first
        await asyncio.sleep(0)
        assert not big.done() and not small.done() and pool.waiting == 2
        pool.release(first)
        got = await big
        assert sorted(got) == ["a", "b"] and not small.done()
        pool.release(got)
        assert len(await small) == 1
    run(main())


def test_cancelling_a_waiter_lets_the_next_one_in():
    async def main():
        pool = Pool([0], "CPU slot")
        held = await pool.acquire(1)
        first = asyncio.ensure_future(pool.acquire(1))
        second = asyncio.ensure_future(pool.acquire(1))
        await asyncio.sleep(0)
        first.cancel()
        pool.release(held)
        assert await second == [0] and pool.waiting == 0
    run(main())


def test_items_granted_to_a_cancelled_waiter_go_back():
    async def main():
        pool = Pool([0, 1], "GPU")
        held = await pool.acquire(2)
        waiter = asyncio.ensure_future(pool.acquire(2))
        await asyncio.sleep(0)
        pool.release(held)  # granted: the future holds both items ...
        waiter.cancel()  # ... but its job was cancelled before it could use them
        with pytest.raises(asyncio.CancelledError):
            await waiter
        assert sorted(pool.free) == [0, 1]
    run(main())


def test_asking_for_more_than_the_pool_has_is_an_error():
    async def main():
        with pytest.raises(ValueError, match="asked for 3; the pool has 2"):
            await Pool([0, 1]).acquire(3)
    run(main())
