"""Intake's application: `uvicorn --factory intake.main:create_app`."""

from fastapi import FastAPI

from intake import api, hub_api
from intake.bootstrap import bootstrap
from intake.settings import Settings
from orderdesk_shared.app import build_app


def create_app(settings: Settings | None = None) -> FastAPI:
    return build_app(
        bootstrap(settings),
        title="OrderDesk intake",
        routers=[
            api.router,
            api.cancel_router,
            api.channels_router,
            api.desk_router,
            api.accounts_router,
            api.service_requests_router,
            api.reference_router,
            api.coaching_router,
            hub_api.router,
            hub_api.ops_router,
        ],
        upload_paths=api.UPLOAD_PATHS,
    )
