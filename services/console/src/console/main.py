"""The console's application: `uvicorn --factory console.main:create_app`."""

from fastapi import FastAPI

from console import api
from console.bootstrap import bootstrap
from console.settings import Settings
from orderdesk_shared.app import build_app


def create_app(settings: Settings | None = None) -> FastAPI:
    return build_app(bootstrap(settings), title="OrderDesk console", routers=[api.router])
