"""A request that needs the database while it is away answers 503 with Retry-After, not 500."""

import errno

import asyncpg
import pytest
from asyncpg.exceptions._base import DataError as DriverDataError
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
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


@pytest.mark.parametrize(
    "error",
    [
        asyncpg.exceptions.CharacterNotInRepertoireError('invalid byte sequence for encoding "UTF8": 0x00'),
        asyncpg.exceptions.UntranslatableCharacterError("unsupported Unicode escape sequence"),
        asyncpg.exceptions.NumericValueOutOfRangeError("integer out of range"),
        DriverDataError("invalid input for query argument $1: datetime.datetime(9999, ... (date value out of range)"),
    ],
    ids=lambda error: type(error).__name__,
)
def test_a_value_the_database_cannot_take_is_invalid_input(error):
    response = _client_of_a_route_failing_with(error).get("/orders/PO-1")

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


def test_a_nul_character_on_a_tmf_route_is_a_400_tmf_error():
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/tmf-api/productOrderingManagement/v4/productOrder/{order_id}")
    async def read_order(order_id: str) -> dict:
        raise asyncpg.exceptions.CharacterNotInRepertoireError('invalid byte sequence for encoding "UTF8": 0x00')

    response = TestClient(app, raise_server_exceptions=False).get(
        "/tmf-api/productOrderingManagement/v4/productOrder/PO%00-1"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "400"
    assert "U+0000" in response.json()["message"]


def test_a_route_s_own_validation_error_is_a_problem_naming_the_field():
    # A route checks a parameter itself and raises the error FastAPI raises, with an item of its own: no type.
    error = RequestValidationError([{"loc": ("query", "state"), "msg": "unknown state(s) ['nonsense']"}])

    response = _client_of_a_route_failing_with(error).get("/orders/PO-1")

    assert response.status_code == 422
    assert response.json()["invalid_params"] == [{"field": "state", "reason": "unknown state(s) ['nonsense']"}]
