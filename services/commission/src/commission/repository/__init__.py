"""Queries over commission's ratifications, account services, ledger and disputes, used by handlers and the API."""

from commission.repository.account_services import (
    AccountHistory,
    AccountQuestion,
    Sale,
    ServiceQuestion,
    account_histories,
    commissioned_sales,
)
from commission.repository.disputes import (
    add_dispute_history,
    decide_dispute,
    get_dispute,
    history_of,
    list_disputes,
    open_dispute,
    open_dispute_of,
)
from commission.repository.ledger import (
    Posting,
    add_entries,
    balances,
    holdings,
    holdings_of,
    order_entries,
    rep_balance,
    rep_entries,
)
from commission.repository.progress import WHOLE_ORDER, get_progress, record_items, record_progress
from commission.repository.ratifications import (
    RatificationRecord,
    Stored,
    get_ratification,
    reconciliation_rows,
    record_ratifications,
    unratified_handoffs,
)

__all__ = [
    "WHOLE_ORDER",
    "AccountHistory",
    "AccountQuestion",
    "Posting",
    "RatificationRecord",
    "Sale",
    "ServiceQuestion",
    "Stored",
    "account_histories",
    "add_dispute_history",
    "add_entries",
    "balances",
    "commissioned_sales",
    "decide_dispute",
    "get_dispute",
    "get_progress",
    "get_ratification",
    "history_of",
    "holdings",
    "holdings_of",
    "list_disputes",
    "open_dispute",
    "open_dispute_of",
    "order_entries",
    "reconciliation_rows",
    "record_items",
    "record_progress",
    "record_ratifications",
    "rep_balance",
    "rep_entries",
    "unratified_handoffs",
]
