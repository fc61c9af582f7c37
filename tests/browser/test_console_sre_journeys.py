"""The console in a real browser (Debian's Chromium, headless) against the running stack: what an SRE does
with it, from an order's trace in Jaeger to a dead letter replayed or discarded."""

import re
import secrets

import httpx
import pytest
from playwright.async_api import expect

from orderdesk_shared.auth import Role
from orderdesk_stack.order_generator import generate_orders
from orderdesk_stack.pipeline import PRODUCT_ORDER_PATH
from orderdesk_stack.testing import eventually
from tests.browser.console_pages import screenshot, sign_in, until_in_console
from tests.conftest import SERVICEABILITY_HANDLER_TIMEOUT_SECONDS, bearer, publish_poison_record
from tests.e2e.test_operations_api import order_serviceability_dead_lettered

pytestmark = pytest.mark.e2e


async def test_an_sre_follows_an_orders_trace_link_into_the_stacks_jaeger(stack, intake, console, jaeger):
    [generated] = generate_orders(1, seed=1717, invalid_share=0.0)
    rep = bearer(stack, generated.submitted_by, Role.SALES_REP)
    order_id = (await intake.post(PRODUCT_ORDER_PATH, json=generated.body, headers=rep)).json()["id"]
    trace_id = (await until_in_console(stack, order_id))["traceId"]
    await jaeger.wait_for_spans(trace_id, lambda spans: {"intake", "console"} <= {span["service"] for span in spans})

    await sign_in(console, "sam-sre", Role.SRE)
    await console.goto(f"/orders/{order_id}")
    async with console.context.expect_page() as opened:
        await console.locator("#trace-link").click()
    trace_page = await opened.value
    await expect(trace_page).to_have_url(f"{stack.jaeger_url}/trace/{trace_id}")
    await expect(trace_page.locator("h1")).to_contain_text(trace_id)
    intake_request = trace_page.locator("tr.span").filter(has_text=re.compile(r"^intake POST"))
    await expect(intake_request.first).to_be_visible()
    await expect(trace_page.locator("tr.span").filter(has_text=re.compile(r"^console "))).not_to_have_count(0)
    await intake_request.first.click()
    await expect(trace_page.locator("dl").first).to_be_visible()
    await screenshot(trace_page, "sre-order-trace-in-jaeger")


async def _dead_letters_about(stack, service: str, order_id: str) -> list[dict]:
    """The service's open dead letters about the order, as its operations API lists them to an SRE."""
    async with httpx.AsyncClient(base_url=stack.service_url(service), timeout=10.0) as client:
        response = await client.get("/ops/dead-letters", headers=bearer(stack, "sre-1", Role.SRE))
    return [letter for letter in response.json() if letter["key"] == order_id] if response.is_success else []


async def test_an_sre_replays_a_dead_letter_from_the_console_and_the_order_moves_on(stack, intake, console):
    """Serviceability cannot store its decision on an order while a row it must write is held from outside: the
    order's record times out on every attempt and is dead-lettered. Once the row is let go, an SRE replays the
    record from the SRE page, and the order moves on."""

    async def sre_page_while_serviceability_is_down() -> None:
        await sign_in(console, "sam", Role.SRE)
        await console.get_by_role("link", name="SRE", exact=True).click()
        await expect(console.locator('tr[data-service="serviceability"]')).to_contain_text("unavailable")
        await expect(console.locator('tr[data-service="intake"] .outbox-backlog')).to_have_text(re.compile(r"^\d+$"))
        await expect(console.locator('table.consumer-lag tr[data-group="intake"]').first).to_be_visible()

    order_id = await order_serviceability_dead_lettered(
        stack, intake, seed=1717, while_serviceability_is_down=sre_page_while_serviceability_is_down
    )
    await until_in_console(stack, order_id, stage="validated")

    await console.reload()
    letter = console.locator(f'table.dead-letters tr[data-key="{order_id}"]')
    await expect(letter).to_contain_text("HandlerTimeout")
    reason = f"handler timed out after {SERVICEABILITY_HANDLER_TIMEOUT_SECONDS} s (3 attempts)"
    group = console.locator("section.dead-letter-group", has=letter)
    await expect(group).to_contain_text(f"orders.validated: {reason}")
    await letter.locator("summary").click()
    await expect(letter.locator("pre.payload")).to_contain_text(order_id)
    await screenshot(console, "sre-dead-letter")

    await _settle(console, letter, "Replay", note="the row is let go", audit_shows=("orders.validated", order_id))
    await expect(console.locator(f'table.dead-letters tr[data-key="{order_id}"]')).to_have_count(0)

    await console.get_by_role("link", name=order_id).first.click()
    await expect(console.locator("#stage")).not_to_have_text("validated", timeout=60_000)
    await expect(console.locator("table.timeline")).to_contain_text("qualified")
    await screenshot(console, "sre-replayed-order-moved-on")


async def test_an_sre_discards_a_dead_letter_with_a_note_and_its_audit_line_says_so(stack, console):
    order_id = f"PO-JUNK-{secrets.token_hex(4).upper()}"
    await publish_poison_record(stack, order_id)
    await eventually(
        lambda: _dead_letters_about(stack, "serviceability", order_id), lambda found: len(found) == 1, timeout=60
    )

    await sign_in(console, "sam", Role.SRE)
    await console.get_by_role("link", name="SRE", exact=True).click()
    letter = console.locator(f'table.dead-letters tr[data-key="{order_id}"][data-dead-letter^="serviceability/"]')
    await expect(letter).to_contain_text("ValidationError")
    note = "a malformed test record: nothing to redo"
    dead_letter = await _settle(console, letter, "Discard", note=note, audit_shows=(order_id, "invalid payload"))
    await expect(console.locator(f'table.dead-letters tr[data-dead-letter="{dead_letter}"]')).to_have_count(0)


async def _settle(console, letter, action: str, *, note: str, audit_shows: tuple[str, ...]) -> str:
    """Replay or discard the dead letter in `letter` as "sam" with a note; the console confirms it, and its audit line
    names who did what, with the note and `audit_shows`. The dead letter's id."""
    dead_letter = await letter.get_attribute("data-dead-letter")
    await letter.get_by_role("textbox").fill(note)
    await letter.get_by_role("button", name=action).click()
    done = f"{action.lower()}ed"
    await expect(console.get_by_role("status")).to_have_text(
        f"Dead letter {dead_letter.split('/')[1]} of serviceability is {done}."
    )
    audit = console.locator(f'table.dead-letter-audit tr[data-dead-letter="{dead_letter}"]')
    for shown in ("sam", done, note, *audit_shows):
        await expect(audit).to_contain_text(shown)
    return dead_letter
