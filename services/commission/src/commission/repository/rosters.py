"""The roster versions commission announced."""

from sqlalchemy.ext.asyncio import AsyncConnection

from commission.tables import published_rosters
from orderdesk_shared.db import insert_if_absent


class PublishedRosters:
    """The roster versions announced on roster.published."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def first_publication(self, version: str) -> bool:
        """Note the version as announced; False if it was announced before."""
        return await insert_if_absent(self._connection, published_rosters, version=version)
