"""Pricing-approval's read API: the quote for an order."""

from fastapi import APIRouter

from orderdesk_shared.app import DatabaseDep, read_or_404
from orderdesk_shared.auth import SignedIn
from pricing_approval import repository

router = APIRouter(prefix="/pricing", tags=["pricing"])


@router.get("/orders/{order_id}")
async def order_quote(order_id: str, _: SignedIn, db: DatabaseDep) -> dict:
    """The pricing and approval status of an order."""
    row = await read_or_404(
        db,
        lambda connection: repository.get_quote(connection, order_id),
        missing=f"order {order_id} has not been priced",
    )
    return {
        "orderId": row.order_id,
        "orderVersion": row.order_version,
        "status": row.status,
        "pricing": row.pricing,
        "requiredApprovals": row.required_approvals,
        "pricedAt": row.priced_at,
    }
