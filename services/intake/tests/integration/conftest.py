"""Intake's handlers against its real, migrated schema: each test gets a database of its own."""

import pytest

from intake.tables import messaging
from intake.unit_of_work import IntakeUnitOfWork
from orderdesk_shared.db import Database


@pytest.fixture
async def database(service_database):
    db = Database(
        url=await service_database("intake"), tables=messaging, source="intake", unit_of_work=IntakeUnitOfWork
    )
    yield db
    await db.dispose()
