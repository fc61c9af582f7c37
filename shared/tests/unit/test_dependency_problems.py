"""A request that needs the database while it is away answers 503 with Retry-After, not 500."""

import errno

import asyncpg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from orderdesk_shared.problems import install_problem_handlers


def _client_of_a_route_failing_with(error: Exception) -> TestClient:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/orders/PO-1")
    async def read_order() -> dict:
        raise error

    return TestClient(app, raise_server_exceptions=False)


@pytest.mark.parametrize(
    "error",
    [
        ConnectionRefusedError(errno.ECONNREFUSED, "Connect call failed ('10.0.0.7', 5432)"),
        asyncpg.exceptions.CannotConnectNowError("the database system is starting up"),
    ],
    ids=lambda error: type(error).__name__,
)
def test_a_database_that_is_away_is_a_503_problem_with_retry_after(error):
    response = _client_of_a_route_failing_with(error).get("/orders/PO-1")

    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"] == "5"
    assert "10.0.0.7" not in response.text


def test_any_other_failure_stays_a_500():
    response = _client_of_a_route_failing_with(FileNotFoundError(errno.ENOENT, "rules.toml")).get("/orders/PO-1")

    assert response.status_code == 500
