"""Service requests in the running stack: a specialist opens an engineering review on an order from its console
page; it shows on the order's timeline and in the work queue as open with its owner and due time; marking it done
shows on the timeline and takes it off the queue."""

import html
from datetime import UTC, datetime

import httpx
import pytest

from console.pages import TOKEN_COOKIE
from orderdesk_shared.auth import Role
from orderdesk_stack.pipeline import PRODUCT_ORDER_PATH
from orderdesk_stack.testing import eventually
from tests.e2e.order_journeys import gigabit_internet_order, until_state

pytestmark = pytest.mark.e2e


async def test_an_engineering_review_is_on_the_timeline_and_in_the_queue_until_it_is_done(stack, intake, people):
    created = await intake.post(
        PRODUCT_ORDER_PATH, json=gigabit_internet_order(discount_percent=5, seed=91), headers=people["rep"]
    )
    assert created.status_code == 201, created.text
    order_id = created.json()["id"]
    await until_state(intake, order_id, people["rep"], "inProgress")
    async with httpx.AsyncClient(
        base_url=stack.service_url("console"),
        cookies={TOKEN_COOKIE: stack.token_signer.mint("dana", [Role.SPECIALIST])},
        timeout=30.0,
        follow_redirects=True,
    ) as console:

        async def order_page() -> str:
            return html.unescape((await console.get(f"/orders/{order_id}")).text)

        await eventually(order_page, lambda page: 'id="service-requests"' in page, what=f"{order_id} in the console")
        opened = await console.post(
            f"/orders/{order_id}/service-requests",
            data={"kind": "engineering-review", "description": "confirm the fibre route to the riser"},
        )
        assert "Opened Engineering review SR-" in html.unescape(opened.text), opened.text
        [request] = (
            await intake.get(f"/intake/orders/{order_id}/service-requests", headers=people["specialist"])
        ).json()
        assert (request["status"], request["owner"], request["openedBy"]) == ("open", "network-engineering", "dana")
        due = datetime.fromisoformat(request["dueAt"]).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")

        opened_line = f"Engineering review {request['id']} opened for network-engineering (engineering), due"
        timeline = await eventually(order_page, lambda page: opened_line in page, what="the opening on the timeline")
        assert "confirm the fibre route to the riser" in timeline

        async def queue() -> str:
            return html.unescape((await console.get("/queue")).text)

        def queued_row(page: str) -> str:
            start = page.find(f'id="service-request-{request["id"]}"')
            return page[start : page.find("</tr>", start)] if start >= 0 else ""

        listed = queued_row(await eventually(queue, queued_row, what="the request in the work queue"))
        assert order_id in listed and "network-engineering" in listed and "open" in listed
        assert due in listed and "overdue" not in listed

        done = await console.post(
            f"/orders/{order_id}/service-requests/{request['id']}", data={"status": "done", "note": "route confirmed"}
        )
        assert f"Engineering review {request['id']} is done." in html.unescape(done.text), done.text
        done_line = f"Engineering review {request['id']} done: route confirmed"
        await eventually(order_page, lambda page: done_line in page, what="the request done on the timeline")
        await eventually(queue, lambda page: not queued_row(page), what="the request off the work queue")
