"""How a rep's commission on an order moves as the order lives on: the ledger entries (DOMAIN.md, "Commission").

A rep's commission on an order is held in two balances: accrued (ratified, waiting for install) and
payable (installed). Every change is an entry with its effect on each balance; entries are only
ever added, so the sum of a rep's entries is the rep's balance. Pure: the handler gives each rule
what the ledger holds now and records the entries it returns.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Protocol

from commission.domain.ratification import CENT, ZERO, split
from orderdesk_shared.events.commission import CommissionAdjusted, RepCommission
from orderdesk_shared.events.order import SalesRep


class EntryKind(StrEnum):
    ACCRUED = "accrued"
    REVISED = "revised"
    PAYABLE = "payable"
    REVERSED = "reversed"
    CLAWBACK = "clawback"
    DOWNGRADE = "downgrade"
    DISPUTE = "dispute"


@dataclass(frozen=True)
class Holding:
    """What the ledger holds for one rep: on one order, or on all their orders up to a day."""

    accrued: Decimal = ZERO
    payable: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return self.accrued + self.payable

    def plus(self, changes: Sequence["Change"]) -> "Holding":
        """What is held once the entries are added."""
        return Holding(
            accrued=self.accrued + sum((change.accrued_change for change in changes), Decimal(0)),
            payable=self.payable + sum((change.payable_change for change in changes), Decimal(0)),
        )


class Change(Protocol):
    """A ledger entry as far as a balance is concerned."""

    @property
    def accrued_change(self) -> Decimal: ...

    @property
    def payable_change(self) -> Decimal: ...


@dataclass(frozen=True)
class Statement:
    """A rep's ledger over a period: what it held the day before, the entries of the period in order, and what it
    held once they were added."""

    opening: Holding
    entries: Sequence[Change]
    closing: Holding


@dataclass(frozen=True)
class Entry:
    rep_id: str
    kind: EntryKind
    accrued_change: Decimal
    payable_change: Decimal
    reason: str

    @property
    def amount(self) -> Decimal:
        """The money that moved, in the balance it moved into (payable when it moved there)."""
        return self.payable_change if self.payable_change else self.accrued_change


def within_window(start: date, day: date, window_days: int) -> bool:
    """Whether `day` is at most `window_days` after `start` (the last day counts)."""
    return 0 <= (day - start).days <= window_days


def accrue(
    reps: Sequence[RepCommission], holdings: Mapping[str, Holding], *, installed: bool, reason: str
) -> list[Entry]:
    """Bring each rep's commission on the order to its ratified amount (a later order version revises it)."""
    kind = EntryKind.REVISED if holdings else EntryKind.ACCRUED
    targets = {rep.rep_id: rep.amount for rep in reps}
    entries = []
    for rep_id in [*targets, *(rep_id for rep_id in holdings if rep_id not in targets)]:
        change = targets.get(rep_id, ZERO) - holdings.get(rep_id, Holding()).total
        if change:
            entries.append(_entry(rep_id, kind, change, payable=installed, reason=reason))
    return entries


def make_payable(
    holdings: Mapping[str, Holding], *, installed_on: date, up_to: Mapping[str, Decimal] | None = None
) -> list[Entry]:
    """On install, what is accrued becomes payable: all of it, or each rep's part for the items installed (`up_to`)."""
    return [
        Entry(rep_id, EntryKind.PAYABLE, -amount, amount, f"installed on {installed_on}")
        for rep_id, amount in _accrued(holdings, up_to).items()
    ]


def reverse(holdings: Mapping[str, Holding], *, reason: str, up_to: Mapping[str, Decimal] | None = None) -> list[Entry]:
    """A cancel before install takes back what is accrued: all of it, or each rep's part for the items cancelled."""
    return [
        Entry(rep_id, EntryKind.REVERSED, -amount, ZERO, reason) for rep_id, amount in _accrued(holdings, up_to).items()
    ]


def part_of(reps: Sequence[RepCommission], share: Decimal | None) -> dict[str, Decimal] | None:
    """Each rep's part of the ratified commission for a share of the order (None: whatever is left)."""
    if share is None:
        return None
    return {rep.rep_id: (rep.amount * share).quantize(CENT, rounding=ROUND_HALF_UP) for rep in reps}


def _accrued(holdings: Mapping[str, Holding], up_to: Mapping[str, Decimal] | None) -> dict[str, Decimal]:
    """What moves out of each rep's accrual: all of it, or at most the rep's part; never more than is accrued."""
    moved = {
        rep_id: holding.accrued if up_to is None else max(ZERO, min(holding.accrued, up_to.get(rep_id, ZERO)))
        for rep_id, holding in holdings.items()
    }
    return {rep_id: amount for rep_id, amount in moved.items() if amount}


def claw_back(
    holdings: Mapping[str, Holding],
    *,
    share_of_order: Decimal,
    installed_on: date | None,
    disconnected_on: date,
    window_days: int,
    reason: str,
) -> list[Entry]:
    """A disconnect inside the window takes back the disconnected share of the commission, pro rata to the
    days of the window not served: day 0 takes all of it, day 90 of 180 half, day 180 nothing. Before install
    the disconnected share of the accrual goes whole."""
    if installed_on is None:
        fraction = share_of_order
    elif within_window(installed_on, disconnected_on, window_days):
        unserved = window_days - (disconnected_on - installed_on).days
        fraction = share_of_order * unserved / window_days
        reason += f" ({unserved} of {window_days} days unserved)"
    else:
        return []
    entries = []
    for rep_id, holding in holdings.items():
        held = holding.payable if installed_on else holding.accrued
        amount = (held * fraction).quantize(CENT, rounding=ROUND_HALF_UP)
        if amount > 0:
            entries.append(_entry(rep_id, EntryKind.CLAWBACK, -amount, payable=installed_on is not None, reason=reason))
    return entries


def debit_downgrade(
    holdings: Mapping[str, Holding],
    *,
    debit: Decimal,
    splits: Sequence[SalesRep],
    installed_on: date | None,
    changed_on: date,
    window_days: int,
    reason: str,
) -> list[Entry]:
    """A downgrade inside the window debits the lost MRR at the sale's multiplier, split as the sale was,
    never more than a rep still holds on the sale."""
    if installed_on is not None and not within_window(installed_on, changed_on, window_days):
        return []
    entries = []
    for share in split(debit, splits):
        held = holdings.get(share.rep_id, Holding()).total
        amount = min(share.amount, max(held, ZERO))
        if amount > 0:
            entries.append(
                _entry(share.rep_id, EntryKind.DOWNGRADE, -amount, payable=installed_on is not None, reason=reason)
            )
    return entries


def after(holdings: Mapping[str, Holding], entries: Sequence[Entry]) -> dict[str, Holding]:
    """What the ledger holds per rep once the entries are added."""
    held = dict(holdings)
    for entry in entries:
        holding = held.get(entry.rep_id, Holding())
        held[entry.rep_id] = Holding(holding.accrued + entry.accrued_change, holding.payable + entry.payable_change)
    return held


def dispute_adjustment(rep_id: str, adjustment: Decimal, *, reason: str) -> Entry:
    """An approved dispute's adjustment is payable with the rep's next statement."""
    return Entry(rep_id, EntryKind.DISPUTE, ZERO, adjustment, reason)


def dispute_refusal(*, ratified_on: date, today: date, window_days: int) -> str | None:
    """Why a rep may not open a dispute now, if they may not."""
    if not within_window(ratified_on, today, window_days):
        return f"disputes close {window_days} days after ratification ({ratified_on})"
    return None


def _entry(rep_id: str, kind: EntryKind, change: Decimal, *, payable: bool, reason: str) -> Entry:
    return Entry(rep_id, kind, ZERO if payable else change, change if payable else ZERO, reason)


@dataclass(frozen=True)
class Posting:
    """A ledger entry to add to an order, under a key naming the fact it records."""

    order_id: str
    entry: Entry
    entry_key: str
    effective_on: date
    dispute_id: str | None = None


def postings_for(
    order_id: str, entries: Sequence[Entry], *, key: str, on: date, dispute_id: str | None = None
) -> list[Posting]:
    """The entries under keys naming the fact (`key`), so that the fact handled again adds nothing."""
    return [
        Posting(
            order_id=order_id,
            entry=entry,
            entry_key=f"{order_id}/{key}/{entry.kind}/{entry.rep_id}",
            effective_on=on,
            dispute_id=dispute_id,
        )
        for entry in entries
    ]


def adjusted(posting: Posting, order_version: int) -> CommissionAdjusted:
    """The announcement of a posting added to the ledger."""
    entry = posting.entry
    return CommissionAdjusted(
        order_id=posting.order_id,
        order_version=order_version,
        rep_id=entry.rep_id,
        amount=entry.amount,
        reason=entry.reason,
        kind=str(entry.kind),
        ledger_entry=posting.entry_key,
        accrued_change=entry.accrued_change,
        payable_change=entry.payable_change,
        effective_on=posting.effective_on,
    )
