"""fulfillment-handoff's application: `uvicorn --factory fulfillment_handoff.main:create_app`."""

from fastapi import FastAPI

from fulfillment_handoff import api
from fulfillment_handoff.bootstrap import bootstrap
from fulfillment_handoff.settings import Settings
from orderdesk_shared.app import build_app


def create_app(settings: Settings | None = None) -> FastAPI:
    return build_app(
        bootstrap(settings), title="OrderDesk fulfillment-handoff", routers=[api.router, api.catalogue_router]
    )
