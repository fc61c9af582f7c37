"""The FastAPI application every service serves: its routes plus health, readiness, metrics and the SREs'
operations API (orderdesk_shared.operations)."""

from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request, status
from fastapi.responses import JSONResponse
from fastapi.telemetry import TelemetryConfig
from prometheus_client import make_asgi_app
from pydantic.alias_generators import to_camel
from sqlalchemy.ext.asyncio import AsyncConnection

from orderdesk_shared.auth import TokenVerifier
from orderdesk_shared.body_limit import BodySizeLimit
from orderdesk_shared.db import Database
from orderdesk_shared.logs import configure_logging
from orderdesk_shared.problems import install_problem_handlers
from orderdesk_shared.runtime import ServiceRuntime
from orderdesk_shared.telemetry import ServerSpans, configure_tracing

T = TypeVar("T")
# Asked every few seconds by supervisors and Prometheus: a span each would bury the requests worth a look.
UNTRACED_PATHS = ("/healthz", "/readyz", "/metrics", "/metrics/")
# FastAPI's own telemetry stays off: ServerSpans makes the one span a request needs, at a fraction of the cost.
WITHOUT_NATIVE_TELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}


def build_app(
    runtime: ServiceRuntime, *, title: str, routers: Sequence[APIRouter], upload_paths: Collection[str] = ()
) -> FastAPI:
    """Wire a service's routes to its runtime, which starts and stops with the app.

    Request bodies are limited to the `max_body_bytes` setting, those to `upload_paths` to `max_upload_bytes`.
    """
    settings = runtime.settings
    service_name = settings.service_name
    configure_logging(service_name)
    configure_tracing(service_name)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(title=title, lifespan=lifespan, telemetry=WITHOUT_NATIVE_TELEMETRY)
    app.state.runtime = runtime
    app.state.tokens = TokenVerifier.from_settings(runtime.settings)
    install_problem_handlers(app)
    # Imported here: the operations API is built on this module's dependencies.
    from orderdesk_shared.operations import router as operations_router

    for router in (*routers, operations_router):
        app.include_router(router)

    @app.get("/healthz", tags=["operations"])
    async def healthz() -> JSONResponse:
        """Alive: the process answers and none of its background loops has crashed (else restart it)."""
        if crashed := runtime.crashed_loops():
            return JSONResponse({"status": "crashed", "loops": crashed}, status_code=503)
        return JSONResponse({"status": "ok"})

    @app.get("/readyz", tags=["operations"])
    async def readyz() -> JSONResponse:
        """Ready: database, Kafka, relay and consumer all work."""
        checks = await runtime.readiness()
        ready = all(state == "ok" for state in checks.values())
        return JSONResponse(
            {"status": "ready" if ready else "not ready", "checks": checks}, status_code=200 if ready else 503
        )

    app.mount("/metrics", make_asgi_app())
    app.add_middleware(
        BodySizeLimit,
        limit=settings.max_body_bytes,
        upload_limit=settings.max_upload_bytes,
        upload_paths=upload_paths,
    )
    app.add_middleware(ServerSpans, excluded_paths=UNTRACED_PATHS)
    return app


async def database(request: Request) -> Database:
    """FastAPI dependency: the service's database."""
    return request.app.state.runtime.database


DatabaseDep = Annotated[Database, Depends(database)]


async def read_or_404(db: Database, query: Callable[[AsyncConnection], Awaitable[T | None]], *, missing: str) -> T:
    """Run a read query; a missing result is a 404 problem saying what is missing."""
    async with db.engine.connect() as connection:
        found = await query(connection)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, missing)
    return found


def in_camel_case(fields: Mapping[str, Any], *names: str) -> dict[str, Any]:
    """The named fields of a row, keyed as every OrderDesk API keys them: camelCase, in the order named."""
    return {to_camel(name): fields[name] for name in names}
