"""Alembic plumbing shared by every service: migrate one schema, version table inside it."""

import asyncio
import os
from typing import Any

import sqlalchemy as sa
from alembic import context
from sqlalchemy.ext.asyncio import create_async_engine


def comparison_options(connection: sa.Connection, schema: str) -> dict[str, Any]:
    """How a service's database on `connection` is compared with its metadata (autogenerate, the schema test): its
    own schema only, the version table left out, column types and server defaults compared too."""
    # The service's role works in its own schema by default, and alembic reflects the default schema's tables as
    # unnamed (schema None) where the metadata names it: a table's schema is always named instead, as PostgreSQL's
    # public one (in no service's search path) is default. Only reflection reads this; DDL names every schema.
    connection.dialect.default_schema_name = "public"
    return {
        "version_table_schema": schema,
        "include_schemas": True,
        "include_name": lambda name, type_, _parent: type_ != "schema" or name == schema,
        "compare_type": True,
        "compare_server_default": True,
    }


def run_env(*, metadata: sa.MetaData, url_variable: str) -> None:
    """The body of a service's migrations/env.py; the database URL comes from `url_variable`."""
    url = os.environ[url_variable]

    def migrate(connection: sa.Connection) -> None:
        options = comparison_options(connection, metadata.schema)
        context.configure(connection=connection, target_metadata=metadata, **options)
        with context.begin_transaction():
            context.run_migrations()

    async def run() -> None:
        engine = create_async_engine(url)
        async with engine.connect() as connection:
            await connection.run_sync(migrate)
            await connection.commit()
        await engine.dispose()

    asyncio.run(run())
