"""The people around the stack in the demo: the sales desk (corrections, cancels, repeats and duplicates), an
Operations team that installs what is handed off, and the back office (approvers, surveyors, the catalogue team),
through the services' public APIs only; and the desk at work, all of them on a stream of orders."""

import asyncio
import contextlib
import copy
import hashlib
import time
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
from orderdesk_stack.order_generator import GeneratedOrder
from orderdesk_stack.pipeline import PRODUCT_ORDER_PATH, OrderSubmitter, PipelineWatcher, patiently
from orderdesk_stack.stack import Stack

CANCEL_PATH = PRODUCT_ORDER_PATH.rsplit("/", 1)[0] + "/cancelProductOrder"
OPERATIONS_REPORTS = "/fulfillment/orders/{order_id}/operations-reports"
MERGE_PATCH = {"Content-Type": "application/merge-patch+json"}
# Requests the people have in flight at once, all of them together. Thousands queued on one HTTP client (every
# hand-off of a slice at once) would make its connection pool quadratic: httpcore scans every queued request each
# time it assigns one, and a soak's driver then spends its core on that instead of on the people's work.
REQUESTS_AT_ONCE = 16
# Operations looks at its hand-offs every half second, not at each as it comes (each look a fetch per broker).
LOOK_AT_HAND_OFFS_EVERY = 0.5


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
    # Seconds a person keeps trying while a service is unreachable or failing (5xx) before giving up.
    patience: float = 0.0
    _requests: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(REQUESTS_AT_ONCE))

    def headers(self, subject: str, *roles: Role) -> dict[str, str]:
        return self.signer.bearer(subject, *roles)

    async def ask(self, send: Callable[[], Awaitable[httpx.Response]]) -> httpx.Response:
        async def in_turn() -> httpx.Response:
            async with self._requests:
                return await send()

        return await patiently(in_turn, patience=self.patience)


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
        response = await self._people.ask(
            lambda: self._intake.patch(
                f"{PRODUCT_ORDER_PATH}/{order_id}",
                json={"relatedParty": parties},
                headers=self._specialist | MERGE_PATCH,
            )
        )
        self._people.done["corrected" if response.status_code == 200 else "correction refused"] += 1

    async def cancel(self, order_id: str, reason: str) -> None:
        request = {"productOrder": {"id": order_id}, "cancellationReason": reason}
        response = await self._people.ask(
            lambda: self._intake.post(CANCEL_PATH, json=request, headers=self._specialist)
        )
        self._people.done["cancel asked" if response.status_code == 201 else "cancel refused"] += 1

    async def state_of(self, order_id: str) -> str | None:
        """The order's TMF622 state as intake shows it; None while intake does not answer."""
        try:
            response = await self._intake.get(f"{PRODUCT_ORDER_PATH}/{order_id}", headers=self._specialist)
        except httpx.TransportError:
            return None
        return response.json()["state"] if response.status_code == 200 else None

    async def resend(self, body: dict, rep: str, *, first_order_id: str) -> None:
        """The CRM sends the same order again: intake answers with the first order."""
        response = await self._people.ask(
            lambda: self._intake.post(PRODUCT_ORDER_PATH, json=body, headers=self._people.headers(rep, Role.SALES_REP))
        )
        same = response.status_code == 200 and response.json()["id"] == first_order_id
        self._people.done["resent, same order" if same else "resent, NOT the same order"] += 1

    async def send_twice(self, body: dict, rep: str) -> str:
        """A rep keys the same order in again under a new id: it is held as a likely duplicate, then cancelled."""
        again = copy.deepcopy(body) | {"externalId": f"{body['externalId']}-AGAIN"}
        response = await self._people.ask(
            lambda: self._intake.post(PRODUCT_ORDER_PATH, json=again, headers=self._people.headers(rep, Role.SALES_REP))
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
            await asyncio.sleep(LOOK_AT_HAND_OFFS_EVERY)

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
        response = await self._people.ask(
            lambda: self._fulfillment.post(
                OPERATIONS_REPORTS.format(order_id=order_id), json={"status": status, **details}, headers=self._headers
            )
        )
        self._people.done[
            f"Operations: {status}" if response.status_code == 202 else f"Operations: {status} refused"
        ] += 1


class BackOffice:
    """The people who work the services' queues: an approver decides every approval asked (denies about one in
    eight), surveyors complete the site surveys, the catalogue team adds the billing codes orders are held for."""

    APPROVER_ROLES = (Role.SALES_MANAGER, Role.SALES_DIRECTOR, Role.VP_SALES, Role.FINANCE, Role.LEGAL)
    DENIED_SHARE_PERCENT = 12

    def __init__(
        self,
        *,
        pricing: httpx.AsyncClient,
        serviceability: httpx.AsyncClient,
        fulfillment: httpx.AsyncClient,
        people: People,
    ) -> None:
        self._pricing = pricing
        self._serviceability = serviceability
        self._fulfillment = fulfillment
        self._people = people
        self._approver = people.headers("morgan-approver", *self.APPROVER_ROLES)
        self._surveyor = people.headers("sam-surveyor", Role.OPERATIONS)
        self._catalogue_team = people.headers("casey-catalogue", Role.CATALOG_ADMIN)
        self._codes_added = 0

    async def work(self) -> int:
        """One round over the three queues; how many items were waiting in them."""
        approvals, surveys, tickets = await asyncio.gather(
            self._queue(self._pricing, "/pricing/approvals", self._approver),
            self._queue(self._serviceability, "/serviceability/siteSurveys", self._surveyor),
            self._queue(self._fulfillment, "/fulfillment/catalogue-tickets", self._catalogue_team),
        )
        for request in approvals:
            await self._decide(request)
        for survey in surveys:
            await self._survey(survey)
        for ticket in tickets:
            await self._add_billing_code(ticket)
        return len(approvals) + len(surveys) + len(tickets)

    async def run(self, *, every: float = 1.0) -> None:
        while True:
            with contextlib.suppress(httpx.HTTPError):  # a service down: the queues are worked when it is back
                await self.work()
            await asyncio.sleep(every)

    async def _queue(self, service: httpx.AsyncClient, path: str, headers: dict) -> list[dict]:
        response = await service.get(path, params={"limit": 500}, headers=headers)
        return response.json() if response.status_code == 200 else []

    async def _decide(self, request: dict) -> None:
        share = int(hashlib.sha256(request["orderId"].encode()).hexdigest()[8:16], 16) % 100
        if share < self.DENIED_SHARE_PERCENT:
            action, decision = "deny", {"comment": "the discount leaves too thin a margin on this account"}
        else:
            action, decision = "approve", {"comment": "a strategic account"}
        response = await self._people.ask(
            lambda: self._pricing.post(
                f"/pricing/approvals/{request['id']}/{action}", json=decision, headers=self._approver
            )
        )
        self._people.done[f"approval: {action}" if response.status_code == 200 else f"approval: {action} refused"] += 1

    async def _survey(self, survey: dict) -> None:
        # The surveyor confirms the estimate the inventory gave (or a short lateral where it had none).
        found = {"distanceToFiberFt": survey.get("distanceToFiberFt", 400), "notes": "conduit to the street, riser ok"}
        response = await self._people.ask(
            lambda: self._serviceability.post(
                f"/serviceability/siteSurveys/{survey['surveyId']}/completion", json=found, headers=self._surveyor
            )
        )
        self._people.done["site survey completed" if response.status_code == 200 else "site survey refused"] += 1

    async def _add_billing_code(self, ticket: dict) -> None:
        self._codes_added += 1
        code = {
            "priceComponent": ticket["priceComponent"],
            "billingSystem": ticket["billingSystem"],
            "market": ticket["market"],
            "billingCode": f"{ticket['market']}X{self._codes_added:04d}",
            "effectiveFrom": "2026-10-01",
        }
        response = await self._people.ask(
            lambda: self._fulfillment.post("/fulfillment/billing-codes", json=code, headers=self._catalogue_team)
        )
        self._people.done["billing code added" if response.status_code == 201 else "billing code refused"] += 1


RESEND_EVERY, SEND_TWICE_EVERY = 20, 33


class DeskAtWork:
    """Everybody at work on a stream of orders: reps submit them; the desk corrects the rejected, cancels some early
    and some late, resends some and keys some in twice; Operations installs, fails and reschedules what is handed
    off; the back office decides approvals, completes site surveys and adds missing billing codes."""

    def __init__(self, stack: Stack, people: People, watcher: PipelineWatcher, *, concurrency: int = 8) -> None:
        self._stack = stack
        self._people = people
        self._watcher = watcher
        self._concurrency = concurrency
        self._exits = contextlib.AsyncExitStack()
        self._back_office_task: asyncio.Task | None = None
        self.order_ids: list[str] = []
        self.on_submitted: Callable[[str], None] = lambda order_id: None
        self._position = 0

    async def __aenter__(self) -> "DeskAtWork":
        stack, people, enter = self._stack, self._people, self._exits.enter_async_context
        self._submitter = await enter(
            OrderSubmitter(
                stack.service_url("intake"),
                signer=stack.token_signer,
                concurrency=self._concurrency,
                patience=people.patience,
            )
        )
        self.intake, fulfillment, pricing, serviceability = [
            await enter(httpx.AsyncClient(base_url=stack.service_url(name), timeout=30.0))
            for name in ("intake", "fulfillment-handoff", "pricing-approval", "serviceability")
        ]
        self._operations = await enter(OperationsTeam(fulfillment, stack.kafka_connection_for("operations"), people))
        self._operations.on_hand_off = self._cancel_late
        self.desk = Desk(self.intake, people)
        self.back_office = BackOffice(
            pricing=pricing, serviceability=serviceability, fulfillment=fulfillment, people=people
        )
        self._back_office_task = asyncio.create_task(self.back_office.run())
        return self

    async def __aexit__(self, *_: object) -> None:
        if self._back_office_task:
            self._back_office_task.cancel()
            await asyncio.gather(self._back_office_task, return_exceptions=True)
        await self._exits.aclose()

    async def send(self, batch: list[GeneratedOrder]) -> list[str]:
        """Submit the orders (a few at a time) and act on each as the desk does; their ids and those keyed in twice."""
        first = self._position
        self._position += len(batch)
        sent = await asyncio.gather(*(self._submit(first + n, order) for n, order in enumerate(batch)))
        return [order_id for order_ids in sent for order_id in order_ids]

    async def _submit(self, position: int, order: GeneratedOrder) -> list[str]:
        order_id = await self._submitter.submit(order, self._watcher)
        self._taken(order_id)
        sent = [order_id]
        if order.expect_rejection:
            await self.desk.correct(order_id, order.body)
        elif Plan.for_order(order_id) == Plan.CANCEL_EARLY:
            await self.desk.cancel(order_id, "the customer changed their mind")
        if position % RESEND_EVERY == RESEND_EVERY - 1:
            await self.desk.resend(order.body, order.submitted_by, first_order_id=order_id)
        if position % SEND_TWICE_EVERY == SEND_TWICE_EVERY - 1:
            # Not held when the first was cancelled meanwhile: then it is an order like any other.
            twice = await self.desk.send_twice(order.body, order.submitted_by)
            self._watcher.expect(twice, time.monotonic())
            self._taken(twice)
            sent.append(twice)
        return sent

    def _taken(self, order_id: str) -> None:
        self._operations.expect(order_id)
        self.order_ids.append(order_id)
        self.on_submitted(order_id)

    async def _cancel_late(self, order_id: str) -> None:
        if Plan.for_order(order_id) == Plan.CANCEL_LATE:
            await self.desk.cancel(order_id, "the customer cancelled after the hand-off")

    async def nobody_means_to_act(self) -> bool:
        """Operations has nothing left to do and the back office's queues are empty."""
        if self._people.busy:
            return False
        try:
            return await self.back_office.work() == 0
        except httpx.HTTPError:
            return False
