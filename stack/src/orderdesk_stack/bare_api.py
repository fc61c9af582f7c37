"""The HTTP baseline of `make bench`: FastAPI on uvicorn taking the same POST and doing nothing with it.

Intake's acceptance rate is reported against this: the share of what the framework itself can
take on this machine that intake keeps while it authenticates, validates and stores each order.
`uvicorn --factory orderdesk_stack.bare_api:create_app`.
"""

import uuid

from fastapi import FastAPI, status

from orderdesk_stack.pipeline import PRODUCT_ORDER_PATH


def create_app() -> FastAPI:
    app = FastAPI(title="bench baseline")

    @app.post(PRODUCT_ORDER_PATH, status_code=status.HTTP_201_CREATED)
    async def accept(body: dict) -> dict:
        return {"id": f"PO-{uuid.uuid4().hex[:12].upper()}", "state": "acknowledged"}

    @app.get("/readyz")
    async def ready() -> dict:
        return {"status": "ready"}

    return app
