"""Commission's unit of work in memory: its repositories with the methods and the semantics handlers rely on (a
later version of an order replaces its ratification, a ledger key is taken once, the first install and cancel dates
stay); locks are no-ops. The integration tests keep the SQL ones honest."""

import itertools
from collections.abc import Collection, Sequence
from datetime import date, datetime
from types import SimpleNamespace

from commission.domain.disputes import Ruling
from commission.domain.ledger import Holding, Posting
from commission.domain.ratification import EarlierSale
from commission.repository import AccountHistory, AccountQuestion, RatificationRecord, Sale, ServiceQuestion, Stored
from orderdesk_shared.events.order import OrderType
from orderdesk_shared.fake_unit_of_work import FakeUnitOfWork


class InMemoryProgress:
    def __init__(self) -> None:
        self.rows: dict[str, SimpleNamespace] = {}

    async def get(self, order_id: str) -> SimpleNamespace | None:
        return self.rows.get(order_id)

    async def record(self, order_id: str, *, at: datetime, **facts: object) -> None:
        row = self._row(order_id)
        row.updated_at = at
        for name, value in facts.items():
            if name not in ("installed_on", "cancelled_on") or getattr(row, name) is None:
                setattr(row, name, value)

    async def record_items(
        self, order_id: str, *, at: datetime, installed: Sequence[str] = (), cancelled: Sequence[str] = ()
    ) -> None:
        row = self._row(order_id)
        row.updated_at = at
        row.installed_items = [*row.installed_items, *installed]
        row.cancelled_items = [*row.cancelled_items, *cancelled]

    def _row(self, order_id: str) -> SimpleNamespace:
        empty = SimpleNamespace(
            installed_on=None, cancelled_on=None, failure=None, installed_items=[], cancelled_items=[]
        )
        return self.rows.setdefault(order_id, empty)


class InMemoryRatifications:
    """Ratifications, and what each order does to its account's services (`offerings`, in the order stored)."""

    def __init__(self, progress: InMemoryProgress) -> None:
        self.rows: dict[str, SimpleNamespace] = {}
        self.offerings: list[SimpleNamespace] = []
        self._progress = progress
        self._seq = itertools.count(1)

    async def record(self, records: Sequence[RatificationRecord]) -> dict[str, Stored]:
        stored = {}
        for record in records:
            earlier = self.rows.get(record.order_id)
            if earlier is not None and earlier.order_version >= record.order_version:
                continue
            self.rows[record.order_id] = _ratification_row(record)
            self.offerings = [kept for kept in self.offerings if kept.order_id != record.order_id]
            self.offerings += [
                SimpleNamespace(seq=next(self._seq), order_id=record.order_id, record=record, change=change)
                for change in record.decision.offerings
            ]
            stored[record.order_id] = Stored(
                revised=earlier is not None, progress=self._progress.rows.get(record.order_id)
            )
        return stored

    async def get(self, order_id: str, *, for_update: bool = False) -> SimpleNamespace | None:
        return self.rows.get(order_id)


def _ratification_row(record: RatificationRecord) -> SimpleNamespace:
    decision = record.decision
    return SimpleNamespace(
        order_id=record.order_id,
        order_version=record.order_version,
        order_type=str(record.order_type),
        order_date=record.order_date,
        submitted_by=record.submitted_by,
        eligible=decision.eligible,
        commissionable_mrr=decision.commissionable_mrr,
        multiplier=decision.multiplier,
        commission_total=decision.commission_total,
        reps=[rep.model_dump(mode="json", by_alias=True) for rep in decision.reps],
        item_mrr={item_id: str(mrr) for item_id, mrr in decision.item_mrr.items()},
    )


class InMemoryAccountServices:
    """The accounts' services as the ratifications stored them."""

    def __init__(self, ratifications: InMemoryRatifications, progress: InMemoryProgress) -> None:
        self._ratifications = ratifications
        self._progress = progress

    async def histories(self, questions: Sequence[AccountQuestion]) -> dict[str, AccountHistory]:
        found = {}
        for question in questions:
            earlier = [
                kept
                for kept in self._ratifications.offerings
                if kept.record.decision.account_key == question.account_key
                and kept.change.offering_id in question.offering_locations
                and kept.order_id != question.order_id
            ]
            found[question.order_id] = AccountHistory(
                previous_mrcs={kept.change.offering_id: kept.change.mrc_after for kept in earlier},
                earlier_sales=[_earlier_sale(kept) for kept in earlier if _duplicable(kept, question)],
            )
        return found

    async def commissioned_sales(self, questions: Sequence[ServiceQuestion]) -> list[list[Sale]]:
        return [self._sales(question) for question in questions]

    def _sales(self, question: ServiceQuestion) -> list[Sale]:
        service = [
            kept
            for kept in self._ratifications.offerings
            if kept.record.decision.account_key == question.account_key
            and kept.change.offering_id == question.offering_id
            and kept.order_id != question.asked_by
        ]
        disconnected = max((kept.seq for kept in service if kept.record.order_type is OrderType.DISCONNECT), default=0)
        sales = [
            kept
            for kept in service
            if kept.record.decision.eligible and kept.change.incremental_mrr > 0 and kept.seq > disconnected
        ]
        return [self._sale(kept) for kept in reversed(sales)]

    def _sale(self, kept: SimpleNamespace) -> Sale:
        ratified = self._ratifications.rows[kept.order_id]
        progress = self._progress.rows.get(kept.order_id)
        return Sale(
            order_id=kept.order_id,
            order_version=ratified.order_version,
            incremental_mrr=kept.change.incremental_mrr,
            commissionable_mrr=ratified.commissionable_mrr,
            multiplier=ratified.multiplier,
            reps=ratified.reps,
            installed_on=progress.installed_on if progress else None,
            trace_carrier={},
        )


def _duplicable(kept: SimpleNamespace, question: AccountQuestion) -> bool:
    record = kept.record
    return (
        record.decision.eligible
        and record.order_type is question.order_type
        and record.order_date >= question.sales_since
        and bool(kept.change.location_keys & question.offering_locations[kept.change.offering_id])
    )


def _earlier_sale(kept: SimpleNamespace) -> EarlierSale:
    return EarlierSale(
        order_id=kept.order_id,
        order_type=kept.record.order_type,
        order_date=kept.record.order_date,
        offering_id=kept.change.offering_id,
        location_keys=frozenset(kept.change.location_keys),
    )


class InMemoryLedger:
    def __init__(self) -> None:
        self.postings: dict[str, Posting] = {}

    async def holdings(self, order_id: str) -> dict[str, Holding]:
        return (await self.holdings_of([order_id]))[order_id]

    async def holdings_of(self, order_ids: Collection[str]) -> dict[str, dict[str, Holding]]:
        found: dict[str, dict[str, Holding]] = {order_id: {} for order_id in order_ids}
        for posting in self.postings.values():
            if posting.order_id in found:
                held = found[posting.order_id].get(posting.entry.rep_id, Holding())
                found[posting.order_id][posting.entry.rep_id] = Holding(
                    held.accrued + posting.entry.accrued_change, held.payable + posting.entry.payable_change
                )
        return found

    async def add_entries(self, postings: Sequence[Posting]) -> set[str]:
        added = {posting.entry_key for posting in postings if posting.entry_key not in self.postings}
        self.postings |= {posting.entry_key: posting for posting in postings if posting.entry_key in added}
        return added

    def of(self, order_id: str) -> list[Posting]:
        """The order's postings, in the order they were added."""
        return [posting for posting in self.postings.values() if posting.order_id == order_id]


class InMemoryDisputes:
    def __init__(self) -> None:
        self.rows: dict[str, SimpleNamespace] = {}

    async def open(self, *, dispute_id: str, order_id: str, rep_id: str, claim: str, opened_on: date) -> None:
        self.rows[dispute_id] = SimpleNamespace(
            dispute_id=dispute_id, order_id=order_id, rep_id=rep_id, state="open", claim=claim, opened_on=opened_on
        )

    async def open_one_of(self, order_id: str, rep_id: str) -> str | None:
        return next(
            (
                row.dispute_id
                for row in self.rows.values()
                if (row.order_id, row.rep_id, row.state) == (order_id, rep_id, "open")
            ),
            None,
        )

    async def get(self, dispute_id: str, *, for_update: bool = False) -> SimpleNamespace | None:
        return self.rows.get(dispute_id)

    async def decide(self, dispute_id: str, ruling: Ruling, *, decided_by: str, decided_on: date) -> None:
        row = self.rows[dispute_id]
        row.state, row.decision, row.adjustment = ruling.state, ruling.reason, ruling.adjustment
        row.decided_by, row.decided_on = decided_by, decided_on


class InMemoryCorrectors:
    def __init__(self) -> None:
        self.corrected: set[tuple[str, str]] = set()

    async def note(self, order_id: str, corrected_by: str) -> None:
        self.corrected.add((order_id, corrected_by))

    async def of(self, order_id: str) -> frozenset[str]:
        return frozenset(who for corrected, who in self.corrected if corrected == order_id)


class InMemoryRosters:
    def __init__(self) -> None:
        self.published: set[str] = set()

    async def first_publication(self, version: str) -> bool:
        first = version not in self.published
        self.published.add(version)
        return first


class FakeCommissionUnitOfWork(FakeUnitOfWork):
    """Kept across the tests' transactions (`await uow.commit()` ends one), as the database is."""

    def __init__(self) -> None:
        super().__init__()
        self.progress = InMemoryProgress()
        self.ratifications = InMemoryRatifications(self.progress)
        self.accounts = InMemoryAccountServices(self.ratifications, self.progress)
        self.ledger = InMemoryLedger()
        self.disputes = InMemoryDisputes()
        self.correctors = InMemoryCorrectors()
        self.rosters = InMemoryRosters()
