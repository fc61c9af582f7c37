"""The SRE page as an SRE sees it: every service's status and dead letters (the console's own from its schema, the
others' through their operations APIs, stood in for here), replay and discard with a note, and the orders past
their SLA linked to their traces; a service that does not answer is shown as such."""

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from console.main import create_app
from console.settings import Settings
from orderdesk_shared.auth import Role
from orderdesk_shared.events.intake import OrderValidated
from orderdesk_shared.events.order import OrderState, Stage
from orderdesk_stack.processes import free_ports
from services.console.tests.builders import order_row, save_rows
from services.console.tests.integration.conftest import browse_as, notice, row_text

pytestmark = pytest.mark.integration

OTHER_SERVICES = ("intake", "serviceability", "pricing-approval", "fulfillment-handoff", "commission")
STATUS = {
    "service": "stand-in",
    "consumer": {
        "group": "stand-in",
        "topics": [OrderValidated.topic],
        "joined": True,
        "partitions": [{"topic": OrderValidated.topic, "partition": 3, "position": 40, "end": 52, "lag": 12}],
    },
    "outbox": {"backlog": 7, "relayLeader": True, "relayError": None},
    "deadLetters": {"open": 1},
}
LETTER = {
    "id": 41,
    "consumer": "stand-in",
    "topic": OrderValidated.topic,
    "readFrom": OrderValidated.topic,
    "partition": 3,
    "offset": 39,
    "key": "PO-DEAD-1",
    "headers": {"ce_id": "e-41", "ce_type": OrderValidated.event_type},
    "payload": {"orderId": "PO-DEAD-1", "orderVersion": 1},
    "payloadFormat": "json",
    "errorClass": "HandlerTimeout",
    "reason": "handler timed out after 10 s (3 attempts)",
    "createdAt": "2026-12-06T10:00:00Z",
    "resolution": None,
}


async def _console_dead_letter(app, *, key: str, replay_topic: str | None = None) -> int:
    """A record the console itself could not handle (read from `replay_topic` when it was a replay), kept as its
    consumer keeps one; its id."""
    table = app.state.runtime.database.tables.dead_letters
    async with app.state.runtime.database.engine.begin() as connection:
        return (
            await connection.execute(
                sa.insert(table)
                .values(
                    consumer="console",
                    topic=OrderValidated.topic,
                    replay_topic=replay_topic,
                    partition=1,
                    offset=int(datetime.now(UTC).timestamp() * 1000),
                    key=key,
                    headers={"ce_id": f"id-{key}", "ce_type": OrderValidated.event_type},
                    payload=json.dumps({"orderId": key}).encode(),
                    error_class="ValidationError",
                    reason="invalid payload: order: Field required",
                )
                .returning(table.c.id)
            )
        ).scalar_one()


async def test_only_an_sre_finds_the_sre_page(console_app, services):
    async with await browse_as(console_app, "dana", Role.SPECIALIST) as browser:
        assert ">SRE</a>" not in (await browser.get("/")).text
        assert "This page is for SREs." in (await browser.get("/sre")).text
        refused = await browser.post("/sre/dead-letters/serviceability/41/replayed", data={"note": "?"})
    assert notice(refused.text) == "Only SREs replay or discard dead letters."
    assert services.calls == []
    async with await browse_as(console_app, "sam", Role.SRE) as browser:
        assert ">SRE</a>" in (await browser.get("/")).text


async def test_the_sre_page_shows_every_service_its_dead_letters_and_the_orders_past_their_sla(console_app, services):
    services.answer("GET", "/ops/status", STATUS)
    services.answer("GET", "/ops/dead-letters", [LETTER])
    key = f"PO-CONSOLE-{datetime.now(UTC).timestamp():.0f}"
    own = await _console_dead_letter(console_app, key=key)
    failed_again = await _console_dead_letter(console_app, key=f"{key}-AGAIN", replay_topic="console.replay")
    now = datetime.now(UTC)
    since = now - timedelta(days=3)
    late = f"{key}-LATE"
    overdue = order_row(late, stage=Stage.VALIDATED, state=OrderState.IN_PROGRESS, since=since, trace_id="ab12")
    await save_rows(console_app.state.runtime.database, overdue, sla_due_at=now - timedelta(hours=2))

    async with await browse_as(console_app, "sam", Role.SRE) as browser:
        page = await browser.get("/sre")
    assert page.status_code == 200
    for service in OTHER_SERVICES:
        assert row_text(page.text, "data-service", service) == f"{service} yes stand-in 7 relaying 1"
    assert row_text(page.text, "data-service", "console").startswith("console yes console (not joined)")
    assert {call.caller for call in services.calls} == {"sam"}
    assert {(call.path, call.query.get("state")) for call in services.calls} == {
        ("/ops/status", None),
        ("/ops/dead-letters", "open"),
        ("/ops/dead-letters", "resolved"),
    }

    group = r"<h3><code>orders.validated</code>: handler timed out after 10 s \(3 attempts\) <small>\(5\)"
    assert re.search(group, page.text), "the five services' timeouts are one group"
    shown = row_text(page.text, "data-dead-letter", "serviceability/41")
    assert "serviceability (stand-in) partition 3, offset 39 PO-DEAD-1 HandlerTimeout 2026-12-06 10:00 UTC" in shown
    assert 'formaction="/sre/dead-letters/serviceability/41/replayed"' in page.text
    assert "invalid payload: order: Field required" in page.text
    assert key in row_text(page.text, "data-dead-letter", f"console/{own}")
    assert row_text(page.text, "data-dead-letter", f"console/{own}").startswith("console partition 1, offset")
    again = row_text(page.text, "data-dead-letter", f"console/{failed_again}")
    assert again.startswith("console replayed, read from console.replay partition 1, offset")
    assert row_text(page.text, "data-group", "stand-in") == "stand-in orders.validated 12 3: 12"

    assert row_text(page.text, "data-order-id", late).startswith(f"{late} validated inProgress")
    assert f'href="{console_app.state.runtime.settings.trace_url("ab12")}"' in page.text


async def test_a_service_that_does_not_answer_is_shown_unavailable(service_database, services):
    [closed_port] = free_ports(1)
    nowhere = f"http://127.0.0.1:{closed_port}"
    settings = Settings(
        database_url=await service_database("console"),
        **{f"{service.replace('-', '_')}_url": nowhere for service in OTHER_SERVICES},
    )
    app = create_app(settings)
    try:
        async with await browse_as(app, "sam", Role.SRE) as browser:
            page = await browser.get("/sre")
    finally:
        await app.state.runtime.database.dispose()
    assert page.status_code == 200
    for service in OTHER_SERVICES:
        assert row_text(page.text, "data-service", service) == f"{service} unavailable: did not answer: ConnectError"


async def test_a_service_that_refuses_is_shown_with_its_reason(console_app, services):
    async with await browse_as(console_app, "sam", Role.SRE) as browser:
        page = await browser.get("/sre")
    assert page.status_code == 200
    assert row_text(page.text, "data-service", "intake") == "intake unavailable: refused: 404 Not Found"


async def test_an_sre_replays_or_discards_through_the_owning_service_with_a_note(console_app, services):
    services.answer("POST", "/ops/dead-letters/41/replay", LETTER)
    services.answer("POST", "/ops/dead-letters/42/discard", {"title": "Conflict", "detail": "already replayed"}, 409)
    async with await browse_as(console_app, "sam", Role.SRE) as browser:
        replayed = await browser.post("/sre/dead-letters/serviceability/41/replayed", data={"note": " lock let go "})
        refused = await browser.post("/sre/dead-letters/intake/42/discarded", data={"note": ""})
        unknown = await browser.post("/sre/dead-letters/billing/1/discarded", data={"note": ""})
    assert notice(replayed.text) == "Dead letter 41 of serviceability is replayed."
    call = services.posted("/ops/dead-letters/41/replay")
    assert (call.caller, call.body) == ("sam", {"note": "lock let go"})
    assert notice(refused.text) == "intake refused: 409 already replayed"
    assert notice(unknown.text) == "No service billing here."


async def test_the_console_replays_its_own_dead_letter_through_its_outbox_with_an_audit_line(console_app, services):
    key = f"PO-OWN-{datetime.now(UTC).timestamp():.0f}"
    own = await _console_dead_letter(console_app, key=key)
    async with await browse_as(console_app, "sam", Role.SRE) as browser:
        replayed = await browser.post(f"/sre/dead-letters/console/{own}/replayed", data={"note": "schema fixed"})
        again = await browser.post(f"/sre/dead-letters/console/{own}/discarded", data={"note": ""})
    assert notice(replayed.text) == f"Dead letter {own} of console is replayed."
    assert notice(again.text).startswith(f"The console refused: dead letter {own} was replayed by sam at ")
    audit = row_text(replayed.text, "data-dead-letter", f"console/{own}")
    assert re.fullmatch(
        rf"\S+ \S+ UTC sam replayed console orders.validated {key} invalid payload: .+ schema fixed", audit
    )

    outbox = console_app.state.runtime.database.tables.outbox
    async with console_app.state.runtime.database.engine.connect() as connection:
        [row] = (await connection.execute(sa.select(outbox).where(outbox.c.aggregate_id == key))).mappings()
    # To the console's own replay topic (it may not write intake's), naming the record's topic.
    assert (row["topic"], row["headers"]["ce_id"], json.loads(row["payload"])) == (
        "console.replay",
        f"id-{key}",
        {"orderId": key},
    )
    assert row["headers"]["replay-source-topic"] == OrderValidated.topic
