"""One order's page: its facts and timeline from the read model, live; what intake holds as submitted; the proposal
and capital view pricing-approval holds; and what can be done with the order now."""

import json
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncConnection
from sse_starlette import EventSourceResponse, ServerSentEvent

from console import repository
from console.domain.timeline import TimelineEntry
from console.pages.common import (
    INTAKE,
    PRICING_APPROVAL,
    PRODUCT_ORDER,
    Person,
    SignedInPerson,
    fetched,
    fragment,
    live_stream,
    page,
    page_router,
    settings_of,
)
from console.settings import Settings
from console.views import history_view
from orderdesk_shared.access import OrderAction, refusal
from orderdesk_shared.app import DatabaseDep
from orderdesk_shared.auth import Principal
from orderdesk_shared.events.operations import OpsStatus
from orderdesk_shared.events.order import OrderState, Stage
from orderdesk_shared.order_state import CANCELLING_STATES, FINAL_STATES

# What intake takes a correction of (its PATCH).
CORRECTABLE = frozenset({OrderState.REJECTED, OrderState.PENDING, OrderState.HELD})
# What Operations reports of a handed-off order; `cancelled` only answers a cancel Operations was asked for.
OPERATIONS_STATUSES = (
    OpsStatus.ACCEPTED,
    OpsStatus.SCHEDULED,
    OpsStatus.RESCHEDULED,
    OpsStatus.INSTALLED,
    OpsStatus.FAILED,
)
DUPLICATE_ORDER = "DUPLICATE_ORDER"
# Pricing-approval's quotes whose capital a specialist may still confirm or flag, and what a flag names.
CAPITAL_UNDER_REVIEW = frozenset({"pending-approval", "awaiting-signature"})
CAPITAL_INPUTS = ("distance", "bandwidth", "term", "mrc", "construction")
CAPITAL_TEAMS = ("engineering", "construction", "sales", "finance")

router = page_router()


@router.get("/orders/{order_id}", response_class=HTMLResponse)
async def order_page(request: Request, order_id: str, person: Person, db: DatabaseDep) -> HTMLResponse:
    async with db.engine.connect() as connection:
        shown = await _order_shown(connection, order_id, person.principal, settings=settings_of(request))
    if shown is None:
        return page(request, "missing.html", person.principal, order_id=order_id)
    submitted, _ = await fetched(person, INTAKE, f"{PRODUCT_ORDER}/{order_id}")
    pricing = await _pricing_shown(person, order_id) if shown["priced"] else {}
    accounts, _ = await fetched(person, INTAKE, f"/intake/orders/{order_id}/accounts", nothing=None)
    service_requests, _ = await fetched(person, INTAKE, f"/intake/orders/{order_id}/service-requests", nothing=[])
    request_kinds, _ = await fetched(person, INTAKE, "/intake/service-request-kinds", nothing={})
    return page(
        request,
        "order.html",
        person.principal,
        submitted=json.dumps(submitted, indent=2) if submitted else None,
        accounts=accounts,
        service_requests=service_requests,
        request_kinds=request_kinds,
        **shown,
        **pricing,
    )


async def _pricing_shown(person: SignedInPerson, order_id: str) -> dict[str, Any]:
    """What pricing-approval holds of a priced order: its proposal, the proposals its rep wrote with the differences
    found in them and, when it needs construction, the capital view with its sites and the desk's reviews of it."""
    proposal, proposal_refused = await fetched(
        person, PRICING_APPROVAL, f"/pricing/orders/{order_id}/proposal", nothing=None
    )
    quote, _ = await fetched(person, PRICING_APPROVAL, f"/pricing/orders/{order_id}", nothing={})
    rep_proposals, _ = await fetched(person, PRICING_APPROVAL, f"/pricing/orders/{order_id}/rep-proposals", nothing=[])
    return {
        "rep_proposals": rep_proposals,
        "proposal": proposal,
        "proposal_refused": proposal_refused,
        "capital": (quote.get("pricing") or {}).get("capital"),
        "capital_reviews": quote.get("capitalReviews", []),
        "capital_under_review": quote.get("status") in CAPITAL_UNDER_REVIEW,
        "capital_inputs": CAPITAL_INPUTS,
        "capital_teams": CAPITAL_TEAMS,
    }


@router.get("/orders/{order_id}/live")
async def order_live(request: Request, order_id: str, person: Person, db: DatabaseDep) -> EventSourceResponse:
    """The order's facts and timeline whenever the order changes."""

    async def render() -> list[ServerSentEvent]:
        async with db.engine.connect() as connection:
            shown = await _order_shown(connection, order_id, person.principal, settings=settings_of(request))
        if shown is None:
            return []
        return [
            ServerSentEvent(fragment("_order_facts.html", person.principal, **shown), event="facts"),
            ServerSentEvent(fragment("_timeline.html", person.principal, **shown), event="timeline"),
        ]

    return live_stream(request, render, order_id=order_id)


async def _order_shown(
    connection: AsyncConnection, order_id: str, viewer: Principal, *, settings: Settings
) -> dict[str, Any] | None:
    """What the order page shows of the read model: the row, the timeline, what can be done with the order now,
    and where its trace is in the tracing UI; None for an order the viewer may not see (a sales rep's not their own)."""
    row = await _visible_order(connection, order_id, viewer)
    if row is None:
        return None
    lines = await repository.Timelines(connection).of_order(order_id)
    assignments = await repository.Assignments(connection).history(order_id)
    return {
        "trace_url": settings.trace_url(row["trace_id"]),
        "order": row,
        "timeline": history_view(lines, assignments),
        "contacts": _contacts(lines, row["order_version"]),
        **_what_can_be_done(row),
    }


def _what_can_be_done(row: dict[str, Any]) -> dict[str, Any]:
    """Which of the order page's actions the order's state and stage allow now."""
    state, stage = OrderState(row["state"]), Stage(row["stage"])
    cancelling = state in CANCELLING_STATES
    return {
        # Pricing-approval writes the proposal when it prices the order.
        "priced": stage.rank >= Stage.PRICED.rank,
        "correctable": state in CORRECTABLE,
        "cancellable": state not in FINAL_STATES and not cancelling,
        "duplicate_held": state is OrderState.HELD
        and any(finding.get("reasonCode") == DUPLICATE_ORDER for finding in row["findings"]),
        "reportable": stage.rank >= Stage.HANDED_OFF.rank and state not in FINAL_STATES,
        "report_statuses": (*OPERATIONS_STATUSES, OpsStatus.CANCELLED) if cancelling else OPERATIONS_STATUSES,
    }


async def _visible_order(connection: AsyncConnection, order_id: str, viewer: Principal) -> dict[str, Any] | None:
    row = await repository.Orders(connection).get(order_id)
    return None if row is None or refusal(viewer, repository.people_of(row), OrderAction.SEE) else row


def _contacts(lines: list[TimelineEntry], version: int) -> list[str]:
    """The customer contacts the order names (its current version's), who may sign its proposal."""
    received = [line for line in lines if line.kind == Stage.RECEIVED and line.order_version == version]
    return (received[-1].order or {}).get("contacts", []) if received else []


@router.get("/orders/{order_id}/status")
async def order_status(order_id: str, person: Person, db: DatabaseDep) -> dict[str, Any]:
    """Where the order stands, for browsers that cannot follow the order page's live stream."""
    async with db.engine.connect() as connection:
        row = await _visible_order(connection, order_id, person.principal)
    return {"stage": row and row["stage"], "state": row and row["state"], "lastEventAt": row and row["last_event_at"]}
