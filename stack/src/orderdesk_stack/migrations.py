"""Each service's migrations held against its tables: what its migrated schema lacks or has beyond its metadata."""

import importlib

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from orderdesk_shared.migrations import comparison_options
from orderdesk_stack.services import Service


def service_metadata(service: Service) -> sa.MetaData:
    """The metadata of the service's tables.py, which its migrations must build."""
    return importlib.import_module(f"{service.package}.tables").metadata


async def schema_differences(service: Service, url: str) -> list:
    """What alembic's autogenerate finds between the service's database at `url` and its metadata (empty: equal)."""
    metadata = service_metadata(service)

    def compare(connection: sa.Connection) -> list:
        context = MigrationContext.configure(connection, opts=comparison_options(connection, metadata.schema))
        return compare_metadata(context, metadata)

    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(compare)
    finally:
        await engine.dispose()
