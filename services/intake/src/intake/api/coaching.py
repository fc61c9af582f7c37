"""Coaching: the findings made on the reps' submissions."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from intake.api.dependencies import Coach, Db
from intake.repository import FindingsMade
from orderdesk_shared.context import ContextDep

coaching_router = APIRouter(prefix="/intake", tags=["coaching"])


@coaching_router.get("/coaching/findings")
async def coaching_findings(
    _: Coach,
    db: Db,
    context: ContextDep,
    since: Annotated[datetime, Query(description="start of the period (inclusive), ISO 8601")],
    until: Annotated[datetime | None, Query(description="end of the period (exclusive); now when left out")] = None,
) -> list[dict]:
    """Per rep and channel, how often each finding was made on their submissions: what to coach them on."""
    async with db.engine.connect() as connection:
        return await FindingsMade(connection).counts(since=since, until=until or context.clock())
