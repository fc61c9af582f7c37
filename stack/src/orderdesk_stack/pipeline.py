"""Submitting orders to the running stack and watching them move through the topics."""

import asyncio
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

import httpx
from aiokafka import AIOKafkaConsumer

from orderdesk_shared.auth import Role
from orderdesk_shared.events.fallout import FalloutKind, OrderFallout
from orderdesk_shared.events.order import Stage
from orderdesk_shared.kafka_connection import KafkaConnection
from orderdesk_shared.tokens import TokenSigner
from orderdesk_stack.order_generator import GeneratedOrder

PRODUCT_ORDER_PATH = "/tmf-api/productOrderingManagement/v4/productOrder"
STAGE_TOPICS: dict[str, Stage] = {f"orders.{stage.value}": stage for stage in Stage}
FALLOUT_TOPIC = OrderFallout.topic
STOPPING_KINDS = frozenset({FalloutKind.REJECTED, FalloutKind.CANCELLED})
# Held (a site survey) or pending (the rep's answer): the order waits for people, until released or corrected.
WAITING_KINDS = frozenset({FalloutKind.HELD, FalloutKind.PENDING})


@dataclass
class OrderJourney:
    submitted_at: float
    reached: dict[Stage, float] = field(default_factory=dict)
    stopped: str | None = None
    waiting: str | None = None

    @property
    def ratified(self) -> bool:
        return Stage.RATIFIED in self.reached

    @property
    def done(self) -> bool:
        """Ratified, stopped, or waiting for people: nothing more happens to it by itself."""
        return Stage.RATIFIED in self.reached or self.stopped is not None or self.waiting is not None


class PipelineWatcher:
    """Reads every stage topic from its current end, noting when each order reached each stage."""

    def __init__(self, kafka: KafkaConnection, *, every: float = 0.0) -> None:
        """With `every` (seconds), it reads what gathered meanwhile that often: while records wait unread the
        consumer fetches no more from their broker, so a long run's brokers answer a few fetches a second instead of
        one per record; each stage is noted up to that much late."""
        # A group of its own that commits nothing: it starts from the end of every partition it is given.
        self._consumer = AIOKafkaConsumer(
            *STAGE_TOPICS,
            FALLOUT_TOPIC,
            **kafka.client_options(),
            group_id=f"pipeline-watcher-{uuid.uuid4().hex[:12]}",
            enable_auto_commit=False,
            auto_offset_reset="latest",
        )
        self.journeys: dict[str, OrderJourney] = {}
        self._early: dict[str, list[tuple[str, bytes, float]]] = defaultdict(list)
        self.fallout_reasons: Counter[str] = Counter()
        self._task: asyncio.Task | None = None
        self._every = every

    async def __aenter__(self) -> "PipelineWatcher":
        await self._consumer.start()
        while not self._consumer.assignment():
            await self._consumer.getmany(timeout_ms=100)
        for tp in self._consumer.assignment():
            await self._consumer.position(tp)  # pins "latest" now, before any order is sent
        self._task = asyncio.create_task(self._read())
        return self

    async def __aexit__(self, *_: object) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self._consumer.stop()

    def expect(self, order_id: str, submitted_at: float) -> None:
        journey = self.journeys.setdefault(order_id, OrderJourney(submitted_at=submitted_at))
        for topic, value, seen_at in self._early.pop(order_id, []):
            self._note(journey, topic, value, seen_at)

    async def _read(self) -> None:
        while True:
            batches = await self._consumer.getmany(timeout_ms=200)
            seen_at = time.monotonic()
            for tp, records in batches.items():
                for record in records:
                    order_id = record.key.decode() if record.key else ""
                    journey = self.journeys.get(order_id)
                    if journey is None:
                        self._early[order_id].append((tp.topic, record.value, seen_at))
                    else:
                        self._note(journey, tp.topic, record.value, seen_at)
            await asyncio.sleep(self._every)

    def _note(self, journey: OrderJourney, topic: str, value: bytes, seen_at: float) -> None:
        if topic in STAGE_TOPICS:
            journey.reached.setdefault(STAGE_TOPICS[topic], seen_at)
            return
        fallout = OrderFallout.model_validate_json(value)
        reasons = ",".join(f.reason_code for f in fallout.findings) or fallout.kind
        if fallout.kind in STOPPING_KINDS and journey.stopped is None:
            journey.stopped, journey.waiting = reasons, None
            self.fallout_reasons.update(f.reason_code for f in fallout.findings)
        elif fallout.kind in WAITING_KINDS and journey.stopped is None:
            journey.waiting = reasons
            self.fallout_reasons.update(f.reason_code for f in fallout.findings)
        elif fallout.kind is FalloutKind.RELEASED:
            journey.waiting = None

    def forget(self, order_ids: Iterable[str]) -> None:
        """Drop these orders' journeys (a long run keeps only those it still watches)."""
        for order_id in order_ids:
            self.journeys.pop(order_id, None)

    def settled(self, order_ids: Iterable[str]) -> bool:
        return all(self.journeys[order_id].done for order_id in order_ids)

    def count_reached(self, stage: Stage) -> int:
        return sum(1 for journey in self.journeys.values() if stage in journey.reached)

    def count_stopped(self) -> int:
        return sum(1 for journey in self.journeys.values() if journey.stopped)

    def count_waiting(self) -> int:
        return sum(1 for journey in self.journeys.values() if journey.waiting)


async def patiently(send: Callable[[], Awaitable[httpx.Response]], *, patience: float) -> httpx.Response:
    """The answer of `send()`, asked again while the service is unreachable or answers 5xx, for up to `patience`
    seconds (as a person tries again while a service is down); the last answer, or error, after that."""
    deadline = time.monotonic() + patience
    pause = 0.2
    while True:
        try:
            response = await send()
            if response.status_code < 500 or time.monotonic() >= deadline:
                return response
        except httpx.TransportError:
            if time.monotonic() >= deadline:
                raise
        await asyncio.sleep(pause)
        pause = min(pause * 2, 5.0)


class OrderSubmitter:
    """Posts TMF622 orders to intake as a sales rep would, a few at a time; with `patience`, a rep sends an order
    again (the same externalId: the same order) while intake is unreachable or failing, for that many seconds."""

    def __init__(self, intake_url: str, *, signer: TokenSigner, concurrency: int = 8, patience: float = 0.0) -> None:
        self._client = httpx.AsyncClient(base_url=intake_url, timeout=30.0)
        self._signer = signer
        self._slots = asyncio.Semaphore(concurrency)
        self._tokens: dict[str, str] = {}
        self._patience = patience

    async def __aenter__(self) -> "OrderSubmitter":
        return self

    async def __aexit__(self, *_: object) -> None:
        await self._client.aclose()

    def _token(self, rep: str) -> str:
        if rep not in self._tokens:
            self._tokens[rep] = self._signer.mint(rep, [Role.SALES_REP])
        return self._tokens[rep]

    async def submit(
        self, order: GeneratedOrder, watcher: PipelineWatcher | None = None, *, scheduled_at: float | None = None
    ) -> str:
        """POST one order; returns its id once intake has accepted it. Its journey starts when it was
        `scheduled_at` (monotonic seconds) if given, else when it is sent."""
        async with self._slots:
            submitted_at = time.monotonic() if scheduled_at is None else scheduled_at
            response = await patiently(
                lambda: self._client.post(
                    PRODUCT_ORDER_PATH,
                    json=order.body,
                    headers={"Authorization": f"Bearer {self._token(order.submitted_by)}"},
                ),
                patience=self._patience,
            )
            response.raise_for_status()
            order_id = response.json()["id"]
            if watcher is not None:
                watcher.expect(order_id, submitted_at)
            return order_id
