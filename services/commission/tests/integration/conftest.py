"""Commission on its real, migrated schema, with its API in process."""

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time

import httpx
import pytest_asyncio

from commission.main import create_app
from commission.rules_in_force import load_rules
from commission.settings import Settings
from commission.tables import messaging
from commission.unit_of_work import CommissionUnitOfWork
from orderdesk_shared.auth import Role
from orderdesk_shared.context import ServiceContext, service_context
from orderdesk_shared.db import Database
from orderdesk_stack.testing import session_token_signer


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def database_url(service_database) -> str:
    return await service_database("commission")


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def database(database_url) -> AsyncIterator[Database]:
    db = Database(url=database_url, tables=messaging, source="commission", unit_of_work=CommissionUnitOfWork)
    yield db
    await db.dispose()


RULES = load_rules(Settings.model_construct())


def on(day: date) -> ServiceContext:
    """Commission's context with its clock stopped on `day`."""
    return ServiceContext(rules=RULES, clock=lambda: datetime.combine(day, time(), UTC))


class Calendar:
    """The business day the API decides on, set by each test."""

    day = date(2026, 11, 28)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def api(database_url, kafka_admin) -> AsyncIterator[tuple[httpx.AsyncClient, Calendar]]:
    """The service's HTTP API on the same database; its consumer and relay are not started."""
    app = create_app(Settings(database_url=database_url, **kafka_admin.settings_fields()))
    calendar = Calendar()
    app.dependency_overrides[service_context] = lambda: on(calendar.day)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://commission") as client:
        yield client, calendar
    await app.state.runtime.database.dispose()


def bearer(subject: str, *roles: Role) -> dict[str, str]:
    return session_token_signer().bearer(subject, *roles)
