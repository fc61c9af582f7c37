"""Serviceability on its real, migrated schema, with the shipped seed inventory, and its API in process."""

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
import sqlalchemy as sa

from orderdesk_shared.auth import Role
from orderdesk_shared.context import ServiceContext
from orderdesk_shared.db import Database
from orderdesk_shared.events.base import Fact
from orderdesk_stack.testing import session_token_signer
from serviceability.inventory import import_inventory
from serviceability.main import create_app
from serviceability.rules_in_force import load_rules
from serviceability.settings import SEED_INVENTORY, Settings
from serviceability.tables import messaging
from serviceability.unit_of_work import ServiceabilityUnitOfWork

# What the handlers decide with when a test calls them itself: the shipped rules and the clock.
CONTEXT = ServiceContext(rules=load_rules(Settings.model_construct()))


# One migrated, seeded database per test module: each test works on orders of its own.
@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def database_url(service_database) -> str:
    return await service_database("serviceability")


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def database(database_url) -> AsyncIterator[Database]:
    db = Database(url=database_url, tables=messaging, source="serviceability", unit_of_work=ServiceabilityUnitOfWork)
    async with db.unit_of_work() as uow:
        await import_inventory(uow, SEED_INVENTORY.read_text())
    yield db
    await db.dispose()


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def api(database, database_url, kafka_admin) -> AsyncIterator[httpx.AsyncClient]:
    """The service's HTTP API on the same database; its consumer and relay are not started."""
    app = create_app(Settings(database_url=database_url, **kafka_admin.settings_fields()))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://serviceability") as client:
        yield client
    await app.state.runtime.database.dispose()


def bearer(subject: str, *roles: Role) -> dict[str, str]:
    return session_token_signer().bearer(subject, *roles)


@pytest.fixture
def order_id() -> str:
    return f"PO-{uuid.uuid4().hex[:12].upper()}"


async def emitted(database: Database, model: type[Fact], order_id: str) -> list[Fact]:
    """Every event of this type about the order in the outbox, oldest first."""
    outbox = messaging.outbox
    async with database.engine.connect() as connection:
        rows = (
            await connection.execute(
                sa.select(outbox)
                .where(outbox.c.type == model.event_type, outbox.c.aggregate_id == order_id)
                .order_by(outbox.c.seq)
            )
        ).all()
    return [model.model_validate_json(row.payload) for row in rows]
