"""How commission's API shows an order's commission, a rep's statement, a dispute and the reconciliation: camelCase,
as every OrderDesk API, with amounts as strings so that no cent is lost to a float on the way."""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Row

from commission.domain.ledger import Holding, Statement
from commission.domain.ratification import reps_seen_by
from commission.domain.reconciliation import Discrepancy
from orderdesk_shared.app import in_camel_case


def order_commission_view(
    ratification: Row, progress: Row | None, entries: Iterable[Row], *, rep_id: str | None
) -> dict[str, Any]:
    """An order's commission and ledger as a reader sees them: only the rep's own share when `rep_id` is given."""
    decision = ("order_id", "order_version", "order_type", "order_date", "eligible", "reasons", "explanation")
    amounts = ("commissionable_mrr", "multiplier", "commission_total")
    return _document(ratification._mapping, *decision, *amounts) | {
        "reps": reps_seen_by(ratification.reps, rep_id),
        "installedOn": progress.installed_on if progress else None,
        "cancelledOn": progress.cancelled_on if progress else None,
        "ledger": [_entry(entry) for entry in entries],
        "ratifiedAt": ratification.ratified_at,
    }


def statement_view(rep_id: str, first_day: date, last_day: date, statement: Statement) -> dict[str, Any]:
    return {
        "repId": rep_id,
        "from": first_day,
        "to": last_day,
        "opening": _balance(statement.opening),
        "entries": [_entry(entry) for entry in statement.entries],
        "closing": _balance(statement.closing),
    }


def dispute_view(dispute: Row, history: Iterable[Row] | None = None) -> dict[str, Any]:
    """A dispute and its decision; with its history when it is given."""
    decision = ("decided_by", "decided_on", "decision", "adjustment")
    shown = _document(dispute._mapping, "dispute_id", "order_id", "rep_id", "state", "claim", "opened_on", *decision)
    if history is None:
        return shown
    return shown | {"history": [_document(h._mapping, "at", "actor", "action", "note", "adjustment") for h in history]}


def reconciliation_view(
    first_day: date, last_day: date, *, orders_ratified: int, discrepancies: Sequence[Discrepancy]
) -> dict[str, Any]:
    amounts = ("commission_total", "commissioned_mrc", "billed_mrc")
    return {
        "from": first_day,
        "to": last_day,
        "ordersRatified": orders_ratified,
        "discrepancies": [_document(asdict(d), "order_id", "finding", "detail", *amounts) for d in discrepancies],
    }


def _entry(entry: Row) -> dict[str, Any]:
    changes = ("accrued_change", "payable_change", "reason", "effective_on", "dispute_id")
    return {"entry": entry.entry_key} | _document(entry._mapping, "order_id", "rep_id", "kind", *changes)


def _balance(holding: Holding) -> dict[str, Any]:
    return _document(asdict(holding), "accrued", "payable")


def _document(fields: Mapping[str, Any], *names: str) -> dict[str, Any]:
    """The named fields in camelCase, amounts (Decimal) as strings; an amount left out stays None."""
    shown = in_camel_case(fields, *names)
    return {key: str(value) if isinstance(value, Decimal) else value for key, value in shown.items()}
