"""The stack's Jaeger: the console's trace link of an order opens that order's trace there."""

import re
import secrets

import httpx
import pytest

from console.pages import TOKEN_COOKIE
from orderdesk_shared.auth import Role
from orderdesk_stack.order_generator import generate_orders
from orderdesk_stack.pipeline import PRODUCT_ORDER_PATH
from orderdesk_stack.testing import eventually
from tests.conftest import bearer

pytestmark = pytest.mark.e2e


async def test_the_consoles_trace_link_of_an_order_opens_its_trace_in_the_stacks_jaeger(stack, intake, jaeger):
    [generated] = generate_orders(1, seed=secrets.randbelow(10_000), invalid_share=0.0)
    created = await intake.post(
        PRODUCT_ORDER_PATH, json=generated.body, headers=bearer(stack, generated.submitted_by, Role.SALES_REP)
    )
    assert created.status_code == 201, created.text
    order_id = created.json()["id"]

    sre = stack.token_signer.mint("sre-1", [Role.SRE])
    async with httpx.AsyncClient(base_url=stack.service_url("console"), cookies={TOKEN_COOKIE: sre}) as console:

        async def trace_link() -> str | None:
            page = await console.get(f"/orders/{order_id}")
            found = re.search(r'id="trace-link" href="([^"]+)"', page.text)
            return found.group(1) if found else None

        link = await eventually(trace_link, bool, timeout=30)

    trace_id = link.rsplit("/", 1)[1]
    assert link == f"{stack.jaeger_url}/trace/{trace_id}"
    async with httpx.AsyncClient() as browser:
        ui = await browser.get(link)
    assert ui.status_code == 200 and "<title>Traces · OrderDesk · Jaeger</title>" in ui.text, ui.text[:300]

    # Each service exports its spans on its own schedule: wait for both ends of the order's journey.
    spans = await jaeger.wait_for_spans(
        trace_id, lambda spans: {"console", "intake"} <= {span["service"] for span in spans}
    )
    intake_requests = [span for span in spans if span["service"] == "intake" and span["kind"] == "server"]
    assert any(span["name"].startswith("POST") for span in intake_requests), f"no intake request in {spans}"
