"""The dashboard's figures from the real schema: open orders' age in their stage, and the hourly throughput."""

from datetime import UTC, datetime, timedelta

import pytest

from console import repository
from console.domain.timeline import OrderRow
from orderdesk_shared.events.order import OrderState, Stage
from services.console.tests.builders import order_row, save_rows

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 30, 15, 30, tzinfo=UTC)


def _order(order_id: str, stage: Stage, *, in_stage: timedelta, received: timedelta, **more) -> OrderRow:
    state = more.pop("state", OrderState.IN_PROGRESS)
    return order_row(order_id, stage=stage, state=state, since=NOW - in_stage, received_at=NOW - received, **more)


async def _figures(database, *rows: OrderRow) -> dict:
    await save_rows(database, *rows)
    async with database.engine.connect() as connection:
        return await repository.Orders(connection).figures(now=NOW)


async def test_open_orders_are_counted_by_how_long_they_have_been_in_their_stage(database):
    figures = await _figures(
        database,
        _order("PO-fresh", Stage.VALIDATED, in_stage=timedelta(hours=1), received=timedelta(hours=1)),
        _order("PO-today", Stage.VALIDATED, in_stage=timedelta(hours=5), received=timedelta(hours=5)),
        _order("PO-days", Stage.PRICED, in_stage=timedelta(days=2), received=timedelta(days=2)),
        _order("PO-stale", Stage.PRICED, in_stage=timedelta(days=5), received=timedelta(days=5)),
        _order("PO-done", Stage.RATIFIED, in_stage=timedelta(days=9), received=timedelta(days=9), state="completed"),
    )
    aging = figures["agingByStage"]
    assert aging["buckets"] == ["under 4 h", "4–24 h", "1–3 days", "over 3 days"]
    per_stage = {row["stage"]: row["orders"] for row in aging["perStage"]}
    assert per_stage["validated"] == [1, 1, 0, 0]
    assert per_stage["priced"] == [0, 0, 1, 1]
    assert per_stage["ratified"] == [0, 0, 0, 0]
    assert list(per_stage) == [str(stage) for stage in Stage]


async def test_throughput_counts_orders_received_handed_off_and_ratified_per_hour_of_the_last_day(database):
    figures = await _figures(
        database,
        _order("PO-new", Stage.VALIDATED, in_stage=timedelta(minutes=10), received=timedelta(minutes=10)),
        _order(
            "PO-moved",
            Stage.RATIFIED,
            in_stage=timedelta(minutes=5),
            received=timedelta(hours=2),
            handed_off_at=NOW - timedelta(minutes=20),
            ratified_at=NOW - timedelta(minutes=5),
        ),
        _order("PO-old", Stage.VALIDATED, in_stage=timedelta(hours=30), received=timedelta(hours=30)),
    )
    throughput = figures["throughput"]
    assert len(throughput["hours"]) == 24
    assert throughput["hours"][-1] == "2026-11-30T15:00:00+00:00"
    assert throughput["hours"][0] == "2026-11-29T16:00:00+00:00"
    last_three = {name: throughput[name][-3:] for name in ("received", "handedOff", "ratified")}
    assert last_three == {"received": [1, 0, 1], "handedOff": [0, 0, 1], "ratified": [0, 0, 1]}
    assert sum(throughput["received"]) == 2


async def test_a_search_finds_orders_by_id_external_id_account_or_any_of_their_reps(database):
    await _figures(
        database,
        _order(
            "PO-7F3A",
            Stage.PRICED,
            in_stage=timedelta(hours=1),
            received=timedelta(hours=2),
            external_id="OPP-0065e00000QxT9a",
            account="ACC-10017",
            sales_reps="rep-004, rep-011",
            submitted_by="crm",
        ),
        _order("PO-9B21", Stage.PRICED, in_stage=timedelta(hours=1), received=timedelta(hours=2), account="ACC-10020"),
    )

    async def found(search: str) -> list[str]:
        async with database.engine.connect() as connection:
            rows, _ = await repository.Orders(connection).page(search=search)
        return [row["id"] for row in rows]

    for search in ("po-7f3a", "QxT9a", "ACC-10017", "rep-011"):
        assert await found(search) == ["PO-7F3A"], search
    assert await found("rep-099") == []
