"""Fulfillment-handoff's unit of work in memory: its repositories with the methods and refusals handlers rely on
(locks are no-ops: a test runs one transaction at a time). The integration tests keep the SQL ones honest."""

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from types import SimpleNamespace

from fulfillment_handoff.domain.billing import BillingCode, CodeKey
from fulfillment_handoff.domain.fulfillment import Fulfillment
from fulfillment_handoff.domain.handoff import HELD
from fulfillment_handoff.repository import fulfillment_columns, hand_off_row
from fulfillment_handoff.tables import handoffs
from orderdesk_shared.events.operations import OpsOrderStatusChanged
from orderdesk_shared.fake_unit_of_work import FakeUnitOfWork
from orderdesk_shared.order_versions import Standing

# A row as the table's column defaults make it.
_NEW_ROW = {column.name: None for column in handoffs.columns} | {"item_ids": [], "item_outcomes": {}, "sales_reps": []}


class InMemoryOrders:
    def __init__(self) -> None:
        self.standings: dict[str, Standing] = {}

    async def lock(self, order_id: str) -> None:
        pass

    async def lock_all(self, order_ids: Iterable[str]) -> None:
        pass

    async def note_live_version(self, order_id: str, version: int) -> None:
        if version > 1:
            known = self.standings.get(order_id)
            live = max(version, known.live_version) if known else version
            self.standings[order_id] = Standing(order_id, live, known.cancel_reason if known else None)

    async def note_cancel(self, order_id: str, version: int, reason: str) -> None:
        known = self.standings.get(order_id) or Standing(order_id, version, None)
        self.standings[order_id] = Standing(order_id, known.live_version, known.cancel_reason or reason)

    async def standing_of(self, order_id: str) -> Standing | None:
        return self.standings.get(order_id)


class InMemoryHandOffs:
    """Rows by order id; a version corrected since, or of a cancelled order, is not stored (as store_if_live)."""

    def __init__(self, orders: InMemoryOrders) -> None:
        self.rows: dict[str, dict[str, object]] = {}
        self._orders = orders

    async def lock(self, order_id: str, *, skip_locked: bool = False) -> SimpleNamespace | None:
        return await self.get(order_id)

    async def lock_all(self, order_ids: Iterable[str]) -> dict[str, SimpleNamespace]:
        return {order_id: SimpleNamespace(**self.rows[order_id]) for order_id in order_ids if order_id in self.rows}

    async def get(self, order_id: str) -> SimpleNamespace | None:
        return SimpleNamespace(**self.rows[order_id]) if order_id in self.rows else None

    async def save_hold(self, **values: object) -> bool:
        return self._store(values | {"state": HELD})

    async def save_hand_off(self, *, item_ids: list[str], **values: object) -> bool:
        return self._store(hand_off_row(item_ids=item_ids, **values))

    async def save_hand_offs(self, hand_offs: Sequence[Mapping[str, object]]) -> set[str]:
        return {str(hand_off["order_id"]) for hand_off in hand_offs if self._store(hand_off_row(**hand_off))}

    async def drop_hold(self, order_id: str, *, state: str) -> None:
        self.rows[order_id] |= {"state": state, "findings": [], "approved": None}

    async def set_state(self, order_id: str, state: str) -> None:
        self.rows[order_id]["state"] = state

    async def mark_cancel_sent(self, order_id: str) -> None:
        self.rows[order_id]["cancel_sent_at"] = datetime.now(UTC)

    async def update_fulfillment(self, order_id: str, fulfillment: Fulfillment) -> None:
        self.rows[order_id] |= fulfillment_columns(fulfillment) | {"ops_updated_at": datetime.now(UTC)}

    def _store(self, values: Mapping[str, object]) -> bool:
        order_id, known = str(values["order_id"]), self._orders.standings.get(str(values["order_id"]))
        if known is not None and known.refusal(int(values["order_version"])):
            return False
        self.rows[order_id] = self.rows.get(order_id, _NEW_ROW) | dict(values)
        return True


class InMemoryBillingCodes:
    def __init__(self, codes: Iterable[BillingCode]) -> None:
        self.codes = list(codes)

    async def lock_map(self) -> None:
        pass

    async def codes_for(self, keys: Iterable[CodeKey]) -> list[BillingCode]:
        wanted = set(keys)
        return [code for code in self.codes if code.key in wanted]


class InMemoryTickets:
    """The codes each held order waits on, oldest wait first."""

    def __init__(self) -> None:
        self.waits: dict[str, list[CodeKey]] = {}

    async def wait_on(self, order_id: str, keys: Iterable[CodeKey]) -> None:
        self.waits.pop(order_id, None)
        if waited := list(keys):
            self.waits[order_id] = waited

    async def release_waits(self, order_id: str) -> None:
        self.waits.pop(order_id, None)

    async def orders_waiting_on(self, keys: Iterable[CodeKey]) -> list[str]:
        wanted = set(keys)
        return [order_id for order_id, waited in self.waits.items() if wanted.intersection(waited)]


class InMemoryOpsReports:
    def __init__(self) -> None:
        self.recorded: list[tuple[OpsOrderStatusChanged, str]] = []

    async def record(self, report: OpsOrderStatusChanged, *, outcome: str) -> None:
        self.recorded.append((report, outcome))


class FakeFulfillmentUnitOfWork(FakeUnitOfWork):
    def __init__(self, billing_codes: Iterable[BillingCode] = ()) -> None:
        super().__init__()
        self.orders = InMemoryOrders()
        self.handoffs = InMemoryHandOffs(self.orders)
        self.billing_codes = InMemoryBillingCodes(billing_codes)
        self.tickets = InMemoryTickets()
        self.ops_reports = InMemoryOpsReports()
