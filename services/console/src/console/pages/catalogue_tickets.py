"""Missing billing codes: fulfillment-handoff's catalogue tickets, closed by adding the code to its map."""

from typing import Annotated, Any

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, Response

from console.pages.common import FULFILLMENT, Person, act, page_from_service, page_router
from orderdesk_shared.context import ContextDep

router = page_router()


@router.get("/catalogue-tickets", response_class=HTMLResponse)
async def catalogue_tickets(request: Request, person: Person, context: ContextDep) -> HTMLResponse:
    """Open tickets for missing billing codes, with the orders each holds, from fulfillment-handoff."""
    today = context.clock().date().isoformat()
    return await page_from_service(
        request,
        person,
        "catalogue_tickets.html",
        FULFILLMENT,
        "/fulfillment/catalogue-tickets",
        shown_as="tickets",
        today=today,
    )


@router.post("/billing-codes")
async def add_billing_code(
    person: Person,
    price_component: Annotated[str, Form()],
    billing_system: Annotated[str, Form()],
    market: Annotated[str, Form()],
    billing_code: Annotated[str, Form()],
    effective_from: Annotated[str, Form()],
) -> Response:
    """Add the missing code to fulfillment-handoff's map, which hands off every order it was the last one missing."""
    code = billing_code.strip()

    def added(change: dict[str, Any]) -> str:
        released = ", ".join(change["releasedOrders"]) or "none"
        return f"Added {code} for {price_component} on {billing_system} in {market}: orders released: {released}"

    return await act(
        person,
        FULFILLMENT,
        "/fulfillment/billing-codes",
        {
            "priceComponent": price_component,
            "billingSystem": billing_system,
            "market": market,
            "billingCode": code,
            "effectiveFrom": effective_from,
        },
        back_to="/catalogue-tickets",
        done=added,
    )
