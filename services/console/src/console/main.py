"""The console's application: `uvicorn --factory console.main:create_app`."""

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from console import api
from console.bootstrap import bootstrap
from console.live import OrderChanges
from console.pages import NotSignedIn, to_sign_in
from console.settings import Settings
from orderdesk_shared.app import build_app


def create_app(settings: Settings | None = None) -> FastAPI:
    order_changes = OrderChanges()
    app = build_app(
        bootstrap(settings, order_changes=order_changes),
        title="OrderDesk console",
        routers=[api.router, api.pages_router, api.sre_router],
        # A rep's proposal is a whole document, passed on to pricing-approval.
        upload_paths=("/orders/{order_id}/rep-proposals",),
    )
    app.state.order_changes = order_changes
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    app.add_exception_handler(NotSignedIn, to_sign_in)
    return app
