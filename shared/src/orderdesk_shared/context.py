"""What a service's handlers and API decide with: its rules, loaded once at start by its bootstrap, and the clock.

Handlers take the context as a third argument (`handler(event, uow, context)`); a service's `HANDLERS` maps each
event to such a function, and `ServiceRuntime.build` binds them to the service's context. Routes get it with
`ContextDep`. Nothing below `domain/` reads a file or a clock: it is handed the rules and `now`.
"""

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache, partial, update_wrapper
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Request

from orderdesk_shared.consumer import Handler
from orderdesk_shared.db import UnitOfWork
from orderdesk_shared.events.base import Fact

R = TypeVar("R")
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


# Compared by identity: one context per running service, and rules need not be hashable to key `with_context`.
@dataclass(frozen=True, eq=False)
class ServiceContext(Generic[R]):
    rules: R
    clock: Clock = utc_now


ContextHandler = Callable[[Any, UnitOfWork, Any], Awaitable[None]]


def bind(handlers: Mapping[type[Fact], ContextHandler], context: ServiceContext) -> dict[type[Fact], Handler]:
    """The handlers as the consumer calls them, `handler(event, uow)`, each deciding with `context`."""
    return {model: partial(handler, context=context) for model, handler in handlers.items()}


async def service_context(request: Request) -> ServiceContext:
    return request.app.state.runtime.context


ContextDep = Annotated[ServiceContext, Depends(service_context)]


@cache
def with_context(work: Callable[..., Awaitable[None]], context: ServiceContext) -> Callable[..., Awaitable[None]]:
    """`work(..., context=context)`, the same object each time and named as `work`: as `uow.before_commit` takes it
    (so the items of a transaction still meet in one call), or as a start-up step (whose name the logs give)."""
    return update_wrapper(partial(work, context=context), work)
