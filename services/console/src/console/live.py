"""Live pages: the console hears each change to an order from Postgres (LISTEN/NOTIFY, sent in the transaction that
made it, so a page hears of it only once it is committed) and wakes the open pages' server-sent event streams."""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterator, Sequence

import anyio
import sqlalchemy as sa
from prometheus_client import Gauge
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk_shared.db import Database
from orderdesk_shared.errors import DATABASE_FAILURES, logged_error
from orderdesk_shared.logs import get_logger

log = get_logger(__name__)

ORDER_CHANGED_CHANNEL = "console_order_changed"
# How often the listening connection is checked: a connection that died in silence would hear nothing.
LISTEN_CHECK_SECONDS = 10.0
RECONNECT_SECONDS = 1.0
LIVE_PAGES = Gauge("console_live_pages", "Pages following the console's live updates")


_ANNOUNCE = sa.text(
    f"SELECT pg_notify('{ORDER_CHANGED_CHANNEL}', order_id) FROM unnest(CAST(:order_ids AS text[])) AS order_id"
).bindparams(sa.bindparam("order_ids", type_=postgresql.ARRAY(sa.Text)))


class LivePages:
    """The live pages' notices of changed orders, sent in the transaction that changed them."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def announce(self, order_ids: Sequence[str]) -> None:
        """Tell the live pages these orders changed, once this transaction commits."""
        await self._connection.execute(_ANNOUNCE, {"order_ids": list(order_ids)})


async def first_of(*waits: Callable[[], Awaitable[object]]) -> None:
    """Wait until one of `waits` is over, and stop waiting for the others."""
    async with anyio.create_task_group() as group:

        async def until_over(wait: Callable[[], Awaitable[object]]) -> None:
            await wait()
            group.cancel_scope.cancel()

        for wait in waits:
            group.start_soon(until_over, wait)


class Subscription:
    """One live page's interest: every order, or one."""

    def __init__(self, order_id: str | None) -> None:
        self.order_id = order_id
        self._woken = asyncio.Event()

    def hear(self, order_id: str | None) -> None:
        """An order changed (None: any may have, while nobody listened)."""
        if order_id is None or self.order_id in (None, order_id):
            self._woken.set()

    async def changed(self) -> None:
        """Wait until what the page shows may have changed."""
        await self._woken.wait()
        self._woken.clear()


class OrderChanges:
    """The database's order-change notifications, fanned out to every live page."""

    def __init__(self) -> None:
        self._subscriptions: set[Subscription] = set()

    @contextlib.contextmanager
    def subscribe(self, *, order_id: str | None = None) -> Iterator[Subscription]:
        """Follow changes to one order, or to all, until the block ends (the page closed or the server stops)."""
        subscription = Subscription(order_id)
        self._subscriptions.add(subscription)
        LIVE_PAGES.inc()
        try:
            yield subscription
        finally:
            self._subscriptions.discard(subscription)
            LIVE_PAGES.dec()

    def _tell(self, order_id: str | None) -> None:
        for subscription in self._subscriptions:
            subscription.hear(order_id)

    async def listen(self, database: Database) -> None:
        """Hear the notifications for as long as the console runs, connecting again when the connection fails."""
        while True:
            try:
                async with database.engine.connect() as connection:
                    listener = (await connection.get_raw_connection()).driver_connection
                    await listener.add_listener(ORDER_CHANGED_CHANNEL, self._heard)
                    self._tell(None)  # what changed while nobody listened is unknown: every page looks again
                    while True:
                        await asyncio.sleep(LISTEN_CHECK_SECONDS)
                        await listener.execute("SELECT 1")
            except DATABASE_FAILURES as error:
                log.warning("live pages stopped hearing order changes; listening again", error=logged_error(error))
                await asyncio.sleep(RECONNECT_SECONDS)

    def _heard(self, _connection: object, _pid: int, _channel: str, order_id: str) -> None:
        self._tell(order_id)
