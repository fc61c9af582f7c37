"""Serviceability's read API: the decision taken for an order."""

from fastapi import APIRouter

from orderdesk_shared.app import DatabaseDep, read_or_404
from orderdesk_shared.auth import SignedIn
from serviceability import repository

router = APIRouter(prefix="/serviceability", tags=["serviceability"])


@router.get("/orders/{order_id}")
async def order_qualification(order_id: str, _: SignedIn, db: DatabaseDep) -> dict:
    """The per-site qualification of an order."""
    row = await read_or_404(
        db,
        lambda connection: repository.get_qualification(connection, order_id),
        missing=f"order {order_id} has not been qualified",
    )
    return {
        "orderId": row.order_id,
        "orderVersion": row.order_version,
        "result": row.result,
        "sites": row.sites,
        "decidedAt": row.decided_at,
    }
