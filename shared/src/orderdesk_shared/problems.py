"""RFC 9457 problem+json responses, with field paths for invalid input."""

from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from orderdesk_shared.errors import DATABASE_FAILURES, TransientError, is_transient
from orderdesk_shared.logs import get_logger

log = get_logger(__name__)

PROBLEM_JSON = "application/problem+json"
# When a client may try again after the database or another dependency was away.
RETRY_AFTER_SECONDS = 5


def problem(status: int, title: str, *, detail: str | None = None, **extensions: object) -> JSONResponse:
    body: dict[str, object] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extensions)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def _field_path(location: tuple) -> str:
    parts = [str(part) for part in location if part not in ("body", "query", "path", "header")]
    return ".".join(parts) or "(request)"


async def _validation_problem(_: Request, error: RequestValidationError) -> JSONResponse:
    invalid = [{"field": _field_path(item["loc"]), "reason": item["msg"]} for item in error.errors()]
    return problem(
        422, "The request is not valid", detail=f"{len(invalid)} field(s) need fixing", invalid_params=invalid
    )


async def _http_problem(_: Request, error: HTTPException) -> JSONResponse:
    response = problem(error.status_code, _title(error.status_code), detail=str(error.detail))
    response.headers.update(error.headers or {})
    return response


async def _unavailable_problem(_: Request, error: Exception) -> JSONResponse:
    """503 with Retry-After while a dependency is away; any other failure stays a 500 (and is logged as one)."""
    if not is_transient(error):
        raise error
    log.warning("request failed while a dependency is away", error_class=type(error).__name__)
    response = problem(
        503, "Service Unavailable", detail="A service this one depends on is unavailable for now; try again shortly."
    )
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _title(status: int) -> str:
    return HTTPStatus(status).phrase


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation_problem)
    app.add_exception_handler(HTTPException, _http_problem)
    for failure in (*DATABASE_FAILURES, TransientError):
        app.add_exception_handler(failure, _unavailable_problem)
