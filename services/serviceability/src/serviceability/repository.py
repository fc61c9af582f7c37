"""Queries over serviceability's qualifications."""

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk_shared.db import insert_if_absent
from orderdesk_shared.events.serviceability import QualificationResult, SiteQualification
from serviceability.tables import qualifications


async def record_qualification(
    connection: AsyncConnection, *, order_id: str, order_version: int, sites: list[SiteQualification]
) -> bool:
    """Store the decision; False when this order version was decided before."""
    results = {site.result for site in sites}
    overall = next(
        (r for r in (QualificationResult.UNQUALIFIED, QualificationResult.ALTERNATE) if r in results),
        QualificationResult.QUALIFIED,
    )
    return await insert_if_absent(
        connection,
        qualifications,
        order_id=order_id,
        order_version=order_version,
        result=overall,
        sites=[site.model_dump(mode="json", by_alias=True, exclude_none=True) for site in sites],
    )


async def get_qualification(connection: AsyncConnection, order_id: str) -> sa.Row | None:
    return (await connection.execute(sa.select(qualifications).where(qualifications.c.order_id == order_id))).first()
