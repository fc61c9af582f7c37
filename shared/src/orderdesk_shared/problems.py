"""Error answers: RFC 9457 problem+json with field paths, and on the TM Forum routes (/tmf-api/...) the TMF `Error`
the published specifications document, which is a problem at the same time.

A TMF route answers invalid input with 400 (the status its specification documents; 422 is not in them) and every
error as `application/json` (the specifications' `produces`) with the members of both shapes:
`{"@type": "Error", "code", "reason", "message", "status": "<as a string>"}` for a TMF client,
`type`, `title`, `detail` and `invalid_params` for one that reads problems. Every other route keeps
`application/problem+json` and 422 for invalid input.
"""

import re
from collections.abc import Collection
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi import status as http_status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.routing import Match, compile_path

from orderdesk_shared.errors import DATABASE_FAILURES, TransientError, is_transient, unstorable_value
from orderdesk_shared.field_problems import field_path, reason_of
from orderdesk_shared.logs import get_logger

log = get_logger(__name__)

PROBLEM_JSON = "application/problem+json"
TMF_JSON = "application/json"
TMF_API_PREFIX = "/tmf-api/"
_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
# Paths (as route regexes) and the methods a route there only refuses as not offered (orderdesk_shared.tmf630): set
# as the routes are declared, at import.
_NOT_OFFERED: list[tuple[re.Pattern[str], frozenset[str]]] = []
# When a client may try again after the database or another dependency was away.
RETRY_AFTER_SECONDS = 5


def problem(status: int, title: str, *, detail: str | None = None, **extensions: object) -> JSONResponse:
    body: dict[str, object] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extensions)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def tmf_error(status: int, title: str, *, detail: str | None = None, **extensions: object) -> JSONResponse:
    """A TMF `Error` (code, reason, message, status as a string) that is also a problem (type, title, detail)."""
    code = str(status)
    body: dict[str, object] = {"@type": "Error", "code": code, "reason": title, "status": code}
    body |= {"type": "about:blank", "title": title}
    if detail:
        body |= {"message": detail, "detail": detail}
    body.update(extensions)
    return JSONResponse(body, status_code=status, media_type=TMF_JSON)


def is_tmf_path(path: str) -> bool:
    return path.startswith(TMF_API_PREFIX)


def error_for(path: str, status: int, title: str, *, detail: str | None = None, **extensions: object) -> JSONResponse:
    """The error answer to a request for `path`: a TMF Error on a TMF route, a problem elsewhere."""
    answer = tmf_error if is_tmf_path(path) else problem
    return answer(status, title, detail=detail, **extensions)


def invalid_input_status(path: str) -> int:
    """400 on a TMF route (what the specifications document), 422 elsewhere."""
    return http_status.HTTP_400_BAD_REQUEST if is_tmf_path(path) else http_status.HTTP_422_UNPROCESSABLE_CONTENT


def _field_in_request(location: tuple) -> str:
    # Only the first part says where in the request the field is: a body field may be named `query` (a TMF hub's).
    inside = location[1:] if location and location[0] in ("body", "query", "path", "header") else location
    return field_path(inside) or "(request)"


async def _validation_problem(request: Request, error: RequestValidationError) -> JSONResponse:
    invalid = [{"field": _field_in_request(item["loc"]), "reason": reason_of(item)} for item in error.errors()]
    path = request.url.path
    return error_for(
        path,
        invalid_input_status(path),
        "The request is not valid",
        detail=f"{len(invalid)} field(s) need fixing",
        invalid_params=invalid,
    )


async def _http_problem(request: Request, error: HTTPException) -> JSONResponse:
    response = error_for(request.url.path, error.status_code, _title(error.status_code), detail=str(error.detail))
    response.headers.update(error.headers or {})
    if error.status_code == http_status.HTTP_405_METHOD_NOT_ALLOWED:
        # The router's own Allow names only the methods of the first route at the path.
        response.headers["Allow"] = ", ".join(sorted(allowed_methods(request)))
    return response


def allowed_methods(request: Request) -> set[str]:
    """Every method some route of the app serves at the request's path, save those only refused as not offered.

    Routers included in a FastAPI app are not flattened into its routes, so each method is tried on them as a
    request would be.
    """
    path = request.url.path
    refused = {method for template, methods in _NOT_OFFERED if template.match(path) for method in methods}

    def served(method: str) -> bool:
        return any(route.matches({**request.scope, "method": method})[0] is Match.FULL for route in request.app.routes)

    return {method for method in _METHODS if method not in refused and served(method)}


def declare_not_offered(path: str, methods: Collection[str]) -> None:
    """Note that the route at this full path only refuses these methods, so that no Allow header names them."""
    _NOT_OFFERED.append((compile_path(path)[0], frozenset(methods)))


async def _unavailable_problem(request: Request, error: Exception) -> JSONResponse:
    """503 with Retry-After while a dependency is away; a value the database cannot take is invalid input; any other
    failure stays a 500 (and is logged as one)."""
    if reason := unstorable_value(error):
        # Refused where it is stored or looked up, so that every field of every route is covered: a NUL character
        # or a date-time in year 9999 at an offset is valid JSON and valid under the specifications, but no
        # PostgreSQL value can hold it.
        path = request.url.path
        return error_for(
            path,
            invalid_input_status(path),
            "The request is not valid",
            detail=reason,
            invalid_params=[{"field": "(request)", "reason": reason}],
        )
    if not is_transient(error):
        raise error
    log.warning("request failed while a dependency is away", error_class=type(error).__name__)
    response = error_for(
        request.url.path,
        http_status.HTTP_503_SERVICE_UNAVAILABLE,
        "Service Unavailable",
        detail="A service this one depends on is unavailable for now; try again shortly.",
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
