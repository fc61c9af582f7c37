from decimal import Decimal

from commission.domain.ratification import split
from orderdesk_shared.events.order import SalesRep


def test_a_split_loses_no_cent():
    reps = [SalesRep(rep_id=f"rep-{i}", split_percent=Decimal("33.33")) for i in range(2)] + [
        SalesRep(rep_id="rep-2", split_percent=Decimal("33.34"))
    ]
    shares = split(Decimal("100.00"), reps)
    assert sum(share.amount for share in shares) == Decimal("100.00")
    assert [share.amount for share in shares] == [Decimal("33.33"), Decimal("33.33"), Decimal("33.34")]


def test_leftover_cents_go_to_the_largest_share():
    reps = [SalesRep(rep_id="a", split_percent=Decimal(50)), SalesRep(rep_id="b", split_percent=Decimal(50))]
    assert [share.amount for share in split(Decimal("0.01"), reps)] == [Decimal("0.01"), Decimal("0.00")]


def test_a_sole_rep_gets_everything():
    [share] = split(Decimal("1234.56"), [SalesRep(rep_id="a")])
    assert share.amount == Decimal("1234.56")
