"""Revenue assurance: what is reported, and the CSV a commission analyst exports."""

from datetime import date
from decimal import Decimal

from commission.domain.reconciliation import Finding, RatifiedOrder, reconcile, to_csv

TODAY = date(2026, 11, 28)


def ratified(order_id: str, **overrides) -> RatifiedOrder:
    fields = {
        "order_id": order_id,
        "order_date": date(2026, 11, 1),
        "eligible": True,
        "commission_total": Decimal("2000.00"),
        "basis_mrc": Decimal("1000.00"),
        "billed_mrc": Decimal("1000.00"),
        "installed_on": date(2026, 11, 20),
        "cancelled_on": None,
        "failure": None,
    }
    return RatifiedOrder(**(fields | overrides))


def test_each_kind_of_discrepancy_is_reported_and_a_clean_order_is_not():
    found = reconcile(
        [
            ratified("PO-CLEAN"),
            ratified("PO-WAITING", installed_on=None),
            ratified("PO-FAILED", installed_on=None, failure="no access to the building"),
            ratified("PO-CANCELLED", installed_on=None, cancelled_on=date(2026, 11, 3)),
            ratified("PO-UNBILLED", billed_mrc=Decimal("400.00")),
        ],
        [("PO-LOST", "invalid payload: order: Field required")],
        today=TODAY,
    )
    assert [(d.order_id, d.finding) for d in found] == [
        ("PO-LOST", Finding.NOT_RATIFIED),
        ("PO-WAITING", Finding.NOT_INSTALLED),
        ("PO-FAILED", Finding.NOT_INSTALLED),
        ("PO-UNBILLED", Finding.MRC_DISAGREES),
    ]
    assert found[1].detail == "not installed 27 days after ratification"
    assert found[2].detail.endswith("Operations failed it: no access to the building")


def test_the_report_exports_as_csv():
    csv = to_csv(reconcile([ratified("PO-UNBILLED", billed_mrc=Decimal("400.00"))], [], today=TODAY))
    assert csv.splitlines() == [
        "order_id,finding,detail,commission_total,commissioned_mrc,billed_mrc",
        "PO-UNBILLED,mrc-disagrees-with-billing,"
        '"MRC 1000.00 counted for commission, 400.00 carries a billing code",2000.00,1000.00,400.00',
    ]
