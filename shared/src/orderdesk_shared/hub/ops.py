"""The SREs' view of the hub: GET /ops/notifications, the notifications dead-lettered or still waiting, with why."""

from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Query, Response

from orderdesk_shared.app import DatabaseDep
from orderdesk_shared.auth import Principal, Role, require_roles
from orderdesk_shared.hub.fan_out import Hub
from orderdesk_shared.limits import Offset, PageSize


def hub_ops_router(hub: Hub) -> APIRouter:
    """GET /ops/notifications: the notifications dead-lettered (or still waiting), with why."""
    router = APIRouter(prefix="/ops", tags=["operations"])
    SreOnly = Annotated[Principal, Depends(require_roles(Role.SRE))]
    notifications, subscriptions = hub.tables.notifications, hub.tables.subscriptions

    @router.get("/notifications")
    async def list_notifications(
        db: DatabaseDep,
        _: SreOnly,
        response: Response,
        state: Annotated[str, Query(pattern="^(dead|pending)$")] = "dead",
        offset: Offset = 0,
        limit: PageSize = 50,
    ) -> list[dict[str, Any]]:
        """Dead-lettered notifications (the newest first), or those waiting; X-Total-Count says how many."""
        shown = (
            notifications.c.dead_at.is_not(None)
            if state == "dead"
            else sa.and_(notifications.c.dead_at.is_(None), notifications.c.delivered_at.is_(None))
        )
        query = (
            sa.select(notifications, subscriptions.c.callback, subscriptions.c.registrant)
            .join(subscriptions, subscriptions.c.id == notifications.c.subscription_id)
            .where(shown)
        )
        async with db.engine.connect() as connection:
            total = await connection.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
            rows = await connection.execute(query.order_by(notifications.c.id.desc()).offset(offset).limit(limit))
        response.headers["X-Total-Count"] = str(total)
        return [
            {
                "id": row.id,
                "subscriptionId": row.subscription_id,
                "callback": row.callback,
                "registrant": row.registrant,
                "eventId": row.event_id,
                "eventType": row.event_type,
                "attempts": row.attempts,
                "lastError": row.last_error,
                "createdAt": row.created_at,
                "nextAttemptAt": row.next_attempt_at if row.dead_at is None else None,
                "deadAt": row.dead_at,
            }
            for row in rows
        ]

    return router
