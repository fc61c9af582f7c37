"""Commission's read API: the ratification of an order."""

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status

from orderdesk_shared.app import database
from orderdesk_shared.auth import Principal, Role, require_roles
from orderdesk_shared.db import Database

from commission import repository

router = APIRouter(prefix="/commission", tags=["commission"])


@router.get("/orders/{order_id}")
async def order_ratification(
    order_id: str,
    _: Annotated[Principal, Depends(require_roles(*Role))],
    db: Annotated[Database, Depends(database)],
) -> dict:
    """Whether an order earns commission, how much, and for which reps."""
    async with db.engine.connect() as connection:
        row = await repository.get_ratification(connection, order_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"order {order_id} has not been ratified")
    return {
        "orderId": row.order_id,
        "orderVersion": row.order_version,
        "eligible": row.eligible,
        "commissionableMrr": str(row.commissionable_mrr),
        "commissionTotal": str(row.commission_total),
        "reps": row.reps,
        "ratifiedAt": row.ratified_at,
    }
