"""Commission's read API: the ratification of an order."""

from fastapi import APIRouter

from commission import repository
from orderdesk_shared.app import DatabaseDep, read_or_404
from orderdesk_shared.auth import SignedIn

router = APIRouter(prefix="/commission", tags=["commission"])


@router.get("/orders/{order_id}")
async def order_ratification(order_id: str, _: SignedIn, db: DatabaseDep) -> dict:
    """Whether an order earns commission, how much, and for which reps."""
    row = await read_or_404(
        db,
        lambda connection: repository.get_ratification(connection, order_id),
        missing=f"order {order_id} has not been ratified",
    )
    return {
        "orderId": row.order_id,
        "orderVersion": row.order_version,
        "eligible": row.eligible,
        "commissionableMrr": str(row.commissionable_mrr),
        "commissionTotal": str(row.commission_total),
        "reps": row.reps,
        "ratifiedAt": row.ratified_at,
    }
