"""Alembic plumbing shared by every service: migrate one schema, version table inside it."""

import asyncio
import os

import sqlalchemy as sa
from alembic import context
from sqlalchemy.ext.asyncio import create_async_engine


def run_env(*, metadata: sa.MetaData, url_variable: str) -> None:
    """The body of a service's migrations/env.py; the database URL comes from `url_variable`."""
    schema = metadata.schema
    url = os.environ[url_variable]

    def migrate(connection: sa.Connection) -> None:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            version_table_schema=schema,
            include_schemas=False,
        )
        with context.begin_transaction():
            context.run_migrations()

    async def run() -> None:
        engine = create_async_engine(url)
        async with engine.connect() as connection:
            await connection.run_sync(migrate)
            await connection.commit()
        await engine.dispose()

    asyncio.run(run())
