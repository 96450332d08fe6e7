"""``LoopLocal``: one SDK client per event loop."""

from __future__ import annotations


def test_loop_local_makes_one_object_per_event_loop():
    import asyncio

    from aimu_core.aio import LoopLocal

    made: list[object] = []

    def factory() -> object:
        made.append(object())
        return made[-1]

    local = LoopLocal(factory)

    async def twice() -> tuple[object, object]:
        return local.get(), local.get()

    first = asyncio.run(twice())
    second = asyncio.run(twice())
    assert first[0] is first[1] and second[0] is second[1]
    assert first[0] is not second[0] and len(made) == 2
    assert local.get() is second[0]  # outside a loop: the last one made


def test_each_loops_object_is_closed_when_that_loop_shuts_down():
    import asyncio

    from aimu_core.provider import LoopLocal

    class SDK:
        def __init__(self) -> None:
            self.closed = False

        async def close(self) -> None:
            await asyncio.sleep(0)  # closing may await, as httpx's does
            self.closed = True

    local = LoopLocal(SDK)

    async def use() -> SDK:
        return local.get()

    first = asyncio.run(use())
    assert first.closed  # closed by asyncio.run before its loop closed
    second = asyncio.run(use())
    assert second is not first and second.closed
    outside = LoopLocal(SDK).get()
    assert not outside.closed  # made outside any loop: the caller owns it


def test_an_object_made_outside_any_loop_is_closed_with_its_owner():
    import gc

    from aimu_core.provider import LoopLocal

    class SyncSDK:
        closed = False

        def close(self) -> None:
            self.closed = True

    local = LoopLocal(SyncSDK)
    sdk = local.get()
    assert not sdk.closed
    del local
    gc.collect()
    assert sdk.closed  # not every SDK closes its connection pool when collected
