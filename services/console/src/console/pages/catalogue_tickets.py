"""Missing billing codes: fulfillment-handoff's catalogue tickets, closed by adding the code to its map."""

from typing import Annotated, Any

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import AliasGenerator, BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from console.pages.common import FULFILLMENT, Person, act, page_from_service, page_router
from orderdesk_shared.context import ContextDep

router = page_router()


class BillingCode(BaseModel):
    """The ticket's form: the missing code and where it applies, sent on as fulfillment-handoff's API names them."""

    model_config = ConfigDict(alias_generator=AliasGenerator(serialization_alias=to_camel), str_strip_whitespace=True)

    price_component: str
    billing_system: str
    market: str
    billing_code: str
    effective_from: str


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
async def add_billing_code(person: Person, form: Annotated[BillingCode, Form()]) -> Response:
    """Add the missing code to fulfillment-handoff's map, which hands off every order it was the last one missing."""

    def added(change: dict[str, Any]) -> str:
        released = ", ".join(change["releasedOrders"]) or "none"
        where = f"for {form.price_component} on {form.billing_system} in {form.market}"
        return f"Added {form.billing_code} {where}: orders released: {released}"

    return await act(
        person,
        FULFILLMENT,
        "/fulfillment/billing-codes",
        form.model_dump(by_alias=True),
        back_to="/catalogue-tickets",
        done=added,
    )
