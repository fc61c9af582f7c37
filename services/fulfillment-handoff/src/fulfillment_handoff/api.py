"""Fulfillment-handoff's read API: the hand-off of an order."""

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status

from orderdesk_shared.app import database
from orderdesk_shared.auth import Principal, Role, require_roles
from orderdesk_shared.db import Database

from fulfillment_handoff import repository

router = APIRouter(prefix="/fulfillment", tags=["fulfillment"])


@router.get("/orders/{order_id}")
async def order_handoff(
    order_id: str,
    _: Annotated[Principal, Depends(require_roles(*Role))],
    db: Annotated[Database, Depends(database)],
) -> dict:
    """The processing path and billing codes an order was handed off with."""
    async with db.engine.connect() as connection:
        row = await repository.get_handoff(connection, order_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"order {order_id} has not been handed off")
    return {
        "orderId": row.order_id,
        "orderVersion": row.order_version,
        "processingPath": row.processing_path,
        "billingLines": row.billing_lines,
        "handedOffAt": row.handed_off_at,
    }
