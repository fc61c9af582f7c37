"""Intake's unit of work in memory, for driving its handlers in unit tests: its repositories with the semantics the
handlers rely on (the first submission of a source keeps it, a saved status keeps its version and items, only a
cancellation request waiting for Operations is settled, a disconnect keeps the product's details), with locks that
lock nothing. The integration tests keep the SQL repositories to the same semantics."""

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

from intake.domain.acceptance import earlier_alike
from intake.domain.accounts import Client, ClientOnRecord, KeptAccounts, NumberedPlan
from intake.domain.installed_base import InstalledProduct, ProductChange, ProductState
from intake.domain.records import CancelRequest, NewOrder, Revision, StoredOrder
from intake.domain.service_requests import OrderServiceRequest
from intake.domain.validation import IntakeRules
from intake.notifications import HUB
from intake.repository import Submission, canonical_bytes
from orderdesk_shared.db.unit_of_work import DeferredWork
from orderdesk_shared.events.order import BillingAccount, OrderState, ServiceAccount, Stage
from orderdesk_shared.fake_unit_of_work import FakeUnitOfWork
from orderdesk_shared.hub import NotificationSource
from orderdesk_shared.order_state import OrderStatus
from orderdesk_shared.reference import ReferenceBook


@dataclass
class _Kept:
    stored: StoredOrder
    fingerprint: str | None


class InMemoryOrders:
    def __init__(self, submissions: "InMemorySubmissions") -> None:
        self.kept: dict[str, _Kept] = {}
        self._submissions = submissions

    async def insert(self, new_orders: Sequence[NewOrder]) -> None:
        for new in new_orders:
            stored = StoredOrder(new.order, new.status, new.received_at, new.request_document, completed_on=None)
            self.kept[new.order.id] = _Kept(stored, new.fingerprint)
            if new.source_id:
                self._submissions.by_source[new.source_id] = Submission(
                    new.order.id, canonical_bytes(new.request_document)
                )

    async def get(self, order_id: str, *, for_update: bool = False) -> StoredOrder | None:
        kept = self.kept.get(order_id)
        return kept.stored if kept else None

    async def replace(self, corrected: NewOrder) -> None:
        order_id, document = corrected.order.id, corrected.request_document
        stored = replace(
            self.kept[order_id].stored, order=corrected.order, status=corrected.status, request_document=document
        )
        self.kept[order_id] = _Kept(stored, corrected.fingerprint)

    async def likely_duplicates(self, candidates: Sequence[NewOrder], *, since: datetime) -> dict[str, str]:
        keyed = [new for new in candidates if new.fingerprint]
        earlier: dict[tuple[str, str], list[tuple[str, str | None]]] = {}
        for kept in sorted(self.kept.values(), key=lambda kept: kept.stored.created_at):
            order = kept.stored.order
            live = kept.stored.state not in (OrderState.REJECTED, OrderState.CANCELLED)
            if live and kept.stored.created_at >= since and kept.fingerprint:
                earlier.setdefault((order.account.key, kept.fingerprint), []).append((order.id, order.external_id))
        return earlier_alike(keyed, earlier)

    def status_of(self, order_id: str) -> OrderStatus:
        return self.kept[order_id].stored.status

    def update(self, order_id: str, **changes: object) -> None:
        kept = self.kept[order_id]
        kept.stored = replace(kept.stored, **changes)


class InMemoryStatuses:
    def __init__(self, orders: InMemoryOrders) -> None:
        self._orders = orders

    async def lock(self, order_ids: Collection[str]) -> dict[str, OrderStatus]:
        return {
            order_id: self._orders.status_of(order_id)
            for order_id in sorted(order_ids)
            if order_id in self._orders.kept
        }

    async def save(self, statuses: Mapping[str, OrderStatus]) -> None:
        for order_id, status in statuses.items():
            before = self._orders.status_of(order_id)
            self._orders.update(order_id, status=replace(status, version=before.version, item_ids=before.item_ids))

    async def version(self, order_id: str) -> int | None:
        return self._orders.status_of(order_id).version if order_id in self._orders.kept else None

    async def mark_completed(self, order_id: str, *, on: date) -> None:
        self._orders.update(order_id, completed_on=on)


class InMemorySubmissions:
    def __init__(self) -> None:
        self.by_source: dict[str, Submission] = {}

    async def claim(self, *, source_id: str, channel: str, order_id: str, document: bytes) -> str:
        return self.by_source.setdefault(source_id, Submission(order_id, document)).order_id

    async def repoint(self, source_id: str, *, order_id: str) -> None:
        self.by_source[source_id] = replace(self.by_source[source_id], order_id=order_id)

    async def get(self, source_id: str) -> Submission | None:
        return self.by_source.get(source_id)


class InMemoryOrderHistory:
    def __init__(self) -> None:
        self.revisions: list[Revision] = []

    async def record(self, revisions: Sequence[Revision]) -> None:
        self.revisions += revisions


class InMemoryFindingsMade:
    def __init__(self) -> None:
        # (order id, version, stage, reason code) of each finding made.
        self.made: list[tuple[str, int, Stage, str]] = []

    async def record(self, *, order_id: str, version: int, stage: Stage, findings: Sequence[dict]) -> None:
        self.made += [(order_id, version, stage, finding["reasonCode"]) for finding in findings]


class InMemoryCancelRequests:
    def __init__(self) -> None:
        self.by_id: dict[str, CancelRequest] = {}

    async def add(self, request: CancelRequest) -> None:
        self.by_id[request.id] = request

    async def settle(self, order_id: str, *, state: str, outcome: str, at: datetime) -> list[CancelRequest]:
        waiting = [r for r in self.by_id.values() if r.order_id == order_id and r.state == "inProgress"]
        settled = [replace(request, state=state, outcome=outcome, effective_at=at) for request in waiting]
        self.by_id |= {request.id: request for request in settled}
        return settled


_AFTER = {
    True: {ProductState.ORDERED: ProductState.INSTALLED, ProductState.DISCONNECTING: ProductState.DISCONNECTED},
    False: {ProductState.DISCONNECTING: ProductState.INSTALLED},
}


class InMemoryInstalledBase:
    def __init__(self) -> None:
        self.by_id: dict[str, InstalledProduct] = {}

    async def products_of(self, account_id: str, *, also: Collection[str] = ()) -> list[InstalledProduct]:
        return [p for p in self.by_id.values() if p.account_id == account_id or p.product_id in also]

    async def record_changes(self, changes: Sequence[ProductChange]) -> None:
        for change in changes:
            product, on_record = change.product, self.by_id.get(change.product.product_id)
            if not change.replaces and on_record:
                product = replace(on_record, state=product.state, order_id=product.order_id)
            self.by_id[product.product_id] = product

    async def settle(self, order_id: str, *, installed: bool) -> None:
        for product in [p for p in self.by_id.values() if p.order_id == order_id]:
            if not installed and product.state is ProductState.ORDERED:
                del self.by_id[product.product_id]
            elif product.state in _AFTER[installed]:
                self.by_id[product.product_id] = replace(product, state=_AFTER[installed][product.state])


class InMemoryClientAccounts:
    """Clients matched as the SQL repository matches them (id, tax id or legal name), numbered from one counter; a
    plan recording a client already on record (its id, tax id, or name without a tax id) is refused as in SQL."""

    def __init__(self) -> None:
        self.clients: dict[str, Client] = {}
        self.service_accounts: dict[str, dict[str, ServiceAccount]] = {}
        self.billing_accounts: dict[str, dict[str, str]] = {}
        self._serial = 0

    async def candidates(self, wanted: Sequence[Client]) -> list[Client]:
        def alike(other: Client) -> bool:
            return any(
                other.id == client.id
                or other.name_key == client.name_key
                or (client.tax_key is not None and other.tax_key == client.tax_key)
                for client in wanted
            )

        return sorted((other for other in self.clients.values() if alike(other)), key=lambda other: other.id)

    async def kept(self, client_ids: Collection[str], site_keys: Collection[str]) -> dict[str, KeptAccounts]:
        return {
            client: KeptAccounts(
                {
                    key: account.number
                    for key, account in self.service_accounts.get(client, {}).items()
                    if key in site_keys
                },
                dict(self.billing_accounts.get(client, {})),
            )
            for client in client_ids
        }

    async def serials(self, count: int) -> list[int]:
        first = self._serial + 1
        self._serial += count
        return list(range(first, self._serial + 1))

    async def record(self, plan: NumberedPlan) -> bool:
        taken = {_identity(client) for client in self.clients.values()}
        if any(client.id in self.clients or _identity(client) in taken for client in plan.clients):
            return False
        self.clients |= {client.id: client for client in plan.clients}
        for number, client, site in plan.service_accounts:
            self.service_accounts.setdefault(client, {})[site.key] = ServiceAccount(number=number, site=site.address)
        for number, client, system in plan.billing_accounts:
            self.billing_accounts.setdefault(client, {})[system] = number
        return True

    async def get(self, client: str) -> ClientOnRecord | None:
        if client not in self.clients:
            return None
        billing = [BillingAccount(number=n, billing_system=s) for s, n in self.billing_accounts.get(client, {}).items()]
        return ClientOnRecord(
            self.clients[client], tuple(self.service_accounts.get(client, {}).values()), tuple(billing)
        )

    async def search(self, *, tax_key: str | None, name_key: str | None) -> list[Client]:
        return [
            client
            for client in sorted(self.clients.values(), key=lambda client: (client.legal_name, client.id))
            if (not tax_key or client.tax_key == tax_key) and (not name_key or name_key in client.name_key)
        ]

    def _next(self) -> int:
        self._serial += 1
        return self._serial


def _identity(client: Client) -> str:
    """What one client on record has alone: its tax id, else (without one) its legal name."""
    return client.tax_key or f"name:{client.name_key}"


class InMemoryReferenceVersions:
    """The versions heard, by kind in the order received; the rules are built from the last received of each, by
    the service's own `build` (a book's reading of its table is what the integration tests cover)."""

    def __init__(self, build: Callable[[Mapping[str, dict]], IntakeRules]) -> None:
        self.heard: dict[str, list[tuple[str, dict]]] = {}
        self._build = build

    async def rules(self, book: ReferenceBook[IntakeRules]) -> IntakeRules:
        return self._build({kind: versions[-1][1] for kind, versions in self.heard.items()})

    async def keep(self, book: ReferenceBook[IntakeRules], *, kind: str, version: str, document: dict) -> None:
        versions = [kept for kept in self.heard.get(kind, []) if kept[0] != version]
        self.heard[kind] = [*versions, (version, document)]

    async def keep_if_later(self, book: ReferenceBook[IntakeRules], *, kind: str, version: str, document: dict) -> bool:
        if any(kept >= version for kept, _ in self.heard.get(kind, [])):
            return False
        await self.keep(book, kind=kind, version=version, document=document)
        return True


class InMemoryServiceRequests:
    def __init__(self) -> None:
        self.kept: dict[str, OrderServiceRequest] = {}

    async def save(self, kept: OrderServiceRequest) -> None:
        self.kept[kept.request.id] = kept

    async def get(self, request_id: str, *, for_update: bool = False) -> OrderServiceRequest | None:
        return self.kept.get(request_id)


class FakeIntakeUnitOfWork(FakeUnitOfWork):
    """`notified`: the notification sources handed to the hub, which fans them out to subscriptions in SQL."""

    def __init__(self, build_rules: Callable[[Mapping[str, dict]], IntakeRules]) -> None:
        super().__init__()
        self.submissions = InMemorySubmissions()
        self.orders = InMemoryOrders(self.submissions)
        self.statuses = InMemoryStatuses(self.orders)
        self.history = InMemoryOrderHistory()
        self.findings = InMemoryFindingsMade()
        self.cancel_requests = InMemoryCancelRequests()
        self.installed_base = InMemoryInstalledBase()
        self.reference = InMemoryReferenceVersions(build_rules)
        self.accounts = InMemoryClientAccounts()
        self.service_requests = InMemoryServiceRequests()
        self.notified: list[NotificationSource] = []

    def before_commit(self, work: DeferredWork, item: object) -> None:
        if work == HUB.fan_out:
            self.notified.append(item)  # type: ignore[arg-type]  # what the hub is handed is a notification source
        else:
            super().before_commit(work, item)
