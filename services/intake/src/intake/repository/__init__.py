"""Queries over intake's orders, their histories, cancellation requests, the installed base and coaching: one
module each, every query named here for the handlers and the API."""

from intake.repository.cancel_requests import (
    CancelRequest,
    add_cancel_request,
    get_cancel_request,
    list_cancel_requests,
    settle_cancel_requests,
)
from intake.repository.history import Revision, finding_counts, order_history, record_findings_made, record_revisions
from intake.repository.installed_base import products_of, record_product_changes, settle_products
from intake.repository.orders import (
    NewOrder,
    OrderFilter,
    StoredOrder,
    get_order,
    get_orders,
    insert_orders,
    likely_duplicates,
    list_orders,
    order_for_idempotency_key,
    replace_order,
)
from intake.repository.statuses import get_version, lock_statuses, mark_completed, save_statuses
from intake.repository.submissions import Submission, canonical_bytes, claim_source_id, repoint_submission, submission

__all__ = [
    "CancelRequest",
    "NewOrder",
    "OrderFilter",
    "Revision",
    "StoredOrder",
    "Submission",
    "add_cancel_request",
    "canonical_bytes",
    "claim_source_id",
    "finding_counts",
    "get_cancel_request",
    "get_order",
    "get_orders",
    "get_version",
    "insert_orders",
    "likely_duplicates",
    "list_cancel_requests",
    "list_orders",
    "lock_statuses",
    "mark_completed",
    "order_for_idempotency_key",
    "order_history",
    "products_of",
    "record_findings_made",
    "record_product_changes",
    "record_revisions",
    "replace_order",
    "repoint_submission",
    "save_statuses",
    "settle_cancel_requests",
    "settle_products",
    "submission",
]
