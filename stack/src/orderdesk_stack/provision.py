"""One database, and per service a login role that owns its schema and can touch nothing else.

Local passwords are derived from the role name with HMAC-SHA256 keyed by ORDERDESK_DB_PASSWORD_SECRET
(default "orderdesk-local"), so a stack can be re-provisioned and re-addressed without storing them.
Set that variable to anything private wherever the server is reachable by others.
"""

import hashlib
import hmac
import os
import re
import subprocess
import sys
from collections.abc import Iterable, Mapping

import asyncpg
from sqlalchemy.engine import make_url

from orderdesk_stack.paths import repo_root
from orderdesk_stack.services import Service

DATABASE = "orderdesk"
PASSWORD_SECRET_ENV = "ORDERDESK_DB_PASSWORD_SECRET"
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def role_password(role: str) -> str:
    """`<ROLE>_DB_PASSWORD` when set (a deployment's own secret), else derived from PASSWORD_SECRET_ENV."""
    if explicit := os.environ.get(f"{role.upper()}_DB_PASSWORD"):
        return explicit
    secret = os.environ.get(PASSWORD_SECRET_ENV) or "orderdesk-local"
    return hmac.new(secret.encode(), role.encode(), hashlib.sha256).hexdigest()[:32]


def asyncpg_dsn(url: str, *, database: str | None = None) -> str:
    """The libpq-style URL asyncpg.connect accepts, from any SQLAlchemy-style Postgres URL."""
    parsed = make_url(url).set(drivername="postgresql")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


def database_url(admin_url: str, *, role: str, database: str) -> str:
    """The SQLAlchemy asyncpg URL a service uses: its own role on the admin URL's server."""
    url = make_url(admin_url).set(
        drivername="postgresql+asyncpg", username=role, password=role_password(role), database=database
    )
    return url.render_as_string(hide_password=False)


def service_database_url(admin_url: str, service: Service, *, database: str = DATABASE) -> str:
    return database_url(admin_url, role=service.role, database=database)


async def provision_database(
    admin_url: str, services: Iterable[Service], *, database: str = DATABASE
) -> dict[str, str]:
    """Create the database and each service's role and schema (idempotent); return URLs by service name."""
    services = list(services)
    await provision_schemas(admin_url, database=database, roles=[service.role for service in services])
    return {service.name: service_database_url(admin_url, service, database=database) for service in services}


async def provision_schemas(admin_url: str, *, database: str, roles: Iterable[str]) -> None:
    """Ensure the database, and for each role a login with its password and a schema it alone owns."""
    roles = [_checked_identifier(role) for role in roles]
    database = _checked_identifier(database)
    admin = await asyncpg.connect(asyncpg_dsn(admin_url))
    try:
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database):
            await admin.execute(f'CREATE DATABASE "{database}"')
        # Nobody connects or makes temp tables unless granted below.
        await admin.execute(f'REVOKE ALL ON DATABASE "{database}" FROM PUBLIC')
        for role in roles:
            await _ensure_login_role(admin, role)
            await admin.execute(f'GRANT CONNECT ON DATABASE "{database}" TO "{role}"')
    finally:
        await admin.close()

    admin = await asyncpg.connect(asyncpg_dsn(admin_url, database=database))
    try:
        await admin.execute("REVOKE ALL ON SCHEMA public FROM PUBLIC")
        for role in roles:
            await admin.execute(f'CREATE SCHEMA IF NOT EXISTS "{role}" AUTHORIZATION "{role}"')
            await admin.execute(f'ALTER SCHEMA "{role}" OWNER TO "{role}"')
    finally:
        await admin.close()


async def drop_schemas(admin_url: str, *, database: str, roles: Iterable[str]) -> None:
    """Remove a database made by provision_schemas and its roles (for test isolation)."""
    database = _checked_identifier(database)
    admin = await asyncpg.connect(asyncpg_dsn(admin_url))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        for role in roles:
            await admin.execute(f'DROP ROLE IF EXISTS "{_checked_identifier(role)}"')
    finally:
        await admin.close()


async def _ensure_login_role(admin: asyncpg.Connection, role: str) -> None:
    exists = await admin.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role)
    verb = "ALTER" if exists else "CREATE"
    # DDL takes no parameters: the password goes in as a literal with its quotes doubled.
    password = role_password(role).replace("'", "''")
    await admin.execute(
        f"{verb} ROLE \"{role}\" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD '{password}'"
    )
    await admin.execute(f'ALTER ROLE "{role}" SET search_path = "{role}"')


def _checked_identifier(name: str) -> str:
    """Names are interpolated into DDL (which takes no parameters), so only plain identifiers pass."""
    if not _IDENTIFIER.match(name):
        raise ValueError(f"not a plain lower-case SQL identifier: {name!r}")
    return name


def migrate(service_urls: Mapping[Service, str]) -> None:
    """Run every service's Alembic migrations to head, side by side (each touches only its own schema)."""
    running = {
        service: subprocess.Popen(
            [sys.executable, "-m", "alembic", "-c", str(service.alembic_ini), "upgrade", "head"],
            cwd=repo_root(),
            env={**os.environ, f"{service.env_prefix}DATABASE_URL": url},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for service, url in service_urls.items()
    }
    failures = []
    for service, process in running.items():
        output, _ = process.communicate()
        if process.returncode != 0:
            failures.append(f"{service.name} (alembic exited {process.returncode}):\n{output.strip()}")
    if failures:
        raise RuntimeError("migrations failed for " + "\n\n".join(failures))
