"""Alembic plumbing shared by every service: migrate one schema, version table inside it."""

import asyncio
import os
from pathlib import Path

import sqlalchemy as sa
from alembic import command, context
from alembic.config import Config
from sqlalchemy.ext.asyncio import create_async_engine


def run_env(*, metadata: sa.MetaData, url_variable: str) -> None:
    """The body of a service's migrations/env.py; the database URL comes from `url_variable`."""
    schema = metadata.schema
    url = context.config.get_main_option("sqlalchemy.url") or os.environ[url_variable]

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


def upgrade(service_dir: Path, database_url: str) -> None:
    """Bring one service's schema to the newest migration (used by fixtures and the stack)."""
    config = Config(str(service_dir / "alembic.ini"))
    config.set_main_option("script_location", str(service_dir / "migrations"))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    command.upgrade(config, "head")
