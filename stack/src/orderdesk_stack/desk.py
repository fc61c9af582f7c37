"""The people around the stack in the demo: the sales desk (corrections, cancels, repeats and duplicates) and an
Operations team that installs what is handed off, through the services' public APIs only."""

import asyncio
import copy
import hashlib
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
from aiokafka import AIOKafkaConsumer

from orderdesk_shared.auth import Role
from orderdesk_shared.events.fulfillment import HandOffCancelled, OrderHandedOff
from orderdesk_shared.kafka_connection import KafkaConnection
from orderdesk_shared.tokens import TokenSigner
from orderdesk_stack.pipeline import PRODUCT_ORDER_PATH

CANCEL_PATH = PRODUCT_ORDER_PATH.rsplit("/", 1)[0] + "/cancelProductOrder"
OPERATIONS_REPORTS = "/fulfillment/orders/{order_id}/operations-reports"
MERGE_PATCH = {"Content-Type": "application/merge-patch+json"}


class Plan:
    """What the demo's people do to an order, decided by its position in the stream (repeatable per seed)."""

    CANCEL_EARLY = "cancel before the hand-off"
    CANCEL_LATE = "cancel after the hand-off"
    FAIL_THEN_INSTALL = "fail, reschedule, install"
    FAIL = "fail for good"
    INSTALL = "install"

    @staticmethod
    def for_order(order_id: str) -> str:
        """About 1 in 25 cancelled early and 1 in 25 late, 1 in 10 failing once, 1 in 25 failing for good."""
        share = int(hashlib.sha256(order_id.encode()).hexdigest()[:8], 16) % 100
        for plan, below in (
            (Plan.CANCEL_EARLY, 4),
            (Plan.CANCEL_LATE, 8),
            (Plan.FAIL_THEN_INSTALL, 18),
            (Plan.FAIL, 22),
        ):
            if share < below:
                return plan
        return Plan.INSTALL


@dataclass
class People:
    """Tokens for the desk's and Operations' people, and a count of what each did."""

    signer: TokenSigner
    done: Counter[str] = field(default_factory=Counter)
    # Handed-off orders Operations still means to act on: the demo is not over while any is left.
    busy: set[str] = field(default_factory=set)

    def headers(self, subject: str, role: Role) -> dict[str, str]:
        return self.signer.bearer(subject, role)


class Desk:
    """The sales desk: corrects rejected orders, cancels some, resends some and sends some twice by mistake."""

    def __init__(self, intake: httpx.AsyncClient, people: People) -> None:
        self._intake = intake
        self._people = people
        self._specialist = people.headers("dana", Role.SPECIALIST)

    async def correct(self, order_id: str, body: dict) -> None:
        """A rejected generated order has commission splits that do not add up: the specialist fixes them."""
        reps = [party for party in body["relatedParty"] if party["role"] == "salesRep"]
        splits = [100] if len(reps) == 1 else [60, 40]
        parties = [party for party in body["relatedParty"] if party["role"] != "salesRep"] + [
            rep | {"splitPercent": split} for rep, split in zip(reps, splits, strict=True)
        ]
        response = await self._intake.patch(
            f"{PRODUCT_ORDER_PATH}/{order_id}", json={"relatedParty": parties}, headers=self._specialist | MERGE_PATCH
        )
        self._people.done["corrected" if response.status_code == 200 else "correction refused"] += 1

    async def cancel(self, order_id: str, reason: str) -> None:
        request = {"productOrder": {"id": order_id}, "cancellationReason": reason}
        response = await self._intake.post(CANCEL_PATH, json=request, headers=self._specialist)
        self._people.done["cancel asked" if response.status_code == 201 else "cancel refused"] += 1

    async def resend(self, body: dict, rep: str, *, first_order_id: str) -> None:
        """The CRM sends the same order again: intake answers with the first order."""
        response = await self._intake.post(
            PRODUCT_ORDER_PATH, json=body, headers=self._people.headers(rep, Role.SALES_REP)
        )
        same = response.status_code == 200 and response.json()["id"] == first_order_id
        self._people.done["resent, same order" if same else "resent, NOT the same order"] += 1

    async def send_twice(self, body: dict, rep: str) -> str:
        """A rep keys the same order in again under a new id: it is held as a likely duplicate, then cancelled."""
        again = copy.deepcopy(body) | {"externalId": f"{body['externalId']}-AGAIN"}
        response = await self._intake.post(
            PRODUCT_ORDER_PATH, json=again, headers=self._people.headers(rep, Role.SALES_REP)
        )
        response.raise_for_status()
        duplicate = response.json()
        if duplicate["state"] == "held":
            self._people.done["held as likely duplicate"] += 1
            await self.cancel(duplicate["id"], "keyed in twice: a duplicate")
        return duplicate["id"]


class OperationsTeam:
    """Operations: reads the hand-off topic as Operations does, and reports through fulfillment's API."""

    def __init__(self, fulfillment: httpx.AsyncClient, kafka: KafkaConnection, people: People) -> None:
        self._fulfillment = fulfillment
        self._people = people
        self._headers = people.headers("olga-ops", Role.OPERATIONS)
        self._consumer = AIOKafkaConsumer(
            OrderHandedOff.topic,
            **kafka.client_options(),
            # Operations' principal may read in groups named operations-*.
            group_id=f"operations-demo-{uuid.uuid4().hex[:8]}",
            auto_offset_reset="latest",
            enable_auto_commit=False,
        )
        self._task: asyncio.Task | None = None
        self._work: set[asyncio.Task] = set()
        self._orders: set[str] = set()
        # Hand-off records of orders not known yet: a channel's order may be handed off before its submitter
        # has learnt its id (an email is polled for), and Operations must not miss it.
        self._early: dict[str, list[str]] = {}
        self.on_hand_off: Callable[[str], Awaitable[None]] | None = None

    async def __aenter__(self) -> "OperationsTeam":
        await self._consumer.start()
        while not self._consumer.assignment():
            await self._consumer.getmany(timeout_ms=100)
        for partition in self._consumer.assignment():
            await self._consumer.position(partition)  # from now on: only this demo's hand-offs
        self._task = asyncio.create_task(self._read())
        return self

    async def __aexit__(self, *_: object) -> None:
        for task in (self._task, *self._work):
            if task:
                task.cancel()
        await asyncio.gather(*(task for task in (self._task, *self._work) if task), return_exceptions=True)
        await self._consumer.stop()

    def expect(self, order_id: str) -> None:
        """Work on this order when it is handed off (or now, if its hand-off was read already)."""
        self._orders.add(order_id)
        for event_type in self._early.pop(order_id, []):
            self._act(order_id, event_type)

    async def _read(self) -> None:
        while True:
            for records in (await self._consumer.getmany(timeout_ms=200)).values():
                for record in records:
                    order_id = record.key.decode() if record.key else ""
                    event_type = dict(record.headers or ()).get("ce_type", b"").decode()
                    if order_id in self._orders:
                        self._act(order_id, event_type)
                    else:
                        self._early.setdefault(order_id, []).append(event_type)

    def _act(self, order_id: str, event_type: str) -> None:
        if event_type == HandOffCancelled.event_type:
            self._start(self._stop_work(order_id))
        elif event_type == OrderHandedOff.event_type:
            self._start(self._fulfil(order_id))

    def _start(self, work: Awaitable[None]) -> None:
        task = asyncio.create_task(work)
        self._work.add(task)
        task.add_done_callback(self._work.discard)

    async def _fulfil(self, order_id: str) -> None:
        plan = Plan.for_order(order_id)
        self._people.busy.add(order_id)
        if self.on_hand_off is not None:
            await self.on_hand_off(order_id)
        if plan == Plan.CANCEL_LATE:
            return  # the desk cancels it now; the work stops when the cancel arrives
        today = datetime.now(UTC).date()
        await self._report(order_id, "accepted")
        await self._report(order_id, "scheduled", effectiveDate=str(today + timedelta(days=3)))
        if plan in (Plan.FAIL_THEN_INSTALL, Plan.FAIL):
            await self._report(order_id, "failed", reason="the building's riser has no free conduit")
            if plan == Plan.FAIL:
                self._people.busy.discard(order_id)
                return
            await self._report(order_id, "rescheduled", effectiveDate=str(today + timedelta(days=10)))
        # The demo's clock runs fast: the install is reported for today, the only day neither before the hand-off
        # nor in the future.
        await self._report(order_id, "installed", effectiveDate=str(today))
        self._people.busy.discard(order_id)

    async def _stop_work(self, order_id: str) -> None:
        await self._report(order_id, "cancelled", reason="work stopped at the customer's request")
        self._people.busy.discard(order_id)

    async def _report(self, order_id: str, status: str, **details: str) -> None:
        await asyncio.sleep(0.2)  # Operations takes a moment between steps
        response = await self._fulfillment.post(
            OPERATIONS_REPORTS.format(order_id=order_id), json={"status": status, **details}, headers=self._headers
        )
        self._people.done[
            f"Operations: {status}" if response.status_code == 202 else f"Operations: {status} refused"
        ] += 1
