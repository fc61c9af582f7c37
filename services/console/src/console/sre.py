"""The SRE page: every service's dead letters (replay or discard them, with a note), consumer lag, outbox backlog,
and the orders past their SLA with their traces. Each service answers through its operations API
(orderdesk_shared.operations) with the SRE's token; the console answers for itself in-process. A service that does
not answer is shown as unavailable, with why."""

import asyncio
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Form, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import HTMLResponse, RedirectResponse

from console import repository
from console.pages.common import (
    OwningService,
    Person,
    SignedInPerson,
    act,
    back_with_notice,
    page,
    problem,
    settings_of,
)
from orderdesk_shared.auth import Role
from orderdesk_shared.context import ContextDep
from orderdesk_shared.errors import DATABASE_FAILURES, logged_error
from orderdesk_shared.limits import NOTE_CHARS
from orderdesk_shared.operations import (
    AlreadyResolved,
    DeadLetterId,
    NoSuchDeadLetter,
    Resolution,
    Shown,
    dead_letters,
    resolve,
    service_status,
)
from orderdesk_shared.runtime import ServiceRuntime

CONSOLE = "console"
# The page waits this long for a service; one that takes longer is shown as not answering.
ANSWER_SECONDS = 5.0
OPEN_SHOWN = 200
RESOLVED_SHOWN = 20

router = APIRouter(tags=["pages"], include_in_schema=False)


@dataclass
class ServiceOperations:
    """What one service said about itself, or why it said nothing."""

    name: str
    status: dict[str, Any] | None = None
    open_letters: list[dict[str, Any]] = field(default_factory=list)
    open_total: int = 0
    resolved_letters: list[dict[str, Any]] = field(default_factory=list)
    unavailable: str | None = None


@router.get("/sre", response_class=HTMLResponse)
async def sre_page(request: Request, person: Person, context: ContextDep) -> HTMLResponse:
    if Role.SRE not in person.principal.roles:
        return page(request, "sre.html", person.principal, forbidden=True)
    settings = settings_of(request)
    runtime: ServiceRuntime = request.app.state.runtime
    services = await asyncio.gather(
        _console_operations(runtime),
        *(_service_operations(person, name) for name in settings.service_urls),
    )
    async with runtime.database.engine.connect() as connection:
        overdue = await repository.Orders(connection).past_their_sla(now=context.clock())
    return page(
        request,
        "sre.html",
        person.principal,
        forbidden=False,
        services=services,
        groups=_by_topic_and_reason(services),
        lags=_lag_by_topic(services),
        resolved=_resolved_letters(services),
        overdue=[order | {"trace_url": settings.trace_url(order["trace_id"])} for order in overdue],
    )


@router.post("/sre/dead-letters/{service}/{dead_letter_id}/{action}")
async def resolve_dead_letter(
    request: Request,
    service: str,
    dead_letter_id: DeadLetterId,
    action: Resolution,
    person: Person,
    note: Annotated[str, Form(max_length=NOTE_CHARS)] = "",
) -> RedirectResponse:
    """Replay or discard a service's dead letter, with the SRE's note, through that service's operations API."""
    if Role.SRE not in person.principal.roles:
        return back_with_notice("/sre", "Only SREs replay or discard dead letters.")
    note = note.strip()
    verb = "replay" if action is Resolution.REPLAYED else "discard"
    done = f"Dead letter {dead_letter_id} of {service} is {action}."
    if service == CONSOLE:
        return await _resolve_console_letter(request.app.state.runtime, dead_letter_id, action, person, note, done)
    if service not in person.service_urls:
        return back_with_notice("/sre", f"No service {service} here.")
    return await act(
        person,
        _named_as_in_settings(service),
        f"/ops/dead-letters/{dead_letter_id}/{verb}",
        {"note": note},
        back_to="/sre",
        done=lambda _: done,
    )


def _resolved_letters(services: list[ServiceOperations]) -> list[dict]:
    """Every service's resolved dead letters, the latest resolution first, each named with its service."""
    return sorted(
        (
            letter | {"service": service.name}
            for service in services
            for letter in service.resolved_letters
            if letter.get("resolution")
        ),
        key=lambda letter: letter["resolution"]["at"],
        reverse=True,
    )


async def _resolve_console_letter(
    runtime: ServiceRuntime, dead_letter_id: str, action: Resolution, person: Person, note: str, done: str
) -> RedirectResponse:
    """The console's own dead letters are resolved here rather than through an operations API."""
    try:
        await resolve(runtime.database, dead_letter_id, action, by=person.principal.subject, note=note)
    except (NoSuchDeadLetter, AlreadyResolved) as error:
        return back_with_notice("/sre", f"The console refused: {error}")
    return back_with_notice("/sre", done)


async def _console_operations(runtime: ServiceRuntime) -> ServiceOperations:
    database = runtime.database
    try:
        status = await service_status(runtime)
        open_letters, open_total = await dead_letters(
            database, topic=None, reason=None, shown=Shown.OPEN, limit=OPEN_SHOWN, offset=0
        )
        resolved, _ = await dead_letters(
            database, topic=None, reason=None, shown=Shown.RESOLVED, limit=RESOLVED_SHOWN, offset=0
        )
    except DATABASE_FAILURES as error:
        return ServiceOperations(CONSOLE, unavailable=f"its database did not answer: {logged_error(error)}")
    # As JSON, the way the other services' answers arrive.
    return ServiceOperations(
        CONSOLE,
        status=jsonable_encoder(status),
        open_letters=jsonable_encoder(open_letters),
        open_total=open_total,
        resolved_letters=jsonable_encoder(resolved),
    )


async def _service_operations(person: SignedInPerson, name: str) -> ServiceOperations:
    async def fetched(path: str, **params: str | int) -> httpx.Response:
        response = await person.call("GET", _named_as_in_settings(name), path, params=params, timeout=ANSWER_SECONDS)
        if not response.is_success:
            raise _Refused(problem(response))
        return response

    try:
        status, open_letters, resolved = await asyncio.gather(
            fetched("/ops/status"),
            fetched("/ops/dead-letters", state=Shown.OPEN, limit=OPEN_SHOWN),
            fetched("/ops/dead-letters", state=Shown.RESOLVED, limit=RESOLVED_SHOWN),
        )
    except httpx.HTTPError as error:
        return ServiceOperations(name, unavailable=f"did not answer: {type(error).__name__}")
    except _Refused as refusal:
        return ServiceOperations(name, unavailable=f"refused: {refusal}")
    return ServiceOperations(
        name,
        status=status.json(),
        open_letters=open_letters.json(),
        open_total=int(open_letters.headers.get("X-Total-Count", len(open_letters.json()))),
        resolved_letters=resolved.json(),
    )


def _named_as_in_settings(name: str) -> OwningService:
    """The SRE page names each service as the settings do."""
    return OwningService(name=name, key=name)


class _Refused(Exception):
    """A service answered the SRE page with an error."""


def _lag_by_topic(services: list[ServiceOperations]) -> list[dict[str, Any]]:
    """Each consumer group's lag per topic, in all and per partition, as the services reported it."""
    lags = []
    for service in services:
        if service.status is None:
            continue
        consumer = service.status["consumer"]
        by_topic: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
        for partition in consumer["partitions"]:
            by_topic[partition["topic"]].append(partition)
        lags += [
            {
                "group": consumer["group"],
                "topic": topic,
                "lag": sum(partition["lag"] for partition in partitions),
                "partitions": partitions,
            }
            for topic, partitions in sorted(by_topic.items())
        ]
    return lags


def _by_topic_and_reason(services: list[ServiceOperations]) -> list[dict[str, Any]]:
    """Open dead letters of every service, grouped by the topic they came from and why they failed, the largest
    group first."""
    groups: defaultdict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for service in services:
        for letter in service.open_letters:
            groups[letter["topic"], letter["reason"]].append(letter | {"service": service.name})
    return [
        {"topic": topic, "reason": reason, "letters": letters}
        for (topic, reason), letters in sorted(groups.items(), key=lambda item: (-len(item[1]), item[0]))
    ]
