"""console-rebuild: forget the read model and fold every order again from the topics, from their start."""

import asyncio

import typer
from aiokafka import AIOKafkaConsumer
from pydantic import ValidationError

from console.rules_in_force import load_rules
from console.settings import Settings
from console.subscriptions import HANDLERS
from console.tables import messaging
from console.unit_of_work import ConsoleUnitOfWork
from orderdesk_shared.codec import InvalidEnvelope, decode
from orderdesk_shared.consumer import delivering
from orderdesk_shared.context import ServiceContext, bind
from orderdesk_shared.db import Database
from orderdesk_shared.kafka_connection import topic_partitions

app = typer.Typer(add_completion=False, help=__doc__)


async def rebuild(settings: Settings) -> int:
    """Reset the read model, then read every subscribed topic up to its end as of now; how many events it kept.

    The topics are read directly (no consumer group), so the running console keeps its own place and
    goes on folding newer events; a line both of them meet is kept once.
    """
    handlers = bind(HANDLERS, ServiceContext(rules=load_rules(settings)))
    routes = {model.event_type: (model, handler) for model, handler in handlers.items()}
    database = Database(
        url=settings.database_url, tables=messaging, source=settings.service_name, unit_of_work=ConsoleUnitOfWork
    )
    # Earliest, not the default latest: a reset the assignment sets off may land after the seeks below, and the
    # rebuild would skip a partition's whole history.
    consumer = AIOKafkaConsumer(
        **settings.kafka.client_options(),
        enable_auto_commit=False,
        isolation_level="read_committed",
        auto_offset_reset="earliest",
    )
    await consumer.start()
    kept = 0
    try:
        async with database.unit_of_work() as uow:
            await uow.orders.reset()
            await uow.report_facts.reset()
            await uow.service_requests.reset()
        partitions = await topic_partitions(settings.kafka, sorted({model.topic for model in HANDLERS}))
        consumer.assign(partitions)
        starts, ends = await consumer.beginning_offsets(partitions), await consumer.end_offsets(partitions)
        for tp in partitions:
            consumer.seek(tp, starts[tp])
        remaining = {tp for tp in partitions if ends[tp] > starts[tp]}
        while remaining:
            batches = await consumer.getmany(*remaining, timeout_ms=1000, max_records=settings.consumer_batch_size)
            async with database.unit_of_work() as uow:
                for tp, records in batches.items():
                    for record in records:
                        if record.offset >= ends[tp]:
                            continue
                        try:
                            incoming = decode(key=record.key, value=record.value, headers=list(record.headers or ()))
                            model, handler = routes[incoming.type]
                            event = model.model_validate(incoming.data)
                        except (InvalidEnvelope, KeyError, ValidationError):
                            continue  # unreadable or foreign: the live consumer dead-lettered or skipped it too
                        with delivering(record, incoming):
                            await handler(event, uow)
                        kept += 1
            for tp in list(remaining):
                if await consumer.position(tp) >= ends[tp]:
                    remaining.discard(tp)
    finally:
        await consumer.stop()
        await database.dispose()
    return kept


@app.command()
def main() -> None:
    """Rebuild the console's timelines from CONSOLE_DATABASE_URL and the CONSOLE_KAFKA_* settings."""
    kept = asyncio.run(rebuild(Settings()))
    typer.echo(f"rebuilt the console's timelines from {kept} events")
