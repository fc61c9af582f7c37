"""How a rep's commission moves after ratification: install, cancel, clawback, downgrade, dispute window."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from commission.domain.ledger import (
    Entry,
    EntryKind,
    Holding,
    accrue,
    after,
    claw_back,
    debit_downgrade,
    dispute_adjustment,
    dispute_refusal,
    make_payable,
    part_of,
    reverse,
)
from commission.domain.ratification import reps_seen_by, share_of_items
from orderdesk_shared.events.commission import RepCommission
from orderdesk_shared.events.order import SalesRep

INSTALLED = date(2026, 6, 1)
PAID = {"rep-001": Holding(payable=Decimal("1200.00")), "rep-002": Holding(payable=Decimal("800.00"))}
ACCRUED = {"rep-001": Holding(accrued=Decimal("1200.00")), "rep-002": Holding(accrued=Decimal("800.00"))}


def _disconnected(holdings: dict[str, Holding], *, share_of_order: Decimal, days_after_install: int = 0):
    """The clawback of a disconnect of `share_of_order` of the sale, a 180-day window after INSTALLED."""
    return claw_back(
        holdings,
        share_of_order=share_of_order,
        installed_on=INSTALLED,
        disconnected_on=INSTALLED + timedelta(days=days_after_install),
        window_days=180,
        reason="disconnected",
    )


def _downgraded(holdings: dict[str, Holding], splits: list[SalesRep], *, days_after_install: int = 0):
    """The debit of a downgrade taking $300.00 of commission, a 180-day window after INSTALLED."""
    return debit_downgrade(
        holdings,
        debit=Decimal("300.00"),
        splits=splits,
        installed_on=INSTALLED,
        changed_on=INSTALLED + timedelta(days=days_after_install),
        window_days=180,
        reason="downgraded",
    )


def test_ratification_accrues_and_a_later_version_revises_by_the_difference():
    reps = [RepCommission(rep_id="rep-001", split_percent=Decimal(100), amount=Decimal("1500.00"))]
    [first] = accrue(reps, {}, installed=False, reason="v1")
    assert (first.kind, first.accrued_change, first.payable_change) == (EntryKind.ACCRUED, Decimal("1500.00"), 0)
    revised = accrue(reps, ACCRUED, installed=False, reason="v2")
    assert [(e.rep_id, e.kind, e.accrued_change) for e in revised] == [
        ("rep-001", EntryKind.REVISED, Decimal("300.00")),
        ("rep-002", EntryKind.REVISED, Decimal("-800.00")),
    ]


def test_install_makes_everything_accrued_payable():
    entries = make_payable(ACCRUED, installed_on=INSTALLED)
    assert [(e.accrued_change, e.payable_change) for e in entries] == [
        (Decimal("-1200.00"), Decimal("1200.00")),
        (Decimal("-800.00"), Decimal("800.00")),
    ]
    assert make_payable(PAID, installed_on=INSTALLED) == []  # installed twice: nothing more


def test_a_cancel_before_install_reverses_the_accrual_fully():
    assert sum(e.accrued_change for e in reverse(ACCRUED, reason="cancelled")) == Decimal("-2000.00")


REPS = [
    RepCommission(rep_id="rep-001", split_percent=Decimal(60), amount=Decimal("1200.00")),
    RepCommission(rep_id="rep-002", split_percent=Decimal(40), amount=Decimal("800.00")),
]
# Two items: the first earns three quarters of the incremental MRR.
ITEM_MRR = {"1": Decimal("750.00"), "2": Decimal("250.00")}


def test_a_cancel_of_some_items_takes_back_their_part_and_installing_the_rest_pays_what_is_left():
    share = share_of_items(ITEM_MRR, ["2"], settled=[])
    assert share == Decimal("0.25")
    cancelled = reverse(ACCRUED, reason="item 2 cancelled", up_to=part_of(REPS, share))
    assert [(e.rep_id, e.accrued_change) for e in cancelled] == [
        ("rep-001", Decimal("-300.00")),
        ("rep-002", Decimal("-200.00")),
    ]
    left = {"rep-001": Holding(accrued=Decimal("900.00")), "rep-002": Holding(accrued=Decimal("600.00"))}
    assert share_of_items(ITEM_MRR, ["1"], settled=["2"]) is None  # every item settled: whatever is left moves
    assert sum(e.payable_change for e in make_payable(left, installed_on=INSTALLED)) == Decimal("1500.00")


def test_an_items_part_never_takes_more_than_is_still_accrued():
    installed_first = {"rep-001": Holding(payable=Decimal("1200.00")), "rep-002": Holding(accrued=Decimal("100.00"))}
    cancelled = reverse(installed_first, reason="item 2 cancelled", up_to=part_of(REPS, Decimal("0.25")))
    assert [(e.rep_id, e.accrued_change, e.payable_change) for e in cancelled] == [
        ("rep-002", Decimal("-100.00"), Decimal(0))
    ]


def test_thirds_leave_no_cent_behind():
    thirds = {"1": Decimal("100.00"), "2": Decimal("100.00"), "3": Decimal("100.00")}
    accrued = {"rep-001": Holding(accrued=Decimal("100.00"))}
    reps = [RepCommission(rep_id="rep-001", split_percent=Decimal(100), amount=Decimal("100.00"))]
    for settled, item in ([], "1"), (["1"], "2"), (["1", "2"], "3"):
        [entry] = reverse(accrued, reason=item, up_to=part_of(reps, share_of_items(thirds, [item], settled=settled)))
        accrued = {"rep-001": Holding(accrued=accrued["rep-001"].accrued + entry.accrued_change)}
    assert accrued["rep-001"].accrued == Decimal("0.00")


@pytest.mark.parametrize(
    ("days_after_install", "taken_back"),
    [(0, "2000.00"), (90, "1000.00"), (179, "11.11"), (180, "0"), (181, "0")],
)
def test_a_disconnect_inside_180_days_claws_back_pro_rata(days_after_install, taken_back):
    entries = _disconnected(PAID, share_of_order=Decimal(1), days_after_install=days_after_install)
    assert -sum((e.payable_change for e in entries), Decimal(0)) == Decimal(taken_back)
    assert all(e.kind is EntryKind.CLAWBACK for e in entries)


def test_a_disconnect_of_one_offering_claws_back_its_share_only():
    entries = _disconnected(PAID, share_of_order=Decimal("0.25"))
    assert [e.payable_change for e in entries] == [Decimal("-300.00"), Decimal("-200.00")]


@pytest.mark.parametrize(("days_after_install", "debited"), [(180, "-300.00"), (181, "0")])
def test_a_downgrade_inside_the_window_debits_the_delta(days_after_install, debited):
    splits = [
        SalesRep(rep_id="rep-001", split_percent=Decimal(60)),
        SalesRep(rep_id="rep-002", split_percent=Decimal(40)),
    ]
    entries = _downgraded(PAID, splits, days_after_install=days_after_install)
    assert sum((e.payable_change for e in entries), Decimal(0)) == Decimal(debited)


def test_a_downgrade_never_debits_more_than_the_rep_holds():
    [entry] = _downgraded({"rep-001": Holding(payable=Decimal("50.00"))}, [SalesRep(rep_id="rep-001")])
    assert entry.payable_change == Decimal("-50.00")


def test_a_second_clawback_from_the_same_sale_takes_from_what_the_first_left():
    first = _disconnected(PAID, share_of_order=Decimal("0.5"))
    left = after(PAID, first)
    assert left == {"rep-001": Holding(payable=Decimal("600.00")), "rep-002": Holding(payable=Decimal("400.00"))}
    assert after(left, [dispute_adjustment("rep-003", Decimal("5.00"), reason="")])["rep-003"] == Holding(
        payable=Decimal("5.00")
    )


@pytest.mark.parametrize(("days_after", "refused"), [(180, False), (181, True)])
def test_a_dispute_opens_within_180_days_of_ratification(days_after, refused):
    ratified = date(2026, 1, 10)
    refusal = dispute_refusal(ratified_on=ratified, today=ratified + timedelta(days=days_after), window_days=180)
    assert (refusal is not None) is refused


def test_a_statement_closes_on_its_opening_balance_moved_by_every_entry_in_the_period():
    opening = Holding(accrued=Decimal("1200.00"), payable=Decimal("300.00"))
    installed = Entry("rep-001", EntryKind.PAYABLE, Decimal("-1200.00"), Decimal("1200.00"), "installed")
    disputed = dispute_adjustment("rep-001", Decimal("25.00"), reason="")
    assert opening.plus([installed, disputed]) == Holding(accrued=Decimal(0), payable=Decimal("1525.00"))
    assert opening.plus([]) == opening


def test_a_rep_sees_only_their_own_share_and_an_overseer_every_share():
    reps = [{"repId": "rep-001", "amount": "600.00"}, {"repId": "rep-002", "amount": "400.00"}]
    assert reps_seen_by(reps, "rep-002") == [{"repId": "rep-002", "amount": "400.00"}]
    assert reps_seen_by(reps, "rep-003") == []
    assert reps_seen_by(reps, None) == reps
