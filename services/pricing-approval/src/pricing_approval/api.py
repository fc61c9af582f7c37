"""Pricing-approval's read API: the quote for an order."""

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status

from orderdesk_shared.app import database
from orderdesk_shared.auth import Principal, Role, require_roles
from orderdesk_shared.db import Database

from pricing_approval import repository

router = APIRouter(prefix="/pricing", tags=["pricing"])


@router.get("/orders/{order_id}")
async def order_quote(
    order_id: str,
    _: Annotated[Principal, Depends(require_roles(*Role))],
    db: Annotated[Database, Depends(database)],
) -> dict:
    """The pricing and approval status of an order."""
    async with db.engine.connect() as connection:
        row = await repository.get_quote(connection, order_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"order {order_id} has not been priced")
    return {
        "orderId": row.order_id,
        "orderVersion": row.order_version,
        "status": row.status,
        "pricing": row.pricing,
        "requiredApprovals": row.required_approvals,
        "pricedAt": row.priced_at,
    }
