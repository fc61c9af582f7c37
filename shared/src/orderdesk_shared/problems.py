"""RFC 9457 problem+json responses, with field paths for invalid input."""

from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

PROBLEM_JSON = "application/problem+json"


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


def _title(status: int) -> str:
    return HTTPStatus(status).phrase


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation_problem)
    app.add_exception_handler(HTTPException, _http_problem)
