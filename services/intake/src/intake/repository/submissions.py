"""Channel submissions and the sources (channel, account, externalId) of orders: the first order of each source."""

import json
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from intake.tables import submissions
from orderdesk_shared.db import insert_if_absent


def canonical_bytes(document: dict | None) -> bytes:
    """A request document as bytes that compare equal whenever the documents do."""
    return json.dumps(document or {}, sort_keys=True, separators=(",", ":"), default=str).encode()


@dataclass(frozen=True)
class Submission:
    order_id: str
    document: bytes


class Submissions:
    """Channel submissions by source id, in the unit of work's transaction."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def claim(self, *, source_id: str, channel: str, order_id: str, document: bytes) -> str:
        """Record a channel submission; returns the order id of the first submission with this source id."""
        await insert_if_absent(
            self._connection, submissions, source_id=source_id, channel=channel, order_id=order_id, document=document
        )
        query = sa.select(submissions.c.order_id).where(submissions.c.source_id == source_id)
        return (await self._connection.execute(query)).scalar_one()

    async def repoint(self, source_id: str, *, order_id: str) -> None:
        """A channel submission found to be about an order its source made before: it points there."""
        await self._connection.execute(
            sa.update(submissions).where(submissions.c.source_id == source_id).values(order_id=order_id)
        )

    async def get(self, source_id: str) -> Submission | None:
        query = sa.select(submissions.c.order_id, submissions.c.document).where(submissions.c.source_id == source_id)
        row = (await self._connection.execute(query)).first()
        return Submission(row.order_id, bytes(row.document)) if row else None
