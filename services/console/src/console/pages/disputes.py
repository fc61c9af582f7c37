"""Commission disputes: commission's open disputes, which analysts decide here."""

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, Response

from console.pages.common import COMMISSION, Person, act, page_from_service, page_router

router = page_router()


@router.get("/disputes", response_class=HTMLResponse)
async def disputes(request: Request, person: Person) -> HTMLResponse:
    """Open commission disputes, longest open first, from commission; analysts decide them here."""
    return await page_from_service(
        request,
        person,
        "disputes.html",
        COMMISSION,
        "/commission/disputes",
        shown_as="disputes",
        params={"state": "open"},
    )


@router.post("/disputes/{dispute_id}/decision")
async def decide_dispute(
    dispute_id: str,
    person: Person,
    decision: Annotated[str, Form()],
    reason: Annotated[str, Form()],
    adjustment: Annotated[str, Form()] = "",
) -> Response:
    """The analyst's decision, to commission, which checks that an approval adjusts and a rejection does not."""

    def decided(dispute: dict[str, Any]) -> str:
        outcome = f"{dispute['state'].capitalize()} the dispute of {dispute['repId']} on {dispute['orderId']}"
        return outcome + (f": adjustment {dispute['adjustment']}" if dispute["adjustment"] else "")

    return await act(
        person,
        COMMISSION,
        f"/commission/disputes/{quote(dispute_id, safe='')}/decision",
        {"decision": decision, "reason": reason.strip(), "adjustment": adjustment.strip() or None},
        back_to="/disputes",
        done=decided,
    )
