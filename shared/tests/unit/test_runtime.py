import asyncio

from orderdesk_shared.runtime import ServiceRuntime


async def test_a_loop_that_died_on_its_own_is_reported_as_crashed_but_a_running_one_is_not():
    async def broken() -> None:
        raise RuntimeError("lost the plot")

    running = asyncio.create_task(asyncio.sleep(60), name="consumer")
    crashed = asyncio.create_task(broken(), name="outbox-relay")
    await asyncio.wait([crashed])
    runtime = ServiceRuntime(
        settings=None, database=None, producer=None, relay=None, consumer=None, _tasks=[running, crashed]
    )

    assert runtime.crashed_loops() == ["outbox-relay"]
    running.cancel()
