"""A limit on request bodies, applied before any of a body is read into memory or any route (or auth) runs."""

import re
from collections.abc import Collection
from http import HTTPStatus

from fastapi import HTTPException, status
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from orderdesk_shared.problems import error_for


class BodyTooLarge(HTTPException):
    """The body went over its limit while being read. An HTTPException, so that FastAPI's body parsing
    passes it on as it is (and the problem handler renders it) instead of calling it a parse error."""

    def __init__(self, limit: int) -> None:
        super().__init__(status.HTTP_413_CONTENT_TOO_LARGE, f"the request body is over the limit of {limit} bytes")


class BodySizeLimit:
    """Refuse a body over its limit with 413: at once by its Content-Length, or as soon as the bytes
    streamed in pass it (a chunked body declares no length).

    Paths in `upload_paths` (a raw email, a CSV import) take `upload_limit` instead: larger, still bounded. A path
    may name a route's parameters as the route does ("/pricing/orders/{order_id}/rep-proposals"): any one segment.
    """

    def __init__(self, app: ASGIApp, *, limit: int, upload_limit: int, upload_paths: Collection[str] = ()) -> None:
        self._app = app
        self._limit = limit
        self._upload_limit = upload_limit
        self._upload_paths = [re.compile(re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(path))) for path in upload_paths]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        is_upload = any(path.fullmatch(scope["path"]) for path in self._upload_paths)
        limit = self._upload_limit if is_upload else self._limit
        if _declared_length(scope) > limit:
            await _refusal(scope["path"], limit)(scope, receive, send)
            return
        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def noted_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self._app(scope, counted_receive, noted_send)
        except BodyTooLarge:
            # Read outside FastAPI's handlers (a mounted app): answer here, unless an answer has begun.
            if started:
                raise
            await _refusal(scope["path"], limit)(scope, receive, send)


def _refusal(path: str, limit: int):
    status_code = status.HTTP_413_CONTENT_TOO_LARGE
    return error_for(path, status_code, HTTPStatus(status_code).phrase, detail=BodyTooLarge(limit).detail)


def _declared_length(scope: Scope) -> int:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return 0
    return 0
