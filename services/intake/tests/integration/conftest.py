"""Intake's handlers against its real, migrated schema: each test gets a database of its own."""

import httpx
import pytest

from intake.main import create_app
from intake.settings import Settings
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


@pytest.fixture
async def api(database):
    """The app without its lifespan: the desk's routes need only the database, so no consumer or relay runs."""
    settings = Settings(database_url=database.engine.url.render_as_string(hide_password=False))
    app = create_app(settings)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://intake") as client:
        yield client
    await app.state.runtime.database.dispose()
