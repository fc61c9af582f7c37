"""The rows the console keeps poll after poll, folding each poll's lines on what it kept, are the rows its whole
timelines fold to: whatever order the lines come in, and however they are split into polls."""

import random
from datetime import UTC, datetime, timedelta

import pytest

from console import repository
from console.domain.timeline import Recorded, entry_for
from console.handlers import keep_lines
from orderdesk_shared.events.fallout import FalloutKind
from orderdesk_shared.events.operations import OpsStatus
from orderdesk_shared.events.order import Stage
from orderdesk_shared.telemetry import Traced
from services.console.tests.builders import CONTEXT

pytestmark = pytest.mark.integration

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def _lines(events):
    return [
        entry_for(event, Recorded(f"m{n}", "test", START + timedelta(minutes=n), event.topic, None))
        for n, event in enumerate(events)
    ]


async def _keep(database, polls):
    for lines in polls:
        async with database.unit_of_work() as uow:
            await keep_lines(uow, [Traced.here(line) for line in lines], CONTEXT)
    async with database.engine.connect() as connection:
        return await repository.Orders(connection).get("PO-1")


async def test_rows_folded_on_poll_after_poll_are_the_rows_of_the_whole_timeline(database, journeys):
    held = journeys.fallout(FalloutKind.HELD, Stage.VALIDATED, "SITE_SURVEY_REQUIRED", "a site survey is needed")
    failed = journeys.operations(OpsStatus.FAILED, "2", reason="no access to the riser")
    stages = journeys.every_stage()
    lines = _lines([stages[0], journeys.rejection(), *stages[1:2], held, *stages[2:], failed])
    async with database.unit_of_work() as uow:
        await uow.orders.reset()
    whole = await _keep(database, [lines])

    shuffled = random.Random(20).sample(lines, k=len(lines))
    for polls in ([[line] for line in lines], [[line] for line in shuffled], [shuffled[:4], shuffled[4:], lines[-2:]]):
        async with database.unit_of_work() as uow:
            await uow.orders.reset()
        assert await _keep(database, polls) == whole
    assert (whole["state"], whole["item_states"]) == ("failed", {"1": "inProgress", "2": "failed"})
