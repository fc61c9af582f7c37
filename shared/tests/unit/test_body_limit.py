from typing import Annotated

import httpx
from fastapi import Depends, FastAPI, HTTPException, Request

from orderdesk_shared.body_limit import BodySizeLimit
from orderdesk_shared.problems import install_problem_handlers

LIMIT = 1024
stored: list[dict] = []


def refuse_everyone() -> None:
    raise HTTPException(401, "no token")


def guarded_app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/orders")
    async def create(order: dict, _: Annotated[None, Depends(refuse_everyone)]) -> dict:
        stored.append(order)
        return order

    @app.post("/open")
    async def open_route(order: dict) -> dict:
        return order

    @app.post("/upload")
    async def upload(request: Request) -> dict:
        return {"bytes": len(await request.body())}

    @app.post("/orders/{order_id}/documents")
    async def upload_for_order(order_id: str, request: Request) -> dict:
        return {"bytes": len(await request.body())}

    app.add_middleware(
        BodySizeLimit, limit=LIMIT, upload_limit=4 * LIMIT, upload_paths=["/upload", "/orders/{order_id}/documents"]
    )
    return app


def client() -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=guarded_app()), base_url="http://test")


async def test_a_body_declared_over_the_limit_is_refused_before_auth_and_nothing_is_stored():
    async with client() as http:
        response = await http.post("/orders", content=b"{" + b" " * 4096 + b"}")

    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert "1024 bytes" in response.json()["detail"]
    assert stored == []


async def test_a_streamed_body_without_length_is_refused_once_it_passes_the_limit():
    async def chunks():
        for _ in range(10):
            yield b" " * 512

    async with client() as http:
        response = await http.post("/open", content=chunks(), headers={"content-type": "application/json"})

    assert response.status_code == 413
    assert "1024 bytes" in response.json()["detail"]


async def test_bodies_within_their_limit_pass_and_uploads_have_a_larger_one():
    async with client() as http:
        small = await http.post("/open", json={"id": "PO-1"})
        upload = await http.post("/upload", content=b"x" * (3 * LIMIT))
        too_big_upload = await http.post("/upload", content=b"x" * (5 * LIMIT))

    assert small.json() == {"id": "PO-1"}
    assert upload.json() == {"bytes": 3 * LIMIT}
    assert too_big_upload.status_code == 413


async def test_an_upload_path_with_a_parameter_takes_the_upload_limit_for_any_one_segment():
    async with client() as http:
        upload = await http.post("/orders/PO-7/documents", content=b"x" * (3 * LIMIT))
        elsewhere = await http.post("/orders/PO-7/other/documents", content=b"x" * (3 * LIMIT))

    assert upload.json() == {"bytes": 3 * LIMIT}
    assert elsewhere.status_code == 413
