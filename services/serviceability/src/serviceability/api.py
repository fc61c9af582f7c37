"""Serviceability's read API: the decision taken for an order."""

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status

from orderdesk_shared.app import database
from orderdesk_shared.auth import Principal, Role, require_roles
from orderdesk_shared.db import Database

from serviceability import repository

router = APIRouter(prefix="/serviceability", tags=["serviceability"])


@router.get("/orders/{order_id}")
async def order_qualification(
    order_id: str,
    _: Annotated[Principal, Depends(require_roles(*Role))],
    db: Annotated[Database, Depends(database)],
) -> dict:
    """The per-site qualification of an order."""
    async with db.engine.connect() as connection:
        row = await repository.get_qualification(connection, order_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"order {order_id} has not been qualified")
    return {"orderId": row.order_id, "orderVersion": row.order_version, "result": row.result, "sites": row.sites, "decidedAt": row.decided_at}
