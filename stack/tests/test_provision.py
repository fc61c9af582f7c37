"""Provisioning gives each service a role that can work in its own schema and nowhere else."""

import secrets
from collections.abc import AsyncIterator, Awaitable, Callable

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from orderdesk_stack.provision import asyncpg_dsn, drop_schemas, provision_database, role_password
from orderdesk_stack.services import SERVICES, service_named

pytestmark = pytest.mark.integration


@pytest.fixture
async def database(postgres_admin_url: str) -> AsyncIterator[str]:
    """A fresh database name; the database is dropped afterwards (the cluster-wide roles stay)."""
    name = f"provision_{secrets.token_hex(4)}"
    yield name
    await drop_schemas(postgres_admin_url, database=name, roles=[])


@pytest.fixture
async def service_urls(postgres_admin_url: str, database: str) -> dict[str, str]:
    return await provision_database(postgres_admin_url, SERVICES, database=database)


async def connect_as(urls: dict[str, str], service: str) -> asyncpg.Connection:
    return await asyncpg.connect(asyncpg_dsn(urls[service]))


async def test_each_role_works_in_its_own_schema_by_default(service_urls: dict[str, str]) -> None:
    for service in SERVICES:
        connection = await connect_as(service_urls, service.name)
        try:
            assert await connection.fetchval("SELECT current_user") == service.role
            assert await connection.fetchval("SELECT current_schema()") == service.schema
            await connection.execute("CREATE TABLE ledger (id int PRIMARY KEY)")
            await connection.execute("INSERT INTO ledger VALUES (1)")
            assert await connection.fetchval(f'SELECT count(*) FROM "{service.schema}".ledger') == 1
        finally:
            await connection.close()


async def test_a_role_cannot_touch_another_services_schema(service_urls: dict[str, str]) -> None:
    intake = await connect_as(service_urls, "intake")
    try:
        await intake.execute("CREATE TABLE orders (id int PRIMARY KEY)")
    finally:
        await intake.close()

    fulfillment = service_named("fulfillment-handoff")
    intruder = await connect_as(service_urls, fulfillment.name)
    try:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await intruder.fetch("SELECT * FROM intake.orders")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await intruder.execute("INSERT INTO intake.orders VALUES (1)")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await intruder.execute("CREATE TABLE intake.sneaky (id int)")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await intruder.execute("CREATE TABLE public.shared (id int)")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await intruder.execute("CREATE SCHEMA elsewhere")
    finally:
        await intruder.close()


async def test_provisioning_again_keeps_data_and_logins(
    postgres_admin_url: str, database: str, service_urls: dict[str, str]
) -> None:
    commission = await connect_as(service_urls, "commission")
    await commission.execute("CREATE TABLE ratifications (id int)")
    await commission.close()

    assert await provision_database(postgres_admin_url, SERVICES, database=database) == service_urls

    commission = await connect_as(service_urls, "commission")
    try:
        assert await commission.fetchval("SELECT to_regclass('commission.ratifications') IS NOT NULL")
    finally:
        await commission.close()


async def test_database_factory_gives_each_test_its_own_database_and_role(
    database_factory: Callable[[str], Awaitable[str]],
) -> None:
    first_url, second_url = await database_factory("first"), await database_factory("second")
    first = await asyncpg.connect(asyncpg_dsn(first_url))
    try:
        await first.execute("CREATE TABLE notes (body text)")
        assert await first.fetchval("SELECT current_schema() = current_user")
    finally:
        await first.close()

    second_database = make_url(second_url).database
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await asyncpg.connect(asyncpg_dsn(first_url, database=second_database))


async def test_an_explicit_role_password_is_the_one_the_role_logs_in_with(
    postgres_admin_url: str, database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    derived = role_password("commission")
    monkeypatch.setenv("COMMISSION_DB_PASSWORD", "it's a secret")
    try:
        urls = await provision_database(postgres_admin_url, [service_named("commission")], database=database)
        assert make_url(urls["commission"]).password == "it's a secret" != derived
        connection = await connect_as(urls, "commission")
        assert await connection.fetchval("SELECT current_user") == "commission"
        await connection.close()
    finally:
        monkeypatch.delenv("COMMISSION_DB_PASSWORD")
        await provision_database(postgres_admin_url, [service_named("commission")], database=database)
