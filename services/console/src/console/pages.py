"""The console's web pages: server-rendered, signed in with a JWT kept in a cookie; every action is a call to the
owning service's API with the signed-in person's token."""

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import anyio
import httpx
import jwt
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sse_starlette import EventSourceResponse, ServerSentEvent

from console import repository
from console.domain.timeline import TimelineEntry
from console.handlers import stage_slas
from console.live import OrderChanges, announce_changes, first_of
from console.settings import Settings
from console.views import history_view
from orderdesk_shared.access import OrderAction, own_orders_only, refusal
from orderdesk_shared.app import DatabaseDep
from orderdesk_shared.auth import PERSON_ROLES, Principal, Role
from orderdesk_shared.events.catalogue import ASYNCAPI_DOCUMENT
from orderdesk_shared.events.operations import OpsStatus
from orderdesk_shared.events.order import OrderState, Stage
from orderdesk_shared.order_state import CANCELLING_STATES, FINAL_STATES
from orderdesk_shared.telemetry import current_trace_headers, order_step
from orderdesk_shared.tokens import TokenSigner

TOKEN_COOKIE = "orderdesk_console_token"
TMF622 = "/tmf-api/productOrderingManagement/v4"
PRODUCT_ORDER = f"{TMF622}/productOrder"
APPROVER_ROLES = frozenset({Role.SALES_MANAGER, Role.SALES_DIRECTOR, Role.VP_SALES, Role.FINANCE, Role.LEGAL})
# Who may see intake's coaching counts (intake checks it again).
COACH_ROLES = frozenset({Role.SPECIALIST, Role.SALES_MANAGER, Role.SALES_DIRECTOR})
# Who works the desk's orders, and so takes them or hands them to one another.
DESK_ROLES = frozenset({Role.SPECIALIST})
# The desk's work queue: orders stopped for information or an issue, failed installs, cancels under way.
WAITING_FOR_THE_DESK = [
    OrderState.REJECTED,
    OrderState.PENDING,
    OrderState.HELD,
    OrderState.FAILED,
    OrderState.ASSESSING_CANCELLATION,
    OrderState.PENDING_CANCELLATION,
]
# What intake takes a correction of (its PATCH).
CORRECTABLE = frozenset({OrderState.REJECTED, OrderState.PENDING, OrderState.HELD})
LIVE_SETTLE_SECONDS = 0.5
# Time for a live stream to end its response at shutdown: well within uvicorn's graceful shutdown in the stack.
LIVE_SHUTDOWN_GRACE_SECONDS = 3.0
# Who works the queues other services keep: the roles those services let act on them (they check it again).
SURVEYOR_ROLES = frozenset({Role.OPERATIONS})
CATALOGUE_ROLES = frozenset({Role.CATALOG_ADMIN})
DISPUTE_DECIDER_ROLES = frozenset({Role.COMMISSION_ANALYST})
# Who cancels an order (intake checks it again, and their relation to the order).
CANCELLER_ROLES = frozenset({Role.SALES_REP, Role.SPECIALIST})
# Who sends the proposal and records the customer's answer (pricing-approval checks it again).
PROPOSAL_KEEPER_ROLES = frozenset({Role.SALES_REP, Role.SPECIALIST})
# Who reports what Operations did: Operations, and a specialist acting for it (fulfillment-handoff checks it again).
OPERATIONS_REPORTER_ROLES = frozenset({Role.OPERATIONS, Role.SPECIALIST})
# What Operations reports of a handed-off order; `cancelled` only answers a cancel Operations was asked for.
OPERATIONS_STATUSES = (
    OpsStatus.ACCEPTED,
    OpsStatus.SCHEDULED,
    OpsStatus.RESCHEDULED,
    OpsStatus.INSTALLED,
    OpsStatus.FAILED,
)
DUPLICATE_ORDER = "DUPLICATE_ORDER"
ASYNCAPI_MEDIA_TYPE = "application/yaml"  # RFC 9512

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


def _moment(iso_time: str | None) -> str:
    """A time from another service's JSON as the pages show times: "2026-12-04 10:28 UTC"."""
    return datetime.fromisoformat(iso_time).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if iso_time else ""


templates.env.filters["moment"] = _moment
router = APIRouter(tags=["pages"], include_in_schema=False)


class NotSignedIn(Exception):
    """The page needs a signed-in person: they are sent to the sign-in page."""


def _settings(request: Request) -> Settings:
    return request.app.state.runtime.settings


@dataclass(frozen=True)
class SignedInPerson:
    """Who is at the console, and the token the console acts with on their behalf."""

    principal: Principal
    token: str

    async def call(self, method: str, service_url: str, path: str, **kwargs: Any) -> httpx.Response:
        """Call another service's API as this person, in the trace of the page's request (so that the step the call
        takes on an order links to the click that caused it)."""
        headers = {"Authorization": f"Bearer {self.token}"} | current_trace_headers() | kwargs.pop("headers", {})
        async with httpx.AsyncClient(base_url=service_url, timeout=15.0) as client:
            return await client.request(method, path, headers=headers, **kwargs)


async def _signed_in(request: Request) -> SignedInPerson:
    token = request.cookies.get(TOKEN_COOKIE)
    if not token:
        raise NotSignedIn
    try:
        return SignedInPerson(await request.app.state.tokens.principal(token), token)
    except jwt.PyJWTError as error:
        raise NotSignedIn from error


Person = Annotated[SignedInPerson, Depends(_signed_in)]


def _who(person: Principal | None) -> dict[str, Any]:
    roles = person.roles if person else frozenset()
    return {
        "person": person,
        "is_approver": bool(roles & APPROVER_ROLES),
        "is_coach": bool(roles & COACH_ROLES),
        "is_desk": bool(roles & DESK_ROLES),
        "is_surveyor": bool(roles & SURVEYOR_ROLES),
        "is_catalogue_keeper": bool(roles & CATALOGUE_ROLES),
        "is_dispute_decider": bool(roles & DISPUTE_DECIDER_ROLES),
        "is_canceller": bool(roles & CANCELLER_ROLES),
        "is_proposal_keeper": bool(roles & PROPOSAL_KEEPER_ROLES),
        "is_operations_reporter": bool(roles & OPERATIONS_REPORTER_ROLES),
        "is_sre": Role.SRE in roles,
    }


def _page(request: Request, template: str, person: Principal | None, **context: Any) -> HTMLResponse:
    shown = _who(person) | {"notice": request.query_params.get("notice")}
    return templates.TemplateResponse(request, template, shown | context)


def _fragment(template: str, person: Principal, **context: Any) -> str:
    """A part of a page, rendered as the page renders it, for a live page to put in place."""
    return templates.get_template(template).render(_who(person) | context)


def _live(
    request: Request, render: Callable[[], Awaitable[list[ServerSentEvent]]], *, order_id: str | None = None
) -> EventSourceResponse:
    """A page's server-sent events: what `render` gives now, and again whenever an order it shows changes.

    The stream ends when the page closes (sse-starlette hears the disconnect) and when the server shuts down
    (sse-starlette hears uvicorn's exit signal and sets `shutting_down`): then it ends its response properly, so
    uvicorn has no open request to wait for and the browser's EventSource simply reconnects later.
    """
    order_changes: OrderChanges = request.app.state.order_changes
    shutting_down = anyio.Event()

    async def events() -> AsyncIterator[ServerSentEvent]:
        with order_changes.subscribe(order_id=order_id) as subscription:
            while not shutting_down.is_set():
                for event in await render():
                    yield event
                await first_of(subscription.changed, shutting_down.wait)
                # A burst of changes (a batch of orders moving) is shown once, after it has landed.
                await first_of(partial(anyio.sleep, LIVE_SETTLE_SECONDS), shutting_down.wait)

    return EventSourceResponse(
        events(), shutdown_event=shutting_down, shutdown_grace_period=LIVE_SHUTDOWN_GRACE_SECONDS
    )


def _back(path: str, notice: str) -> RedirectResponse:
    separator = "&" if "?" in path else "?"
    return RedirectResponse(f"{path}{separator}notice={quote(notice)}", status_code=303)


async def _fetched(
    person: SignedInPerson,
    service_url: str,
    path: str,
    *,
    service: str,
    params: dict[str, str] | None = None,
    nothing: Any = (),
) -> tuple[Any, str | None]:
    """What the service that keeps it answers, as the person may see it; `nothing`, with why, when it refuses."""
    try:
        response = await person.call("GET", service_url, path, params=params)
    except httpx.TransportError as error:
        return nothing, f"{service} did not answer: {error!r}"
    return (response.json(), None) if response.is_success else (nothing, f"{service} refused: {_problem(response)}")


async def _act(
    person: SignedInPerson,
    service_url: str,
    path: str,
    payload: dict[str, Any],
    *,
    back_to: str,
    service: str,
    done: Callable[[dict[str, Any]], str],
) -> RedirectResponse:
    """Ask the owning service to do something as the person; back to the page with what it said."""
    try:
        response = await person.call("POST", service_url, path, json=payload)
    except httpx.TransportError as error:
        return _back(back_to, f"{service} did not answer, so nothing was done: {error!r}")
    if not response.is_success:
        return _back(back_to, f"{service} refused: {_problem(response)}")
    return _back(back_to, done(response.json() if response.content else {}))


def _problem(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"{response.status_code}: {response.text[:200]}"
    fields = "; ".join(f"{p.get('field')}: {p.get('reason')}" for p in body.get("invalid_params", []))
    return f"{response.status_code} {body.get('detail') or body.get('title')}" + (f" ({fields})" if fields else "")


# Sign-in


@router.get("/asyncapi.yaml")
async def asyncapi_document() -> Response:
    """The AsyncAPI document of every topic. Public, like each service's OpenAPI at /openapi.json: it is the contract
    the systems around OrderDesk build their producers and consumers to, and holds no data."""
    return Response(ASYNCAPI_DOCUMENT.read_bytes(), media_type=ASYNCAPI_MEDIA_TYPE)


@router.get("/sign-in", response_class=HTMLResponse)
async def sign_in_page(request: Request) -> HTMLResponse:
    return _page(
        request,
        "sign_in.html",
        None,
        dev_sign_in=_settings(request).dev_sign_in,
        roles=[role for role in Role if role in PERSON_ROLES],
    )


@router.post("/sign-in")
async def sign_in(request: Request, token: Annotated[str, Form()]) -> Response:
    """Sign in with a bearer token from the identity provider."""
    try:
        await request.app.state.tokens.principal(token.strip())
    except jwt.PyJWTError as error:
        return _back("/sign-in", f"That token does not sign you in: {error}")
    return _signed_in_as(token.strip())


@router.post("/sign-in/dev")
async def dev_sign_in(request: Request, name: Annotated[str, Form()], role: Annotated[Role, Form()]) -> Response:
    """Local stacks only: sign in as anyone in any role."""
    settings = _settings(request)
    if not settings.dev_sign_in:
        return _back("/sign-in", "Sign-in by name is off here: use a token.")
    if role not in PERSON_ROLES:
        return _back("/sign-in", f"{role} is a system's role, not a person's.")
    signer = TokenSigner.load(settings.dev_sign_in_keys)
    return _signed_in_as(signer.mint(name.strip(), [role]))


def _signed_in_as(token: str) -> Response:
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="strict")
    return response


@router.post("/sign-out")
async def sign_out() -> Response:
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(TOKEN_COOKIE)
    return response


# Dashboard


@router.get("/", response_class=HTMLResponse)
async def dashboard(request: Request, person: Person, db: DatabaseDep) -> HTMLResponse:
    async with db.engine.connect() as connection:
        figures = await repository.dashboard_figures(connection, now=datetime.now(UTC))
    return _page(request, "dashboard.html", person.principal, figures=figures)


@router.get("/dashboard/figures")
async def dashboard_figures(_: Person, db: DatabaseDep) -> dict[str, Any]:
    """The dashboard's figures, for browsers that cannot follow its live stream."""
    async with db.engine.connect() as connection:
        return await repository.dashboard_figures(connection, now=datetime.now(UTC))


@router.get("/dashboard/live")
async def dashboard_live(request: Request, person: Person, db: DatabaseDep) -> EventSourceResponse:
    """The dashboard's figures and tables whenever an order changes."""

    async def render() -> list[ServerSentEvent]:
        async with db.engine.connect() as connection:
            figures = await repository.dashboard_figures(connection, now=datetime.now(UTC))
        tables = _fragment("_dashboard_tables.html", person.principal, figures=figures)
        return [ServerSentEvent(json.dumps(figures), event="figures"), ServerSentEvent(tables, event="tables")]

    return _live(request, render)


# Work queues and search


@router.get("/queue", response_class=HTMLResponse)
async def work_queue(request: Request, person: Person, db: DatabaseDep, mine: bool = False) -> HTMLResponse:
    """Orders waiting for the desk (rejected, pending information, held), or every open order assigned to me."""
    async with db.engine.connect() as connection:
        queue = await _queue(connection, person, mine=mine)
    return _page(request, "orders.html", person.principal, search=None, live=True, **queue)


@router.get("/queue/live")
async def work_queue_live(request: Request, person: Person, db: DatabaseDep, mine: bool = False) -> EventSourceResponse:
    """The queue's rows whenever an order changes."""

    async def render() -> list[ServerSentEvent]:
        async with db.engine.connect() as connection:
            queue = await _queue(connection, person, mine=mine)
        rows = _fragment("_order_rows.html", person.principal, **queue)
        return [ServerSentEvent(rows, event="rows"), ServerSentEvent(str(queue["total"]), event="total")]

    return _live(request, render)


async def _queue(connection, person: SignedInPerson, *, mine: bool) -> dict[str, Any]:
    """The desk's queue, or the orders assigned to me; a sales rep's own orders only."""
    owned_by = own_orders_only(person.principal)
    if mine:
        still_open = [state for state in OrderState if state not in repository.ENDED_STATES]
        orders, total = await repository.list_orders(
            connection, states=still_open, assigned_to=person.principal.subject, owned_by=owned_by, limit=200
        )
    else:
        orders, total = await repository.list_orders(
            connection, states=WAITING_FOR_THE_DESK, owned_by=owned_by, limit=200, awaiting_approval=False
        )
    return {
        "title": "My orders" if mine else "Work queue",
        "orders": orders,
        "total": total,
        "mine": mine,
        "back": "/queue?mine=true" if mine else "/queue",
    }


@router.get("/search", response_class=HTMLResponse)
async def search(request: Request, person: Person, db: DatabaseDep, q: str = "") -> HTMLResponse:
    async with db.engine.connect() as connection:
        orders, total = await repository.list_orders(
            connection, search=q or None, owned_by=own_orders_only(person.principal), limit=200
        )
    return _page(
        request,
        "orders.html",
        person.principal,
        title="Orders",
        orders=orders,
        total=total,
        search=q,
        back=f"/search?q={quote(q)}",
    )


# One order


@router.get("/orders/{order_id}", response_class=HTMLResponse)
async def order_page(request: Request, order_id: str, person: Person, db: DatabaseDep) -> HTMLResponse:
    settings = _settings(request)
    async with db.engine.connect() as connection:
        shown = await _order_shown(connection, order_id, person.principal, settings=settings)
    if shown is None:
        return _page(request, "missing.html", person.principal, order_id=order_id)
    submitted, _ = await _fetched(person, settings.intake_url, f"{PRODUCT_ORDER}/{order_id}", service="Intake")
    pricing = await _pricing_shown(person, settings, order_id) if shown["priced"] else {}
    return _page(
        request,
        "order.html",
        person.principal,
        submitted=json.dumps(submitted, indent=2) if submitted else None,
        **shown,
        **pricing,
    )


async def _pricing_shown(person: SignedInPerson, settings: Settings, order_id: str) -> dict[str, Any]:
    """What pricing-approval holds of a priced order: its proposal and, when it needs construction, the capital view."""
    url = settings.pricing_approval_url
    proposal, proposal_refused = await _fetched(
        person, url, f"/pricing/orders/{order_id}/proposal", service="Pricing-approval", nothing=None
    )
    quote, _ = await _fetched(person, url, f"/pricing/orders/{order_id}", service="Pricing-approval", nothing={})
    return {
        "proposal": proposal,
        "proposal_refused": proposal_refused,
        "capital": (quote.get("pricing") or {}).get("capital"),
    }


@router.get("/orders/{order_id}/live")
async def order_live(request: Request, order_id: str, person: Person, db: DatabaseDep) -> EventSourceResponse:
    """The order's facts and timeline whenever the order changes."""

    async def render() -> list[ServerSentEvent]:
        async with db.engine.connect() as connection:
            shown = await _order_shown(connection, order_id, person.principal, settings=_settings(request))
        if shown is None:
            return []
        return [
            ServerSentEvent(_fragment("_order_facts.html", person.principal, **shown), event="facts"),
            ServerSentEvent(_fragment("_timeline.html", person.principal, **shown), event="timeline"),
        ]

    return _live(request, render, order_id=order_id)


async def _order_shown(connection, order_id: str, viewer: Principal, *, settings: Settings) -> dict[str, Any] | None:
    """What the order page shows of the read model: the row, the timeline, what can be done with the order now,
    and where its trace is in the tracing UI; None for an order the viewer may not see (a sales rep's not their own)."""
    row = await _visible_order(connection, order_id, viewer)
    if row is None:
        return None
    lines = await repository.timeline(connection, order_id)
    assignments = await repository.assignment_history(connection, order_id)
    trace_id = row["trace_id"]
    state, stage = OrderState(row["state"]), Stage(row["stage"])
    cancelling = state in CANCELLING_STATES
    return {
        "trace_url": settings.trace_url(trace_id),
        # Pricing-approval writes the proposal when it prices the order.
        "priced": stage.rank >= Stage.PRICED.rank,
        "order": row,
        "timeline": history_view(lines, assignments),
        "correctable": state in CORRECTABLE,
        "cancellable": state not in FINAL_STATES and not cancelling,
        "duplicate_held": state is OrderState.HELD
        and any(finding.get("reasonCode") == DUPLICATE_ORDER for finding in row["findings"]),
        "reportable": stage.rank >= Stage.HANDED_OFF.rank and state not in FINAL_STATES,
        "report_statuses": (*OPERATIONS_STATUSES, OpsStatus.CANCELLED) if cancelling else OPERATIONS_STATUSES,
        "contacts": _contacts(lines, row["order_version"]),
    }


async def _visible_order(connection, order_id: str, viewer: Principal) -> dict[str, Any] | None:
    row = await repository.get_order(connection, order_id)
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


@router.post("/orders/{order_id}/assign")
async def assign_order(
    order_id: str,
    person: Person,
    db: DatabaseDep,
    assignee: Annotated[str, Form()] = "",
    back: Annotated[str, Form()] = "",
) -> Response:
    """Give the order to the person named, or take it when nobody is named; the desk's own record."""
    # Only a path on this site: the form says where to come back to, and must not send anyone elsewhere.
    back = back if back.startswith("/") and not back.startswith("//") else f"/orders/{order_id}"
    if not person.principal.roles & DESK_ROLES:
        return _back(back, "Only the desk's specialists assign orders.")
    name = assignee.strip() or person.principal.subject
    async with db.unit_of_work() as uow:
        row = await repository.get_order(uow.connection, order_id)
        if row is None:
            return _back(back, f"No order {order_id} in the console.")
        async with order_step(uow, order_id, "assign order", version=row["order_version"]):
            await repository.assign(
                uow.connection,
                order_id=order_id,
                order_version=row["order_version"],
                assignee=name,
                assigned_by=person.principal.subject,
                at=datetime.now(UTC),
            )
            await announce_changes(uow.connection, [order_id])
    return _back(back, f"{order_id} is assigned to {name}.")


@router.post("/orders/{order_id}/correct")
async def correct_order(request: Request, order_id: str, person: Person, patch: Annotated[str, Form()]) -> Response:
    """Correct and resubmit through intake: a JSON merge patch on what was submitted."""
    try:
        document = json.loads(patch)
    except json.JSONDecodeError as error:
        return _back(f"/orders/{order_id}", f"The correction is not JSON: {error}")
    except RecursionError:
        return _back(f"/orders/{order_id}", "The correction nests too deeply to be a correction of an order")
    response = await person.call(
        "PATCH",
        _settings(request).intake_url,
        f"{PRODUCT_ORDER}/{order_id}",
        json=document,
        headers={"Content-Type": "application/merge-patch+json"},
    )
    if not response.is_success:
        return _back(f"/orders/{order_id}", f"Intake refused the correction: {_problem(response)}")
    return _back(f"/orders/{order_id}", f"Resubmitted: intake has it {response.json()['state']}")


@router.post("/orders/{order_id}/cancel")
async def cancel_order(
    request: Request, order_id: str, person: Person, reason: Annotated[str, Form(max_length=500)]
) -> Response:
    """Cancel through intake (TMF622 cancelProductOrder): at once before the hand-off, else Operations is asked to
    stop the work, and the order is cancelled once it has."""

    def answered(cancel: dict[str, Any]) -> str:
        if cancel.get("state") == "done":
            return f"Cancelled {order_id}."
        return f"Cancel of {order_id} accepted ({cancel.get('state')}): Operations is asked to stop the work."

    return await _act(
        person,
        _settings(request).intake_url,
        f"{TMF622}/cancelProductOrder",
        {"productOrder": {"id": order_id}, "cancellationReason": reason.strip()},
        back_to=f"/orders/{order_id}",
        service="Intake",
        done=answered,
    )


@router.post("/orders/{order_id}/release")
async def release_duplicate(
    request: Request, order_id: str, person: Person, note: Annotated[str, Form(max_length=2000)]
) -> Response:
    """A specialist finds an order held as a likely duplicate is none: intake lets it go on."""
    return await _act(
        person,
        _settings(request).intake_url,
        f"/intake/duplicates/{quote(order_id, safe='')}/release",
        {"note": note.strip()},
        back_to=f"/orders/{order_id}",
        service="Intake",
        done=lambda _: f"Released {order_id}: it is no duplicate and goes on.",
    )


@router.post("/orders/{order_id}/proposal/send")
async def send_proposal(request: Request, order_id: str, person: Person) -> Response:
    return await _on_proposal(request, person, order_id, "send", {})


@router.post("/orders/{order_id}/proposal/accept")
async def accept_proposal(
    request: Request,
    order_id: str,
    person: Person,
    signed_by: Annotated[str, Form(max_length=200)],
    signed_on: Annotated[str, Form(max_length=10)],
) -> Response:
    """The customer signed: who (one of the order's contacts) and when, as pricing-approval records it."""
    return await _on_proposal(request, person, order_id, "accept", {"signedBy": signed_by, "signedOn": signed_on})


@router.post("/orders/{order_id}/proposal/decline")
async def decline_proposal(
    request: Request, order_id: str, person: Person, reason: Annotated[str, Form(max_length=2000)]
) -> Response:
    return await _on_proposal(request, person, order_id, "decline", {"reason": reason.strip()})


async def _on_proposal(
    request: Request, person: SignedInPerson, order_id: str, step: str, payload: dict[str, Any]
) -> Response:
    """Send the proposal, or record the customer's answer, through pricing-approval."""
    return await _act(
        person,
        _settings(request).pricing_approval_url,
        f"/pricing/orders/{quote(order_id, safe='')}/proposal/{step}",
        payload,
        back_to=f"/orders/{order_id}",
        service="Pricing-approval",
        done=lambda proposal: f"The proposal for {order_id} is {proposal.get('state', step)}.",
    )


@router.post("/orders/{order_id}/operations-report")
async def report_for_operations(
    request: Request,
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
    return await _act(
        person,
        _settings(request).fulfillment_handoff_url,
        f"/fulfillment/orders/{quote(order_id, safe='')}/operations-reports",
        {name: value for name, value in report.items() if value is not None},
        back_to=f"/orders/{order_id}",
        service="Fulfillment",
        done=lambda _: f"Reported {status} for {order_id}{items}: the order follows when fulfillment has it.",
    )


@router.get("/orders/{order_id}/proposal.pdf")
async def proposal_pdf(request: Request, order_id: str, person: Person) -> Response:
    """The proposal from pricing-approval, fetched with the person's token."""
    response = await person.call(
        "GET", _settings(request).pricing_approval_url, f"/pricing/orders/{order_id}/proposal.pdf"
    )
    if not response.is_success:
        return _back(f"/orders/{order_id}", f"No proposal: {_problem(response)}")
    return Response(response.content, media_type="application/pdf")


# Coaching


@router.get("/coaching", response_class=HTMLResponse)
async def coaching(request: Request, person: Person, days: int = 30) -> HTMLResponse:
    """What reps' submissions were found wanting lately, per rep and channel, from intake."""
    since = (datetime.now(UTC) - timedelta(days=days)).isoformat()
    counts, refused = await _fetched(
        person, _settings(request).intake_url, "/intake/coaching/findings", service="Intake", params={"since": since}
    )
    counts = sorted(counts, key=lambda c: -c["count"])
    return _page(request, "coaching.html", person.principal, counts=counts, days=days, refused=refused)


# Approvals


@router.get("/approvals", response_class=HTMLResponse)
async def approvals(request: Request, person: Person) -> HTMLResponse:
    """The approval requests waiting for the person's roles, from pricing-approval."""
    requests, refused = await _fetched(
        person, _settings(request).pricing_approval_url, "/pricing/approvals", service="Pricing-approval"
    )
    return _page(request, "approvals.html", person.principal, requests=requests, refused=refused)


@router.post("/approvals/{request_id}/approve")
async def approve(request: Request, request_id: str, person: Person, comment: Annotated[str, Form()] = "") -> Response:
    return await _decide(request, person, request_id, "approve", comment)


@router.post("/approvals/{request_id}/deny")
async def deny(request: Request, request_id: str, person: Person, comment: Annotated[str, Form()] = "") -> Response:
    return await _decide(request, person, request_id, "deny", comment)


async def _decide(request: Request, person: SignedInPerson, request_id: str, decision: str, comment: str) -> Response:
    verb = "Approved" if decision == "approve" else "Denied"
    return await _act(
        person,
        _settings(request).pricing_approval_url,
        f"/pricing/approvals/{request_id}/{decision}",
        {"comment": comment.strip() or None},
        back_to="/approvals",
        service="Pricing-approval",
        done=lambda decided: f"{verb} the {decided.get('role', '')} approval of {decided.get('orderId', request_id)}",
    )


# Escalations


@router.get("/escalations", response_class=HTMLResponse)
async def escalations(request: Request, person: Person, db: DatabaseDep) -> HTMLResponse:
    """Orders the SLA watchdog put in jeopardy, the most severe and oldest first, with who they are escalated to."""
    async with db.engine.connect() as connection:
        orders, total = await repository.escalated_orders(connection, owned_by=own_orders_only(person.principal))
    now, ladder = datetime.now(UTC), stage_slas()
    shown = [
        order
        | {
            "escalated_to": ladder.top_rung(order["escalated_to"]),
            "in_stage_for": _duration(now - order["stage_entered_at"]),
        }
        for order in orders
    ]
    return _page(request, "escalations.html", person.principal, orders=shown, total=total)


def _duration(elapsed: timedelta) -> str:
    """How long, to the hour: "3d 4h", "5h", "under 1h"."""
    hours = int(elapsed.total_seconds() // 3600)
    days, hours = divmod(hours, 24)
    return " ".join(part for part in (f"{days}d" if days else "", f"{hours}h" if hours else "") if part) or "under 1h"


# Site surveys (serviceability's)


@router.get("/site-surveys", response_class=HTMLResponse)
async def site_surveys(request: Request, person: Person) -> HTMLResponse:
    """The open site surveys, soonest due first, from serviceability; Operations completes them here."""
    surveys, refused = await _fetched(
        person, _settings(request).serviceability_url, "/serviceability/siteSurveys", service="Serviceability"
    )
    return _page(request, "site_surveys.html", person.principal, surveys=surveys, refused=refused)


@router.post("/site-surveys/{survey_id}/complete")
async def complete_site_survey(
    request: Request,
    survey_id: str,
    person: Person,
    distance_to_fiber_ft: Annotated[str, Form()],
    notes: Annotated[str, Form()] = "",
    photos: Annotated[str, Form()] = "",
) -> Response:
    """What the surveyor found, to serviceability; it judges the figures (a bad distance comes back as its 422)."""
    found = {
        "distanceToFiberFt": distance_to_fiber_ft.strip(),
        "notes": notes.strip() or None,
        "photos": [line.strip() for line in photos.splitlines() if line.strip()],
    }
    return await _act(
        person,
        _settings(request).serviceability_url,
        f"/serviceability/siteSurveys/{quote(survey_id, safe='')}/completion",
        found,
        back_to="/site-surveys",
        service="Serviceability",
        done=lambda survey: (
            f"Completed the survey of {survey['site']}: order {survey['orderId']} is {survey['orderOutcome']}"
        ),
    )


# Missing billing codes (fulfillment-handoff's catalogue tickets)


@router.get("/catalogue-tickets", response_class=HTMLResponse)
async def catalogue_tickets(request: Request, person: Person) -> HTMLResponse:
    """Open tickets for missing billing codes, with the orders each holds, from fulfillment-handoff."""
    tickets, refused = await _fetched(
        person, _settings(request).fulfillment_handoff_url, "/fulfillment/catalogue-tickets", service="Fulfillment"
    )
    today = datetime.now(UTC).date().isoformat()
    return _page(request, "catalogue_tickets.html", person.principal, tickets=tickets, refused=refused, today=today)


@router.post("/billing-codes")
async def add_billing_code(
    request: Request,
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

    return await _act(
        person,
        _settings(request).fulfillment_handoff_url,
        "/fulfillment/billing-codes",
        {
            "priceComponent": price_component,
            "billingSystem": billing_system,
            "market": market,
            "billingCode": code,
            "effectiveFrom": effective_from,
        },
        back_to="/catalogue-tickets",
        service="Fulfillment",
        done=added,
    )


# Commission disputes (commission's)


@router.get("/disputes", response_class=HTMLResponse)
async def disputes(request: Request, person: Person) -> HTMLResponse:
    """Open commission disputes, longest open first, from commission; analysts decide them here."""
    found, refused = await _fetched(
        person,
        _settings(request).commission_url,
        "/commission/disputes",
        service="Commission",
        params={"state": "open"},
    )
    return _page(request, "disputes.html", person.principal, disputes=found, refused=refused)


@router.post("/disputes/{dispute_id}/decision")
async def decide_dispute(
    request: Request,
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

    return await _act(
        person,
        _settings(request).commission_url,
        f"/commission/disputes/{quote(dispute_id, safe='')}/decision",
        {"decision": decision, "reason": reason.strip(), "adjustment": adjustment.strip() or None},
        back_to="/disputes",
        service="Commission",
        done=decided,
    )
