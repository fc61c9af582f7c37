"""What a person does with an order from its page: the desk's assignment (the console's own record) and, through the
services that own the order, a correction, a cancel, the release of a likely duplicate, the proposal's steps, the
review of a proposal the rep wrote, the capital review, the desk's service requests and Operations' report."""

import json
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Form, UploadFile
from fastapi.responses import Response

from console.pages.common import (
    DESK_ROLES,
    FULFILLMENT,
    INTAKE,
    PRICING_APPROVAL,
    PRODUCT_ORDER,
    TMF622,
    Person,
    SignedInPerson,
    act,
    back_with_notice,
    page_router,
    problem,
)
from orderdesk_shared.app import DatabaseDep
from orderdesk_shared.context import ContextDep
from orderdesk_shared.telemetry import order_step

router = page_router()


@router.post("/orders/{order_id}/assign")
async def assign_order(
    order_id: str,
    person: Person,
    db: DatabaseDep,
    context: ContextDep,
    assignee: Annotated[str, Form()] = "",
    back: Annotated[str, Form()] = "",
) -> Response:
    """Give the order to the person named, or take it when nobody is named; the desk's own record."""
    back = _on_this_site(back) or f"/orders/{order_id}"
    if not person.principal.roles & DESK_ROLES:
        return back_with_notice(back, "Only the desk's specialists assign orders.")
    me = person.principal.subject
    name = assignee.strip() or me
    async with db.unit_of_work() as uow:
        row = await uow.orders.get(order_id)
        if row is None:
            return back_with_notice(back, f"No order {order_id} in the console.")
        version = row["order_version"]
        async with order_step(uow, order_id, "assign order", version=version):
            await uow.assignments.assign(
                order_id=order_id, order_version=version, assignee=name, assigned_by=me, at=context.clock()
            )
            await uow.live_pages.announce([order_id])
    return back_with_notice(back, f"{order_id} is assigned to {name}.")


def _on_this_site(path: str) -> str | None:
    """The path when it is one on this site: where a form says to come back to must never send anyone elsewhere."""
    return path if path.startswith("/") and not path.startswith("//") else None


@router.post("/orders/{order_id}/correct")
async def correct_order(order_id: str, person: Person, patch: Annotated[str, Form()]) -> Response:
    """Correct and resubmit through intake: a JSON merge patch on what was submitted."""
    try:
        document = json.loads(patch)
    except json.JSONDecodeError as error:
        return back_with_notice(f"/orders/{order_id}", f"The correction is not JSON: {error}")
    except RecursionError:
        return back_with_notice(f"/orders/{order_id}", "The correction nests too deeply to be a correction of an order")
    response = await person.call(
        "PATCH",
        INTAKE,
        f"{PRODUCT_ORDER}/{order_id}",
        json=document,
        headers={"Content-Type": "application/merge-patch+json"},
    )
    if not response.is_success:
        return back_with_notice(f"/orders/{order_id}", f"Intake refused the correction: {problem(response)}")
    return back_with_notice(f"/orders/{order_id}", f"Resubmitted: intake has it {response.json()['state']}")


@router.post("/orders/{order_id}/cancel")
async def cancel_order(order_id: str, person: Person, reason: Annotated[str, Form(max_length=500)]) -> Response:
    """Cancel through intake (TMF622 cancelProductOrder): at once before the hand-off, else Operations is asked to
    stop the work, and the order is cancelled once it has."""

    def answered(cancel: dict[str, Any]) -> str:
        if cancel.get("state") == "done":
            return f"Cancelled {order_id}."
        return f"Cancel of {order_id} accepted ({cancel.get('state')}): Operations is asked to stop the work."

    return await act(
        person,
        INTAKE,
        f"{TMF622}/cancelProductOrder",
        {"productOrder": {"id": order_id}, "cancellationReason": reason.strip()},
        back_to=f"/orders/{order_id}",
        done=answered,
    )


@router.post("/orders/{order_id}/release")
async def release_duplicate(order_id: str, person: Person, note: Annotated[str, Form(max_length=2000)]) -> Response:
    """A specialist finds an order held as a likely duplicate is none: intake lets it go on."""
    return await act(
        person,
        INTAKE,
        f"/intake/duplicates/{quote(order_id, safe='')}/release",
        {"note": note.strip()},
        back_to=f"/orders/{order_id}",
        done=lambda _: f"Released {order_id}: it is no duplicate and goes on.",
    )


@router.post("/orders/{order_id}/proposal/send")
async def send_proposal(order_id: str, person: Person) -> Response:
    return await _on_proposal(person, order_id, "send", {})


@router.post("/orders/{order_id}/proposal/accept")
async def accept_proposal(
    order_id: str,
    person: Person,
    signed_by: Annotated[str, Form(max_length=200)],
    signed_on: Annotated[str, Form(max_length=10)],
) -> Response:
    """The customer signed: who (one of the order's contacts) and when, as pricing-approval records it."""
    return await _on_proposal(person, order_id, "accept", {"signedBy": signed_by, "signedOn": signed_on})


@router.post("/orders/{order_id}/proposal/decline")
async def decline_proposal(order_id: str, person: Person, reason: Annotated[str, Form(max_length=2000)]) -> Response:
    return await _on_proposal(person, order_id, "decline", {"reason": reason.strip()})


async def _on_proposal(person: SignedInPerson, order_id: str, step: str, payload: dict[str, Any]) -> Response:
    """Send the proposal, or record the customer's answer, through pricing-approval."""
    return await act(
        person,
        PRICING_APPROVAL,
        f"/pricing/orders/{quote(order_id, safe='')}/proposal/{step}",
        payload,
        back_to=f"/orders/{order_id}",
        done=lambda proposal: f"The proposal for {order_id} is {proposal.get('state', step)}.",
    )


@router.post("/orders/{order_id}/rep-proposals")
async def upload_rep_proposal(order_id: str, person: Person, file: UploadFile) -> Response:
    """The rep's own proposal, uploaded for the desk's review: pricing-approval lists how it departs from the order."""
    return await act(
        person,
        PRICING_APPROVAL,
        f"/pricing/orders/{quote(order_id, safe='')}/rep-proposals",
        {},
        files={"file": (file.filename or "rep-proposal", await file.read())},
        back_to=f"/orders/{order_id}",
        done=lambda done: (
            f"Uploaded version {done['version']} of the rep's proposal: {len(done['differences'])} differences"
            " from the order."
        ),
    )


@router.post("/orders/{order_id}/rep-proposals/{proposal_id}/differences/{number}/accept")
async def accept_rep_difference(
    order_id: str, proposal_id: str, number: int, person: Person, reason: Annotated[str, Form(max_length=2000)]
) -> Response:
    """The desk lets one difference of the rep's proposal stand, saying why."""
    return await act(
        person,
        PRICING_APPROVAL,
        f"{_rep_proposal_path(order_id, proposal_id)}/differences/{number}/accept",
        {"reason": reason.strip()},
        back_to=f"/orders/{order_id}",
        done=lambda _: f"Accepted difference {number} of {proposal_id}.",
    )


@router.post("/orders/{order_id}/rep-proposals/{proposal_id}/approve")
async def approve_rep_proposal(order_id: str, proposal_id: str, person: Person) -> Response:
    """The desk approves the version of the rep's proposal as final."""
    return await act(
        person,
        PRICING_APPROVAL,
        f"{_rep_proposal_path(order_id, proposal_id)}/approve",
        {},
        back_to=f"/orders/{order_id}",
        done=lambda done: f"Approved version {done['version']} of the rep's proposal for {order_id}.",
    )


def _rep_proposal_path(order_id: str, proposal_id: str) -> str:
    return f"/pricing/orders/{quote(order_id, safe='')}/rep-proposals/{quote(proposal_id, safe='')}"


@router.post("/orders/{order_id}/capital-review")
async def review_capital(
    order_id: str,
    person: Person,
    verdict: Annotated[str, Form(max_length=20)],
    item_id: Annotated[str, Form(max_length=100)] = "",
    doubted_input: Annotated[str, Form(max_length=20)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
    team: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """A specialist confirms the capital inputs, or flags one site's input for its team: pricing-approval holds the
    order until the flag is resolved."""
    flag = {"itemId": item_id.strip(), "input": doubted_input, "reason": reason.strip(), "team": team}
    review = {"verdict": verdict} | (
        {name: value or None for name, value in flag.items()} if verdict == "flagged" else {}
    )
    return await act(
        person,
        PRICING_APPROVAL,
        f"/pricing/orders/{quote(order_id, safe='')}/capital-review",
        review,
        back_to=f"/orders/{order_id}",
        done=lambda done: (
            f"Flagged the {done['input']} of item {done['itemId']} for {done['team']} ({done['id']}): "
            f"{order_id} is held until it is resolved."
            if done["verdict"] == "flagged"
            else f"Confirmed the capital inputs of {order_id}."
        ),
    )


@router.post("/orders/{order_id}/capital-review/flags/{flag_id}/resolve")
async def resolve_capital_flag(
    order_id: str, flag_id: str, person: Person, resolution: Annotated[str, Form(max_length=2000)]
) -> Response:
    """The team's answer to a capital flag, recorded by the desk: the order goes on once nothing else holds it."""
    return await act(
        person,
        PRICING_APPROVAL,
        f"/pricing/orders/{quote(order_id, safe='')}/capital-review/flags/{quote(flag_id, safe='')}/resolve",
        {"resolution": resolution.strip()},
        back_to=f"/orders/{order_id}",
        done=lambda _: f"Resolved flag {flag_id} of {order_id}.",
    )


@router.post("/orders/{order_id}/service-requests")
async def open_service_request(
    order_id: str,
    person: Person,
    kind: Annotated[str, Form(max_length=100)],
    description: Annotated[str, Form(max_length=4000)],
    owner: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """A specialist opens a service request on the order for another department, through intake."""
    return await act(
        person,
        INTAKE,
        f"/intake/orders/{quote(order_id, safe='')}/service-requests",
        {"kind": kind, "description": description.strip(), "owner": owner.strip() or None},
        back_to=f"/orders/{order_id}",
        done=lambda opened: f"Opened {opened['title']} {opened['id']} for {opened['owner']}, due {opened['dueAt']}.",
    )


@router.post("/orders/{order_id}/service-requests/{request_id}")
async def change_service_request(
    order_id: str,
    request_id: str,
    person: Person,
    status: Annotated[str, Form(max_length=20)],
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Mark a service request done (or give it another status), with a note, through intake."""
    return await act(
        person,
        INTAKE,
        f"/intake/service-requests/{quote(request_id, safe='')}",
        {"status": status, "note": note.strip() or None},
        back_to=f"/orders/{order_id}",
        done=lambda changed: f"{changed['title']} {changed['id']} is {changed['status'].replace('_', ' ')}.",
        method="PATCH",
    )


@router.post("/orders/{order_id}/operations-report")
async def report_for_operations(
    order_id: str,
    person: Person,
    status: Annotated[str, Form(max_length=20)],
    effective_date: Annotated[str, Form(max_length=10)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
    item_ids: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """What Operations did with the order (or some of its items), to fulfillment-handoff, which checks the dates."""
    report = {
        "status": status,
        "effectiveDate": effective_date.strip() or None,
        "reason": reason.strip() or None,
        "itemIds": item_ids or None,
    }
    items = f" (items {', '.join(item_ids)})" if item_ids else ""
    return await act(
        person,
        FULFILLMENT,
        f"/fulfillment/orders/{quote(order_id, safe='')}/operations-reports",
        {name: value for name, value in report.items() if value is not None},
        back_to=f"/orders/{order_id}",
        done=lambda _: f"Reported {status} for {order_id}{items}: the order follows when fulfillment has it.",
    )


@router.get("/orders/{order_id}/proposal.pdf")
async def proposal_pdf(order_id: str, person: Person) -> Response:
    """The proposal from pricing-approval, fetched with the person's token."""
    response = await person.call("GET", PRICING_APPROVAL, f"/pricing/orders/{order_id}/proposal.pdf")
    if not response.is_success:
        return back_with_notice(f"/orders/{order_id}", f"No proposal: {problem(response)}")
    return Response(response.content, media_type="application/pdf")
