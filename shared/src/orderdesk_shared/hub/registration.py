"""Registering listeners: the TMF hub routes of one API (`POST {api_root}/hub`, `DELETE {api_root}/hub/{id}`)."""

import secrets
import uuid
from collections.abc import Collection
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field

from orderdesk_shared.app import DatabaseDep
from orderdesk_shared.auth import Principal, Role, require_roles
from orderdesk_shared.hub.audiences import audience_of
from orderdesk_shared.hub.callbacks import ensure_callback_allowed
from orderdesk_shared.hub.fan_out import Hub
from orderdesk_shared.notifications import MAX_CALLBACK_CHARS, MAX_QUERY_CHARS, InvalidSubscription, parse_query

MIN_SECRET_CHARS = 16
MAX_SECRET_CHARS = 200


class EventSubscriptionInput(BaseModel):
    """TMF EventSubscriptionInput, with OrderDesk's optional `secret` for the signature."""

    model_config = ConfigDict(extra="ignore")

    callback: str = Field(min_length=1, max_length=MAX_CALLBACK_CHARS)
    query: str | None = Field(default=None, max_length=MAX_QUERY_CHARS)
    secret: str | None = Field(
        default=None,
        min_length=MIN_SECRET_CHARS,
        max_length=MAX_SECRET_CHARS,
        description="the key of the HMAC-SHA256 signature of each notification; one is made and returned once "
        "when left out",
    )


def hub_router(*, api_root: str, hub: Hub, event_types: Collection[str], registrants: Collection[Role]) -> APIRouter:
    """The TMF hub routes of one API: register a listener, unregister it."""
    router = APIRouter(prefix=api_root, tags=["events subscription"])
    Registrant = Annotated[Principal, Depends(require_roles(*registrants))]
    subscriptions = hub.tables.subscriptions

    @router.post("/hub", status_code=status.HTTP_201_CREATED)
    async def register_listener(
        body: EventSubscriptionInput, principal: Registrant, db: DatabaseDep, request: Request, response: Response
    ) -> dict:
        """Register a listener for this API's events (those its query selects, of what the caller may read).

        Each notification is signed (X-Hub-Signature-256) with the `secret` given, or with one made here and
        returned once, in this answer.
        """
        try:
            conditions = parse_query(body.query, event_types=event_types)
            await ensure_callback_allowed(body.callback, request.app.state.runtime.settings)
        except InvalidSubscription as invalid:
            raise RequestValidationError(
                [{"loc": ("body", invalid.field), "msg": invalid.reason, "type": "value_error"}]
            ) from invalid
        subscription_id = str(uuid.uuid4())
        secret = body.secret or secrets.token_urlsafe(32)
        async with db.unit_of_work() as uow:
            await uow.connection.execute(
                sa.insert(subscriptions).values(
                    id=subscription_id,
                    callback=body.callback,
                    query=body.query,
                    filter=conditions,
                    secret=secret,
                    registrant=principal.subject,
                    audience=audience_of(principal),
                )
            )
        response.headers["Location"] = f"{api_root}/hub/{subscription_id}"
        registered = {"id": subscription_id, "callback": body.callback, "query": body.query}
        return registered | ({} if body.secret else {"secret": secret})

    @router.delete("/hub/{subscription_id}", status_code=status.HTTP_204_NO_CONTENT)
    async def unregister_listener(subscription_id: str, principal: Registrant, db: DatabaseDep) -> Response:
        """Unregister a listener: nothing more is delivered to it. Only its registrant may."""
        async with db.unit_of_work() as uow:
            removed = await uow.connection.execute(
                sa.delete(subscriptions)
                .where(subscriptions.c.id == subscription_id, subscriptions.c.registrant == principal.subject)
                .returning(subscriptions.c.id)
            )
            if removed.first() is None:
                raise HTTPException(status.HTTP_404_NOT_FOUND, f"no listener {subscription_id}")
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    return router
