"""The console's application: `uvicorn --factory console.main:create_app`."""

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from console import api
from console.bootstrap import bootstrap
from console.live import OrderChanges
from console.pages import NotSignedIn
from console.settings import Settings
from orderdesk_shared.app import build_app


def create_app(settings: Settings | None = None) -> FastAPI:
    order_changes = OrderChanges()
    app = build_app(
        bootstrap(settings, order_changes=order_changes),
        title="OrderDesk console",
        routers=[api.router, api.pages_router, api.sre_router],
    )
    app.state.order_changes = order_changes
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")

    @app.exception_handler(NotSignedIn)
    async def to_sign_in(_: Request, __: NotSignedIn) -> RedirectResponse:
        return RedirectResponse("/sign-in", status_code=303)

    return app
