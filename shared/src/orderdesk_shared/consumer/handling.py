"""Handling what one poll read in the service's database (RecordHandling): the whole batch in one transaction, its
inbox claim made at once; when a record fails or is slow, the poll again with each record alone in a savepoint, so
that the bad one is retried or dead-lettered and the others go on. Each record gets its span, its handler-time and
its outcome, and a handler its time limit."""

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import NoReturn

import structlog
from aiokafka import ConsumerRecord
from opentelemetry.trace import SpanKind, Status, StatusCode
from prometheus_client import Histogram

from orderdesk_shared.codec import IncomingEvent, InvalidEnvelope, decode
from orderdesk_shared.consumer.dead_letters import dead_letter, source_topic
from orderdesk_shared.consumer.delivery import delivery_in_this_task, delivery_of
from orderdesk_shared.consumer.failures import PERMANENT_FAILURES, FailedAttempts, HandlerTimeout, describe, record_key
from orderdesk_shared.consumer.polls import PollTooSlow, RecordFailed, caused_by
from orderdesk_shared.consumer.settings import ConsumerSettings
from orderdesk_shared.db import Database, UnitOfWork
from orderdesk_shared.errors import DatabaseUnavailable, describe_error, is_transient, logged_error
from orderdesk_shared.events.base import Event, Fact
from orderdesk_shared.logs import get_logger
from orderdesk_shared.metrics import HANDLER_FAILURES, HANDLER_SECONDS
from orderdesk_shared.telemetry import ORDER_ID, ORDER_VERSION, context_from_carrier, tracer

log = get_logger(__name__)

Handler = Callable[[Fact, UnitOfWork], Awaitable[None]]

# A record and its CloudEvent, or why it has none.
_Decoded = tuple[ConsumerRecord, IncomingEvent | InvalidEnvelope]

# How long a timed-out handler's record waits for the database to answer before the database is blamed instead.
DATABASE_CHECK_SECONDS = 3.0


class RecordHandling:
    """Feeds a poll's records to their handlers, each record's effects once (inbox)."""

    def __init__(
        self,
        *,
        settings: ConsumerSettings,
        database: Database,
        handlers: Mapping[type[Fact], Handler],
        failures: FailedAttempts,
    ) -> None:
        self._settings = settings
        self._database = database
        # Each route with its handler-time histogram, labelled once: labelling looks the child up under a lock,
        # which per record was a twentieth of a busy consumer's CPU.
        self._handlers: dict[str, tuple[type[Fact], Handler, Histogram]] = {
            model.event_type: (model, handler, HANDLER_SECONDS.labels(settings.group_id, model.event_type))
            for model, handler in handlers.items()
        }
        self._failures = failures

    @property
    def name(self) -> str:
        return self._settings.group_id

    async def handle_poll(self, records: list[ConsumerRecord], *, deadline: float) -> list[tuple[str, str]]:
        """Handle a poll in one transaction; if a record fails or is slow, redo the poll with each record isolated.

        A poll holding a record that failed before is isolated at once.
        """
        # Each record's envelope is read once, for the batch's inbox claim and its handler alike.
        decoded = [(record, _decode(record)) for record in records]
        if not any(self._failures.suspect(record) for record in records):
            try:
                return await self._handle_together(decoded, deadline=deadline)
            except RecordFailed:
                pass
        # Savepoints cost two round trips a record, so only the rare poll with a bad or slow record pays them.
        try:
            async with asyncio.timeout_at(deadline), self._database.unit_of_work() as uow:
                return [
                    await self._handle_record(uow, record, incoming, unclaimed=None) for record, incoming in decoded
                ]
        except TimeoutError as error:
            raise PollTooSlow(f"{len(records)} records took longer than a poll may") from error

    async def _handle_together(self, decoded: list[_Decoded], *, deadline: float) -> list[tuple[str, str]]:
        # Half the time left at most, so that the poll can still be redone with its records isolated.
        time_left = deadline - asyncio.get_running_loop().time()
        try:
            async with asyncio.timeout(time_left / 2), self._database.unit_of_work() as uow:
                # The whole batch is claimed in the inbox at once; a failure rolls the claims back with it.
                unclaimed = await uow.first_deliveries(consumer=self.name, message_ids=self._routed_ids(decoded))
                outcomes = [
                    await self._handle_record(uow, record, incoming, unclaimed=unclaimed)
                    for record, incoming in decoded
                ]
                await uow.run_deferred()
            return outcomes
        except Exception as error:
            if is_transient(error) and not caused_by(error, (RecordFailed, TimeoutError)):
                raise
            # A record failed or was slow (in the handlers' shared work too): which one shows once each is alone.
            raise RecordFailed from error

    def _routed_ids(self, decoded: list[_Decoded]) -> list[str]:
        """The CloudEvent ids of the readable records this consumer has a handler for."""
        return [
            incoming.id
            for _, incoming in decoded
            if isinstance(incoming, IncomingEvent) and incoming.type in self._handlers
        ]

    async def _handle_record(
        self,
        uow: UnitOfWork,
        record: ConsumerRecord,
        incoming: IncomingEvent | InvalidEnvelope,
        *,
        unclaimed: set[str] | None,
    ) -> tuple[str, str]:
        """Handle one record inside the batch transaction; returns (event type, outcome).

        `unclaimed` holds the batch's ids claimed up front and not yet handled; None means the record
        is isolated in a savepoint with its own claim, so that its failure undoes only its own work.
        """
        isolated = unclaimed is None
        if isinstance(incoming, InvalidEnvelope):
            if not isolated:
                # Unclaimed with the batch: alone, it is dead-lettered, and a replay of it is handled.
                raise RecordFailed from incoming
            return "unreadable", await self._dead_letter(uow, record, type(incoming).__name__, describe(incoming))
        route = self._handlers.get(incoming.type)
        if route is None:
            return incoming.type, "skipped"
        if (failure := self._failures.exhausted(record_key(record))) is not None:
            return incoming.type, await self._dead_letter(uow, record, failure.error_class, failure.dead_letter_reason)
        model, handler, handler_seconds = route
        carrier = incoming.trace_carrier
        traceparent = carrier.get("traceparent")
        about_order = issubclass(model, Event) and incoming.subject is not None
        if about_order:
            uow.keep_order_trace(incoming.subject, traceparent, carrier.get("tracestate"))
        # The consumer group is the service (the resource's name) and the topic is in the span's name: not
        # repeated as attributes, each of which every record's span pays for twice, made and exported.
        attributes = {
            "messaging.system": "kafka",
            "messaging.operation.type": "process",
            "messaging.destination.partition.id": str(record.partition),
            "messaging.kafka.offset": record.offset,
            "messaging.message.id": incoming.id,
            "cloudevents.event_type": incoming.type,
        }
        if about_order:
            attributes[ORDER_ID] = incoming.subject
        # Context variables set and reset directly: two generator context managers a record cost more than this.
        log_context = structlog.contextvars.bind_contextvars(order_id=incoming.subject, event_type=incoming.type)
        delivery = delivery_in_this_task.set(
            delivery_of(incoming, topic=source_topic(record, self._settings.replay_topic), traceparent=traceparent)
        )
        try:
            with tracer().start_as_current_span(
                f"{record.topic} process",
                context=context_from_carrier(carrier),
                kind=SpanKind.CONSUMER,
                attributes=attributes,
            ) as span:
                while True:
                    handler_time = asyncio.timeout(self._settings.handler_timeout_seconds)
                    try:
                        async with uow.savepoint() if isolated else contextlib.nullcontext():
                            if not await self._first_delivery(uow, incoming.id, unclaimed):
                                return incoming.type, "duplicate"
                            event = model.model_validate_json(incoming.payload)
                            if about_order:
                                span.set_attribute(ORDER_VERSION, event.order_version)
                            started = time.perf_counter()
                            async with handler_time:
                                await handler(event, uow)
                                if isolated:
                                    await uow.run_deferred()
                            handler_seconds.observe(time.perf_counter() - started)
                        self._failures.handled(record)
                        return incoming.type, "handled"
                    except Exception as error:
                        if handler_time.expired():
                            if not isolated:
                                raise RecordFailed from error
                            await self._timed_out(record)
                        if is_transient(error):
                            raise
                        if not isolated:
                            raise RecordFailed from error
                        span.set_status(Status(StatusCode.ERROR, describe_error(error)))
                        if isinstance(error, PERMANENT_FAILURES):
                            # Invalid payloads and domain refusals: keep the record, keep flowing.
                            return incoming.type, await self._dead_letter(
                                uow, record, type(error).__name__, describe(error)
                            )
                        HANDLER_FAILURES.labels(self.name, type(error).__name__).inc()
                        failure = self._failures.failed(
                            record_key(record), error_class=type(error).__name__, reason=describe(error)
                        )
                        if failure.attempts >= self._failures.limit:
                            return incoming.type, await self._dead_letter(
                                uow, record, failure.error_class, failure.dead_letter_reason
                            )
                        log.warning(
                            "record failed, trying it again", attempts=failure.attempts, error=logged_error(error)
                        )
        finally:
            delivery_in_this_task.reset(delivery)
            structlog.contextvars.reset_contextvars(**log_context)

    async def _timed_out(self, record: ConsumerRecord) -> NoReturn:
        """A handler ran out of time: count it against its record, unless the database itself stopped answering.

        The poll is then abandoned (its transaction rolled back, the cancelled statement with it) and read again.
        """
        try:
            await self._database.ping(timeout=DATABASE_CHECK_SECONDS)
        except Exception as error:
            raise DatabaseUnavailable("the database stopped answering while a handler waited on it") from error
        timeout = self._settings.handler_timeout_seconds
        HANDLER_FAILURES.labels(self.name, HandlerTimeout.__name__).inc()
        failure = self._failures.timed_out(record, reason=f"handler timed out after {timeout:g} s")
        log.warning(
            "handler timed out",
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            attempts=failure.attempts,
        )
        raise PollTooSlow(f"a handler timed out after {timeout:g} s at offset {record.offset} of {record.topic}")

    async def _first_delivery(self, uow: UnitOfWork, message_id: str, unclaimed: set[str] | None) -> bool:
        if unclaimed is None:
            return await uow.first_delivery(consumer=self.name, message_id=message_id)
        if message_id not in unclaimed:
            return False
        unclaimed.discard(message_id)  # a second copy later in the same batch is a duplicate
        return True

    async def _dead_letter(self, uow: UnitOfWork, record: ConsumerRecord, error_class: str, reason: str) -> str:
        self._failures.forget(record_key(record))
        return await dead_letter(
            uow,
            record,
            consumer=self.name,
            replay_topic=self._settings.replay_topic,
            error_class=error_class,
            reason=reason,
        )


def _decode(record: ConsumerRecord) -> IncomingEvent | InvalidEnvelope:
    """The record's CloudEvent, or why it is none."""
    try:
        return decode(key=record.key, value=record.value, headers=record.headers or ())
    except InvalidEnvelope as error:
        return error
