"""On /tmf-api routes every error is the TMF `Error` the specifications document (and a problem too), invalid input
is a 400; every other route keeps problem+json and 422."""

from typing import Annotated

import asyncpg
import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query

from orderdesk_shared.body_limit import BodySizeLimit
from orderdesk_shared.problems import install_problem_handlers
from orderdesk_shared.tmf630 import not_offered

TMF = "/tmf-api/productOrderingManagement/v4/productOrder"
OWN = "/intake/orders"


def refuse(status: int):
    def dependency() -> None:
        raise HTTPException(status, f"refused with {status}", {"WWW-Authenticate": "Bearer"} if status == 401 else None)

    return Depends(dependency)


def app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    for prefix in (TMF, OWN):

        @app.get(prefix)
        async def listed(limit: Annotated[int, Query(ge=1, le=10)] = 5) -> list:
            return []

        @app.post(prefix)
        async def created(body: dict[str, int]) -> dict:
            return body

        @app.get(prefix + "/unauthorized", dependencies=[refuse(401)])
        @app.get(prefix + "/forbidden", dependencies=[refuse(403)])
        @app.get(prefix + "/conflict", dependencies=[refuse(409)])
        async def refused() -> None:
            """Never reached."""

        @app.get(prefix + "/database-away")
        async def away() -> None:
            raise asyncpg.exceptions.CannotConnectNowError("the database system is starting up")

    app.include_router(included_router())
    app.add_middleware(BodySizeLimit, limit=64, upload_limit=64)
    return app


def included_router() -> APIRouter:
    router = APIRouter(prefix="/tmf-api/included/v4")

    @router.get("/thing/{thing_id}")
    async def read(thing_id: str) -> dict:
        return {"id": thing_id}

    @router.patch("/thing/{thing_id}")
    async def change(thing_id: str) -> dict:
        return {"id": thing_id}

    not_offered(router, "/thing/{thing_id}", methods=["DELETE"])
    not_offered(router, "/hub", methods=["POST"])
    return router


async def answer(method: str, path: str, **request) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app()), base_url="http://test") as http:
        return await http.request(method, path, **request)


def assert_tmf_error(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert {key: body[key] for key in ("@type", "code", "status", "type")} == {
        "@type": "Error",
        "code": str(status),
        "status": str(status),
        "type": "about:blank",
    }
    assert body["reason"] == body["title"] and body["message"] == body["detail"]
    return body


async def test_invalid_input_on_a_tmf_route_is_a_400_error_with_field_paths():
    body = assert_tmf_error(await answer("POST", TMF, json={"a": "not a number"}), 400)
    assert [problem["field"] for problem in body["invalid_params"]] == ["a"]
    assert body["reason"] == "The request is not valid"

    bad_limit = assert_tmf_error(await answer("GET", TMF, params={"limit": 0}), 400)
    assert [problem["field"] for problem in bad_limit["invalid_params"]] == ["limit"]


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", f"{TMF}/unauthorized", 401),
        ("GET", f"{TMF}/forbidden", 403),
        ("GET", f"{TMF}/nothing-here/at-all", 404),
        ("DELETE", TMF, 405),
        ("GET", f"{TMF}/conflict", 409),
        ("GET", f"{TMF}/database-away", 503),
    ],
)
async def test_every_error_of_a_tmf_route_is_a_tmf_error(method, path, status):
    response = await answer(method, path)
    assert_tmf_error(response, status)
    if status == 401:
        assert response.headers["www-authenticate"] == "Bearer"
    if status == 405:
        assert response.headers["allow"] == "GET, POST"
    if status == 503:
        assert response.headers["retry-after"] == "5"


async def test_a_body_over_the_limit_on_a_tmf_route_is_a_413_tmf_error():
    body = assert_tmf_error(await answer("POST", TMF, content=b"{" + b" " * 100 + b"}"), 413)
    assert "64 bytes" in body["message"]


async def test_other_routes_keep_problem_json_and_422():
    invalid = await answer("POST", OWN, json={"a": "not a number"})
    assert (invalid.status_code, invalid.headers["content-type"]) == (422, "application/problem+json")
    assert invalid.json()["status"] == 422 and "@type" not in invalid.json()
    forbidden = await answer("GET", f"{OWN}/forbidden")
    assert (forbidden.status_code, forbidden.headers["content-type"]) == (403, "application/problem+json")
    too_large = await answer("POST", OWN, content=b"{" + b" " * 100 + b"}")
    assert (too_large.status_code, too_large.headers["content-type"]) == (413, "application/problem+json")


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", "/tmf-api/included/v4/thing/1", "GET, PATCH"),
        ("DELETE", "/tmf-api/included/v4/thing/1", "GET, PATCH"),
        ("POST", "/tmf-api/included/v4/hub", ""),
        ("GET", "/tmf-api/included/v4/hub", ""),
    ],
)
async def test_a_405_names_every_method_served_at_the_path_and_none_that_is_not_offered(method, path, allowed):
    response = await answer(method, path)
    assert_tmf_error(response, 405)
    assert response.headers["allow"] == allowed
