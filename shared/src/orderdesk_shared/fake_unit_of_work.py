"""An in-memory unit of work for handler unit tests: what handlers emit, defer and claim, with no database.

A service's fake adds its in-memory repositories (`self.orders = InMemoryOrders()`...) as its real unit of work adds
the SQL ones, with the same methods; the service's integration tests keep the SQL ones honest. Like a transaction,
a savepoint whose block raises puts the repositories and the emitted events back as they were.
"""

import copy
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from opentelemetry.context import Context

from orderdesk_shared.codec import KafkaRecord
from orderdesk_shared.db.unit_of_work import DeferredWork
from orderdesk_shared.events.base import Fact
from orderdesk_shared.telemetry import Traced


class FakeUnitOfWork:
    """Records instead of writing: `events` emitted, `records` emitted as they are, `dead_letters` kept."""

    def __init__(self) -> None:
        self.emitted: list[Fact | KafkaRecord] = []
        self.dead_letters: list[dict[str, Any]] = []
        self.claimed: set[tuple[str, str]] = set()
        self.order_traces: dict[str, tuple[str, str | None]] = {}
        self.committed = False
        self._deferred: dict[DeferredWork, list[Traced]] = {}

    @property
    def events(self) -> list[Fact]:
        return [emitted for emitted in self.emitted if isinstance(emitted, Fact)]

    def before_commit(self, work: DeferredWork, item: object) -> None:
        self._deferred.setdefault(work, []).append(Traced.here(item))

    async def run_deferred(self) -> None:
        while self._deferred:
            work, items = self._deferred.popitem()
            await work(self, items)  # type: ignore[arg-type]  # the fake stands in for the service's unit of work

    async def commit(self) -> None:
        """What leaving the real unit of work's block does: the deferred work runs, and the unit is done."""
        await self.run_deferred()
        self.committed = True

    def emit(self, event: Fact, *, trace_context: Context | None = None) -> None:
        self.emitted.append(event)

    def emit_record(
        self,
        record: KafkaRecord,
        *,
        aggregate_type: str,
        event_type: str,
        trace_context: Context | None = None,
        order_version: int | None = None,
    ) -> dict[str, str]:
        self.emitted.append(record)
        return {}

    def keep_order_trace(self, order_id: str, traceparent: str | None, tracestate: str | None = None) -> None:
        if traceparent and order_id not in self.order_traces:
            self.order_traces[order_id] = (traceparent, tracestate)

    async def order_trace(self, order_id: str) -> Context | None:
        return None

    async def first_delivery(self, *, consumer: str, message_id: str) -> bool:
        return bool(await self.first_deliveries(consumer=consumer, message_ids=[message_id]))

    async def first_deliveries(self, *, consumer: str, message_ids: Sequence[str]) -> set[str]:
        first = {message_id for message_id in message_ids if (consumer, message_id) not in self.claimed}
        self.claimed |= {(consumer, message_id) for message_id in first}
        return first

    async def dead_letter(self, **record: Any) -> bool:
        place = {key: record.get(key) for key in ("consumer", "topic", "partition", "offset", "replay_topic")}
        if any(all(kept.get(key) == value for key, value in place.items()) for kept in self.dead_letters):
            return False
        self.dead_letters.append(record)
        return True

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        kept = {name: copy.deepcopy(value) for name, value in vars(self).items() if name != "_deferred"}
        deferred_before = {work: len(items) for work, items in self._deferred.items()}
        try:
            yield
        except BaseException:
            vars(self).update(kept)
            self._deferred = {
                work: items[: deferred_before[work]]
                for work, items in self._deferred.items()
                if work in deferred_before
            }
            raise
