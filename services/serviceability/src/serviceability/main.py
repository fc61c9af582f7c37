"""serviceability's application: `uvicorn --factory serviceability.main:create_app`."""

from fastapi import FastAPI

from orderdesk_shared.app import build_app
from serviceability import api, hub_api
from serviceability.bootstrap import bootstrap
from serviceability.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    return build_app(
        bootstrap(settings),
        title="OrderDesk serviceability",
        routers=[api.router, api.tmf645_router, hub_api.router, hub_api.ops_router],
        upload_paths=api.UPLOAD_PATHS,
    )
