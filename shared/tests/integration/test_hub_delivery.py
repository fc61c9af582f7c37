"""The hub against a real Postgres and real HTTP listeners: what a unit of work fans out, and two replicas'
delivery loops sharing the work without ever sending a listener one notification twice or out of order."""

import asyncio
import json
import socket
import uuid
from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa
from aiohttp import web
from sqlalchemy.engine import make_url

from orderdesk_shared.db import Database
from orderdesk_shared.hub import Hub, HubDelivery, hub_tables
from orderdesk_shared.messaging import messaging_tables
from orderdesk_shared.notifications import SIGNATURE_HEADER, Notification, signature_holds
from orderdesk_shared.settings import ServiceSettings
from orderdesk_stack.testing import eventually, running

pytestmark = pytest.mark.integration

SECRET = "an-integration-secret"


@pytest.fixture
async def hub_database(postgres_admin_url: str) -> AsyncIterator[tuple[Database, Hub]]:
    schema = f"hub_{uuid.uuid4().hex[:10]}"
    metadata = sa.MetaData(schema=schema)
    tables, hub = messaging_tables(metadata), Hub(hub_tables(metadata))
    url = make_url(postgres_admin_url).set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)
    database = Database(url=url, tables=tables, source="hub-test")
    async with database.engine.begin() as connection:
        await connection.execute(sa.schema.CreateSchema(schema))
        await connection.run_sync(metadata.create_all)
    yield database, hub
    async with database.engine.begin() as connection:
        await connection.execute(sa.schema.DropSchema(schema, cascade=True))
    await database.dispose()


@pytest.fixture
def settings(monkeypatch):
    monkeypatch.setenv("ORDERDESK_DEPLOYMENT", "local")
    return ServiceSettings(
        service_name="hub-test",
        database_url="postgresql+asyncpg://unused",
        hub_retry_first_seconds=0.2,
        hub_retry_longest_seconds=0.5,
        hub_poll_seconds=0.2,
    )


class Listeners:
    """One HTTP server; each subscription's listener is a path of it, and keeps what it was sent, in order."""

    def __init__(self) -> None:
        self.received: dict[str, list[str]] = {}
        self.unsigned = 0
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]

    def callback(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/{name}"

    async def _take(self, request: web.Request) -> web.Response:
        body = await request.read()
        if not signature_holds(SECRET, body, request.headers.get(SIGNATURE_HEADER)):
            self.unsigned += 1
        await asyncio.sleep(0.01)  # a listener that takes its time, so the two loops overlap
        self.received.setdefault(request.match_info["name"], []).append(json.loads(body)["eventId"])
        return web.Response(status=204)

    async def serve(self) -> web.AppRunner:
        app = web.Application()
        app.router.add_post("/{name}", self._take)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", self.port).start()
        return runner


async def _subscribe(database: Database, hub: Hub, name: str, callback: str, *, audience=None, conditions=None):
    async with database.unit_of_work() as uow:
        await uow.connection.execute(
            sa.insert(hub.tables.subscriptions).values(
                id=name,
                callback=callback,
                filter=conditions or {},
                secret=SECRET,
                registrant="tester",
                audience=audience,
            )
        )


def _note(number: int, *, audience=("person:ann",), state="inProgress") -> Notification:
    return Notification(
        event_type="ProductOrderStateChangeEvent",
        resource_name="productOrder",
        resource={"id": f"PO-{number}", "state": state},
        audience=audience,
    )


async def _fanned_out(database: Database, hub: Hub) -> list[tuple[str, str]]:
    notifications = hub.tables.notifications
    async with database.engine.connect() as connection:
        rows = await connection.execute(
            sa.select(notifications.c.subscription_id, notifications.c.body).order_by(notifications.c.id)
        )
        return [(row.subscription_id, json.loads(row.body)["event"]["productOrder"]["id"]) for row in rows]


async def test_nothing_is_built_or_written_while_no_listener_is_registered(hub_database):
    database, hub = hub_database
    built = []
    async with database.unit_of_work() as uow:
        hub.notify(uow, lambda _: built.append("built") or [_note(1)])
    assert (built, await _fanned_out(database, hub)) == ([], [])


async def test_a_unit_of_work_fans_out_to_the_subscriptions_its_notifications_match(hub_database):
    database, hub = hub_database
    await _subscribe(database, hub, "everything", "http://127.0.0.1:9/a")
    await _subscribe(database, hub, "ann", "http://127.0.0.1:9/b", audience="person:ann")
    await _subscribe(
        database, hub, "completed", "http://127.0.0.1:9/c", conditions={"event.productOrder.state": ["completed"]}
    )
    async with database.unit_of_work() as uow:
        hub.notify(uow, lambda _: [_note(1), _note(2, audience=("person:bob",))])
        hub.notify(uow, lambda _: [_note(3, state="completed")])
    assert await _fanned_out(database, hub) == [
        ("ann", "PO-1"),
        ("everything", "PO-1"),
        ("everything", "PO-2"),
        ("ann", "PO-3"),
        ("completed", "PO-3"),
        ("everything", "PO-3"),
    ]
    # A transaction that rolls back notifies no one.
    with pytest.raises(RuntimeError):
        async with database.unit_of_work() as uow:
            hub.notify(uow, lambda _: [_note(4)])
            raise RuntimeError("the change failed")
    assert len(await _fanned_out(database, hub)) == 6


async def test_two_replicas_deliver_each_notification_once_and_each_listener_its_own_in_order(hub_database, settings):
    database, hub = hub_database
    listeners = Listeners()
    names = [f"listener-{n}" for n in range(4)]
    for name in names:
        await _subscribe(database, hub, name, listeners.callback(name))
    sent: list[str] = []
    for batch in range(5):
        notes = [_note(batch * 10 + n) for n in range(10)]
        sent += [note.event_id for note in notes]
        async with database.unit_of_work() as uow:
            hub.notify(uow, lambda _, notes=notes: notes)

    runner = await listeners.serve()
    try:
        replicas = (HubDelivery(hub, settings), HubDelivery(hub, settings))
        async with running(*(replica.run(database) for replica in replicas)):
            await eventually(lambda: _all_delivered(listeners, names, len(sent)), timeout=60)
    finally:
        await runner.cleanup()
    assert {name: listeners.received[name] for name in names} == {name: sent for name in names}
    assert listeners.unsigned == 0


async def _all_delivered(listeners: Listeners, names: list[str], count: int) -> bool:
    return all(len(listeners.received.get(name, [])) >= count for name in names)


async def test_a_loop_at_rest_is_woken_by_the_fan_out_not_by_polling(hub_database, settings):
    database, hub = hub_database
    listeners = Listeners()
    await _subscribe(database, hub, "woken", listeners.callback("woken"))
    runner = await listeners.serve()
    try:
        at_rest = settings.model_copy(update={"hub_poll_seconds": 3600.0})
        async with running(HubDelivery(hub, at_rest).run(database)):
            await asyncio.sleep(0.5)  # the loop has found nothing to deliver and sleeps
            note = _note(1)
            async with database.unit_of_work() as uow:
                hub.notify(uow, lambda _: [note])
            await eventually(lambda: _all_delivered(listeners, ["woken"], 1), timeout=30)
    finally:
        await runner.cleanup()
    assert listeners.received["woken"] == [note.event_id]


async def test_a_listener_that_was_away_gets_its_notifications_in_order_once_it_is_back(hub_database, settings):
    database, hub = hub_database
    listeners = Listeners()
    await _subscribe(database, hub, "away", listeners.callback("away"))
    notes = [_note(n) for n in range(5)]
    async with database.unit_of_work() as uow:
        hub.notify(uow, lambda _: notes)
    async with running(HubDelivery(hub, settings).run(database)):
        await asyncio.sleep(2)  # nobody listens: every attempt fails, and is retried
        runner = await listeners.serve()
        try:
            await eventually(lambda: _all_delivered(listeners, ["away"], len(notes)), timeout=30)
        finally:
            await runner.cleanup()
    assert listeners.received["away"] == [note.event_id for note in notes]
    attempts = hub.tables.notifications.c.attempts
    async with database.engine.connect() as connection:
        assert await connection.scalar(sa.select(sa.func.max(attempts))) > 1
