import asyncio
from types import SimpleNamespace

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


async def test_readiness_says_states_and_never_the_text_of_the_errors_behind_them():
    class Unreachable:
        async def ping(self) -> None:
            raise ConnectionError('password authentication failed for user "intake" at 10.0.0.7')

    relay_task = asyncio.create_task(asyncio.sleep(60), name="outbox-relay")
    consumer_task = asyncio.create_task(asyncio.sleep(60), name="consumer")
    runtime = ServiceRuntime(
        settings=None,
        database=Unreachable(),
        producer=SimpleNamespace(client=SimpleNamespace(cluster=SimpleNamespace(brokers=lambda: set()))),
        relay=SimpleNamespace(last_error="IntegrityError: duplicate key (external_id)=(OPP-jane.doe@example.com)"),
        consumer=SimpleNamespace(running=True),
        _tasks=[relay_task, consumer_task],
    )

    checks = await runtime.readiness()

    assert checks == {"database": "down", "kafka": "down", "relay": "retrying", "consumer": "ok"}
    relay_task.cancel()
    consumer_task.cancel()
