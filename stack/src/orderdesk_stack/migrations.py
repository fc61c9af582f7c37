"""Each service's migrations held against its tables: what its migrated schema lacks or has beyond its metadata,
and the next migration written from that difference."""

import asyncio
import importlib
import os
import secrets
import sys
from pathlib import Path
from unittest import mock

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import create_async_engine

from orderdesk_shared.migrations import comparison_options
from orderdesk_stack.paths import repo_root
from orderdesk_stack.provision import database_url, drop_schemas, migrate, provision_schemas
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


def write_next_migration(service: Service, message: str, *, admin_url: str, into: Path | None = None) -> Path:
    """Write the service's next migration: autogenerate's operations from a database migrated to head (made on
    the server of `admin_url`, dropped after) to the metadata. Into the service's versions directory, or `into`."""
    config = Config(str(service.alembic_ini))
    script = ScriptDirectory.from_config(config)
    # Revisions are numbered 0001, 0002…: the next is the one after head.
    revision = f"{int(script.get_current_head()) + 1:04d}"
    if into is not None:
        config.set_main_option("path_separator", "os")
        config.set_main_option("version_locations", os.pathsep.join((script.versions, str(into))))
    # The file as the project keeps every file: imports sorted and unused ones gone, formatted.
    config.set_section_option("post_write_hooks", "hooks", "ruff_fix, ruff_format")
    settings = f"--config {repo_root() / 'pyproject.toml'}"
    for hook, arguments in (("ruff_fix", "check --fix --quiet"), ("ruff_format", "format --quiet")):
        config.set_section_option("post_write_hooks", f"{hook}.type", "exec")
        config.set_section_option("post_write_hooks", f"{hook}.executable", str(Path(sys.executable).parent / "ruff"))
        options = f"{arguments} {settings} REVISION_SCRIPT_FILENAME"
        config.set_section_option("post_write_hooks", f"{hook}.options", options)

    database = f"migration_{service.schema}_{secrets.token_hex(4)}"
    asyncio.run(provision_schemas(admin_url, database=database, roles=[service.role]))
    try:
        url = database_url(admin_url, role=service.role, database=database)
        migrate({service: url})
        with mock.patch.dict("os.environ", {f"{service.env_prefix}DATABASE_URL": url}):
            written = command.revision(
                config, message, autogenerate=True, rev_id=revision, version_path=str(into) if into else None
            )
    finally:
        asyncio.run(drop_schemas(admin_url, database=database, roles=[]))
    return Path(written.path)
