"""My approvals: the approval requests waiting for the person's roles, decided through pricing-approval."""

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, Response

from console.pages.common import PRICING_APPROVAL, Person, SignedInPerson, act, page_from_service, page_router

router = page_router()


@router.get("/approvals", response_class=HTMLResponse)
async def approvals(request: Request, person: Person) -> HTMLResponse:
    """The approval requests waiting for the person's roles, from pricing-approval."""
    return await page_from_service(
        request, person, "approvals.html", PRICING_APPROVAL, "/pricing/approvals", shown_as="requests"
    )


@router.post("/approvals/{request_id}/approve")
async def approve(request_id: str, person: Person, comment: Annotated[str, Form()] = "") -> Response:
    return await _decide(person, request_id, "approve", comment)


@router.post("/approvals/{request_id}/deny")
async def deny(request_id: str, person: Person, comment: Annotated[str, Form()] = "") -> Response:
    return await _decide(person, request_id, "deny", comment)


async def _decide(person: SignedInPerson, request_id: str, decision: str, comment: str) -> Response:
    verb = "Approved" if decision == "approve" else "Denied"
    return await act(
        person,
        PRICING_APPROVAL,
        f"/pricing/approvals/{request_id}/{decision}",
        {"comment": comment.strip() or None},
        back_to="/approvals",
        done=lambda decided: f"{verb} the {decided.get('role', '')} approval of {decided.get('orderId', request_id)}",
    )
