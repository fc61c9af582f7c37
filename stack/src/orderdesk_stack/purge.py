"""`orderdesk purge`: delete the inbox, dead-letter and published outbox rows past their retention, on demand."""

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from orderdesk_shared.db import Retention, purge_expired
from orderdesk_shared.messaging import messaging_tables
from orderdesk_stack.provision import DATABASE
from orderdesk_stack.services import Service


async def purge_services(
    admin_url: str, services: Iterable[Service], retention: Retention
) -> dict[str, dict[str, int]]:
    """Purge each service's messaging tables (as the admin, in its schema); rows deleted by service and table."""
    url = make_url(admin_url).set(drivername="postgresql+asyncpg", database=DATABASE)
    engine = create_async_engine(url)
    deleted: dict[str, dict[str, int]] = {}
    try:
        for service in services:
            tables = messaging_tables(sa.MetaData(schema=service.schema))
            async with engine.connect() as connection:
                deleted[service.name] = await purge_expired(connection, tables, retention)
    finally:
        await engine.dispose()
    return deleted
