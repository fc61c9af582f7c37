"""commission's application: `uvicorn --factory commission.main:create_app`."""

from fastapi import FastAPI

from commission import api
from commission.bootstrap import bootstrap
from commission.settings import Settings
from orderdesk_shared.app import build_app


def create_app(settings: Settings | None = None) -> FastAPI:
    return build_app(bootstrap(settings), title="OrderDesk commission", routers=[api.router])
