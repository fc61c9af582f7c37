"""Intake's handlers: accept a submitted order, correct, cancel or release it, and follow it through the later
stages and Operations with the one TMF622 state mapping every reader shares (orderdesk_shared.order_state).

One module a concern: `acceptance` (validating, storing and announcing a new order), `channel_submissions`,
`corrections` (and the desk's cancels and releases), `pipeline` (the later stages and Operations),
`reference_data`, `service_requests` (the tickets the desk opens for other departments)."""

from intake.handlers.acceptance import installed_base, new_order_id, store_new_orders, submit_order
from intake.handlers.channel_submissions import (
    SourceConflict,
    UnreadableSubmission,
    accept_crm_opportunity,
    accept_ivr_call,
    accept_order_email,
)
from intake.handlers.corrections import cancel_order, correct_order, release_duplicate
from intake.handlers.pipeline import (
    PROGRESS_EVENTS,
    apply_facts,
    follow_fallout,
    follow_hand_off,
    follow_operations,
    follow_progress,
    record_products,
)
from intake.handlers.reference_data import follow_catalogue, follow_crm_account, follow_roster
from intake.handlers.service_requests import change_service_request, open_service_request

__all__ = [
    "PROGRESS_EVENTS",
    "SourceConflict",
    "UnreadableSubmission",
    "accept_crm_opportunity",
    "accept_ivr_call",
    "accept_order_email",
    "apply_facts",
    "cancel_order",
    "change_service_request",
    "correct_order",
    "follow_catalogue",
    "follow_crm_account",
    "follow_fallout",
    "follow_hand_off",
    "follow_operations",
    "follow_progress",
    "follow_roster",
    "installed_base",
    "new_order_id",
    "open_service_request",
    "record_products",
    "release_duplicate",
    "store_new_orders",
    "submit_order",
]
