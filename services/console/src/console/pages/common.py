"""What every page shares: who is signed in (the token cookie), rendering a page or a part of one, live streams, and
calling the service that owns what a page shows or does, with the signed-in person's token."""

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import anyio
import httpx
import jwt
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from sse_starlette import EventSourceResponse, ServerSentEvent

from console.live import OrderChanges, first_of
from console.report_downloads import REPORT_READER_ROLES
from console.settings import Settings
from orderdesk_shared.auth import Principal, Role
from orderdesk_shared.telemetry import current_trace_headers

TOKEN_COOKIE = "orderdesk_console_token"
APPROVER_ROLES = frozenset({Role.SALES_MANAGER, Role.SALES_DIRECTOR, Role.VP_SALES, Role.FINANCE, Role.LEGAL})
# Who may see intake's coaching counts (intake checks it again).
COACH_ROLES = frozenset({Role.SPECIALIST, Role.SALES_MANAGER, Role.SALES_DIRECTOR})
# Who works the desk's orders, and so takes them or hands them to one another.
DESK_ROLES = frozenset({Role.SPECIALIST})
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
LIVE_SETTLE_SECONDS = 0.5
# Time for a live stream to end its response at shutdown: well within uvicorn's graceful shutdown in the stack.
LIVE_SHUTDOWN_GRACE_SECONDS = 3.0


@dataclass(frozen=True)
class OwningService:
    """A service whose records the pages show and act on: as the pages' notices name it, and its key in
    `Settings.service_urls`."""

    name: str
    key: str


INTAKE = OwningService("Intake", "intake")
SERVICEABILITY = OwningService("Serviceability", "serviceability")
PRICING_APPROVAL = OwningService("Pricing-approval", "pricing-approval")
FULFILLMENT = OwningService("Fulfillment", "fulfillment-handoff")
COMMISSION = OwningService("Commission", "commission")
# Intake's TMF622 API: the order as submitted, corrected and cancelled there.
TMF622 = "/tmf-api/productOrderingManagement/v4"
PRODUCT_ORDER = f"{TMF622}/productOrder"

templates = Jinja2Templates(directory=Path(__file__).parent.parent / "templates")


def page_router() -> APIRouter:
    """A page module's router: pages are HTML for people, kept out of the API's OpenAPI document."""
    return APIRouter(tags=["pages"], include_in_schema=False)


def _moment(time: str | datetime | None) -> str:
    """A time (from another service's JSON, or the read model) as the pages show times: "2026-12-04 10:28 UTC"."""
    if not time:
        return ""
    moment = datetime.fromisoformat(time) if isinstance(time, str) else time
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


templates.env.filters["moment"] = _moment


class NotSignedIn(Exception):
    """The page needs a signed-in person: they are sent to the sign-in page."""


async def to_sign_in(_: Request, __: NotSignedIn) -> RedirectResponse:
    return RedirectResponse("/sign-in", status_code=303)


def settings_of(request: Request) -> Settings:
    return request.app.state.runtime.settings


@dataclass(frozen=True)
class SignedInPerson:
    """Who is at the console, the token the console acts with on their behalf, and where the services it acts
    through are."""

    principal: Principal
    token: str
    service_urls: Mapping[str, str]

    async def call(self, method: str, service: OwningService, path: str, **kwargs: Any) -> httpx.Response:
        """Call another service's API as this person, in the trace of the page's request (so that the step the call
        takes on an order links to the click that caused it)."""
        headers = {"Authorization": f"Bearer {self.token}"} | current_trace_headers() | kwargs.pop("headers", {})
        async with httpx.AsyncClient(base_url=self.service_urls[service.key], timeout=15.0) as client:
            return await client.request(method, path, headers=headers, **kwargs)


async def _signed_in(request: Request) -> SignedInPerson:
    token = request.cookies.get(TOKEN_COOKIE)
    if not token:
        raise NotSignedIn
    try:
        principal = await request.app.state.tokens.principal(token)
    except jwt.PyJWTError as error:
        raise NotSignedIn from error
    return SignedInPerson(principal, token, settings_of(request).service_urls)


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
        "is_report_reader": bool(roles & REPORT_READER_ROLES),
    }


def page(request: Request, template: str, person: Principal | None, **context: Any) -> HTMLResponse:
    shown = _who(person) | {"notice": request.query_params.get("notice")}
    return templates.TemplateResponse(request, template, shown | context)


def fragment(template: str, person: Principal, **context: Any) -> str:
    """A part of a page, rendered as the page renders it, for a live page to put in place."""
    return templates.get_template(template).render(_who(person) | context)


def live_stream(
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


async def page_from_service(
    request: Request,
    person: SignedInPerson,
    template: str,
    service: OwningService,
    path: str,
    *,
    shown_as: str,
    params: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """A page of what another service keeps (its answer in the template as `shown_as`), or of why it is not shown."""
    found, refused = await fetched(person, service, path, params=params)
    return page(request, template, person.principal, refused=refused, **{shown_as: found}, **context)


def back_with_notice(path: str, notice: str) -> RedirectResponse:
    """Back to a page (after a form post: a 303), which shows the notice."""
    separator = "&" if "?" in path else "?"
    return RedirectResponse(f"{path}{separator}notice={quote(notice)}", status_code=303)


async def fetched(
    person: SignedInPerson,
    service: OwningService,
    path: str,
    *,
    params: dict[str, str] | None = None,
    nothing: Any = (),
) -> tuple[Any, str | None]:
    """What the service that keeps it answers, as the person may see it; `nothing`, with why, when it refuses."""
    try:
        response = await person.call("GET", service, path, params=params)
    except httpx.TransportError as error:
        return nothing, f"{service.name} did not answer: {error!r}"
    if not response.is_success:
        return nothing, f"{service.name} refused: {problem(response)}"
    return response.json(), None


async def act(
    person: SignedInPerson,
    service: OwningService,
    path: str,
    payload: dict[str, Any],
    *,
    back_to: str,
    done: Callable[[dict[str, Any]], str],
    files: dict[str, tuple[str, bytes]] | None = None,
    method: str = "POST",
) -> RedirectResponse:
    """Ask the owning service to do something as the person (with `files`: a multipart upload of them, not
    `payload`); back to the page with what it said."""
    body = {"files": files} if files else {"json": payload}
    try:
        response = await person.call(method, service, path, **body)
    except httpx.TransportError as error:
        return back_with_notice(back_to, f"{service.name} did not answer, so nothing was done: {error!r}")
    if not response.is_success:
        return back_with_notice(back_to, f"{service.name} refused: {problem(response)}")
    return back_with_notice(back_to, done(response.json() if response.content else {}))


def problem(response: httpx.Response) -> str:
    """What a service's error answer says, for a notice: its status, detail and the fields it found wanting."""
    try:
        body = response.json()
    except ValueError:
        return f"{response.status_code}: {response.text[:200]}"
    fields = "; ".join(f"{p.get('field')}: {p.get('reason')}" for p in body.get("invalid_params", []))
    return f"{response.status_code} {body.get('detail') or body.get('title')}" + (f" ({fields})" if fields else "")
