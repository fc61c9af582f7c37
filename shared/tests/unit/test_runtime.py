import asyncio
import time
from types import SimpleNamespace

from aiokafka.errors import KafkaConnectionError

from orderdesk_shared.runtime import ServiceRuntime


async def test_a_loop_that_died_on_its_own_is_reported_as_crashed_but_a_running_one_is_not():
    async def broken() -> None:
        raise RuntimeError("lost the plot")

    running = asyncio.create_task(asyncio.sleep(60), name="consumer")
    crashed = asyncio.create_task(broken(), name="outbox-relay")
    await asyncio.wait([crashed])
    runtime = ServiceRuntime(
        settings=None, database=None, producer=None, relay=None, consumer=None, context=None, _tasks=[running, crashed]
    )

    assert runtime.crashed_loops() == ["outbox-relay"]
    running.cancel()


def _runtime_seeing(*, database, relay_failing_since, tasks, kafka_answers=True) -> ServiceRuntime:
    async def metadata() -> None:
        if not kafka_answers:
            raise KafkaConnectionError("Unable to request metadata from node with id 1")

    return ServiceRuntime(
        settings=SimpleNamespace(relay_unready_after_seconds=30.0),
        database=database,
        producer=SimpleNamespace(client=SimpleNamespace(fetch_all_metadata=metadata)),
        relay=SimpleNamespace(failing_since=relay_failing_since),
        consumer=SimpleNamespace(joined=True),
        context=None,
        _tasks=tasks,
        _producer_started=True,
    )


class _Answers:
    async def ping(self, *, timeout: float) -> None:
        return None


async def test_readiness_says_states_and_never_the_text_of_the_errors_behind_them():
    class Unreachable:
        async def ping(self, *, timeout: float) -> None:
            raise ConnectionError('password authentication failed for user "intake" at 10.0.0.7')

    tasks = [asyncio.create_task(asyncio.sleep(60), name=name) for name in ("outbox-relay", "consumer")]
    runtime = _runtime_seeing(
        database=Unreachable(), relay_failing_since=time.monotonic() - 31, tasks=tasks, kafka_answers=False
    )

    checks = await runtime.readiness()

    assert checks == {"database": "down", "kafka": "down", "relay": "retrying", "consumer": "ok"}
    for task in tasks:
        task.cancel()


async def test_a_relay_retrying_a_short_hiccup_keeps_the_service_ready():
    tasks = [asyncio.create_task(asyncio.sleep(60), name=name) for name in ("outbox-relay", "consumer")]
    runtime = _runtime_seeing(database=_Answers(), relay_failing_since=time.monotonic() - 5, tasks=tasks)

    assert await runtime.readiness() == {"database": "ok", "kafka": "ok", "relay": "ok", "consumer": "ok"}
    for task in tasks:
        task.cancel()


async def test_a_service_still_connecting_is_starting_and_not_crashed():
    connecting = asyncio.create_task(asyncio.sleep(60), name="startup")
    runtime = _runtime_seeing(database=_Answers(), relay_failing_since=None, tasks=[connecting])
    runtime.consumer.joined = False
    runtime._producer_started = False

    checks = await runtime.readiness()

    assert checks == {"database": "ok", "kafka": "starting", "relay": "starting", "consumer": "starting"}
    assert runtime.crashed_loops() == []
    connecting.cancel()
