"""Revenue assurance: ratified orders against what was handed off for billing (pure)."""

import csv
import io
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum


class Finding(StrEnum):
    NOT_RATIFIED = "handed-off-not-ratified"
    NOT_INSTALLED = "ratified-not-installed"
    MRC_DISAGREES = "mrc-disagrees-with-billing"


@dataclass(frozen=True)
class RatifiedOrder:
    order_id: str
    order_date: date
    eligible: bool
    commission_total: Decimal
    basis_mrc: Decimal
    billed_mrc: Decimal
    installed_on: date | None
    cancelled_on: date | None
    failure: str | None


@dataclass(frozen=True)
class Discrepancy:
    order_id: str
    finding: Finding
    detail: str
    commission_total: Decimal | None = None
    commissioned_mrc: Decimal | None = None
    billed_mrc: Decimal | None = None


def reconcile(
    ratified: Iterable[RatifiedOrder], unratified: Iterable[tuple[str, str]], *, today: date
) -> list[Discrepancy]:
    """Orders handed off but never ratified; eligible orders ratified but never installed (nor cancelled);
    orders whose MRC counted for commission is not the MRC handed off for billing."""
    found = [
        Discrepancy(order_id, Finding.NOT_RATIFIED, f"the hand-off could not be ratified: {reason}")
        for order_id, reason in unratified
    ]
    for order in ratified:
        amounts = {
            "commission_total": order.commission_total,
            "commissioned_mrc": order.basis_mrc,
            "billed_mrc": order.billed_mrc,
        }
        if order.eligible and order.installed_on is None and order.cancelled_on is None:
            waiting = f"not installed {(today - order.order_date).days} days after ratification"
            detail = f"{waiting}; Operations failed it: {order.failure}" if order.failure else waiting
            found.append(Discrepancy(order.order_id, Finding.NOT_INSTALLED, detail, **amounts))
        if order.basis_mrc != order.billed_mrc:
            detail = f"MRC {order.basis_mrc} counted for commission, {order.billed_mrc} carries a billing code"
            found.append(Discrepancy(order.order_id, Finding.MRC_DISAGREES, detail, **amounts))
    return found


CSV_COLUMNS = ("order_id", "finding", "detail", "commission_total", "commissioned_mrc", "billed_mrc")


def to_csv(discrepancies: Iterable[Discrepancy]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for discrepancy in discrepancies:
        writer.writerow({name: "" if value is None else str(value) for name, value in asdict(discrepancy).items()})
    return out.getvalue()
