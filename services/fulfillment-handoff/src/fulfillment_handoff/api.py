"""Fulfillment-handoff's read API: the hand-off of an order."""

from fastapi import APIRouter

from fulfillment_handoff import repository
from orderdesk_shared.app import DatabaseDep, read_or_404
from orderdesk_shared.auth import SignedIn

router = APIRouter(prefix="/fulfillment", tags=["fulfillment"])


@router.get("/orders/{order_id}")
async def order_handoff(order_id: str, _: SignedIn, db: DatabaseDep) -> dict:
    """The processing path and billing codes an order was handed off with."""
    row = await read_or_404(
        db,
        lambda connection: repository.get_handoff(connection, order_id),
        missing=f"order {order_id} has not been handed off",
    )
    return {
        "orderId": row.order_id,
        "orderVersion": row.order_version,
        "processingPath": row.processing_path,
        "billingLines": row.billing_lines,
        "handedOffAt": row.handed_off_at,
    }
