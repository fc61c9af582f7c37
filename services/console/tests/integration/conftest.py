"""The console's pages with the services it acts through stood in for on a real port, on its real schema."""

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import pytest_asyncio
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from console.main import create_app
from console.pages import TOKEN_COOKIE
from console.settings import Settings
from orderdesk_shared.auth import Role, TokenVerifier, audience_for
from orderdesk_stack.mail_sink import MailSink
from orderdesk_stack.processes import LocalProcess, free_ports
from orderdesk_stack.testing import eventually, session_token_signer


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, str]
    caller: str
    body: Any


@dataclass
class OwningServices:
    """Stand-ins for the services the console acts through, on a real port: each answers what a test
    sets for a method and path (else 404), and keeps every call the console made, with who made it."""

    # Checks what the console sends as intake would: the signed-in person's token, fit for intake's audience.
    tokens: TokenVerifier
    answers: dict[tuple[str, str], tuple[int, Any]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)

    def answer(self, method: str, path: str, body: Any, status: int = 200) -> None:
        self.answers[(method, path)] = (status, body)

    def refuse_field(self, method: str, path: str, field_name: str, reason: str) -> None:
        """Answers as the owning services refuse a request with one field to fix (422, problem+json)."""
        problem = {
            "title": "The request is not valid",
            "detail": "1 field(s) need fixing",
            "invalid_params": [{"field": field_name, "reason": reason}],
        }
        self.answer(method, path, problem, status=422)

    def posted(self, path: str) -> Call:
        """The latest POST the console made to `path`."""
        return next(call for call in reversed(self.calls) if (call.method, call.path) == ("POST", path))

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.api_route("/{path:path}", methods=["GET", "POST", "PATCH"])
        async def anything(path: str, request: Request) -> JSONResponse:
            token = request.headers["authorization"].removeprefix("Bearer ")
            body = await _body(request)
            self.calls.append(
                Call(
                    request.method,
                    f"/{path}",
                    dict(request.query_params),
                    (await self.tokens.principal(token)).subject,
                    body,
                )
            )
            status, answer = self.answers.get((request.method, f"/{path}"), (404, {"title": "Not Found"}))
            return JSONResponse(
                answer, status_code=status, media_type="application/problem+json" if status >= 400 else None
            )

        return app


async def _body(request: Request) -> Any:
    """What the console sent: its JSON, or an upload's files by field as (file name, content)."""
    if request.method == "GET":
        return None
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        form = await request.form()
        return {name: (upload.filename, await upload.read()) for name, upload in form.items()}
    return await request.json()


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def owning_services() -> AsyncIterator[tuple[OwningServices, str]]:
    signer = session_token_signer()
    services = OwningServices(
        TokenVerifier(issuer=signer.issuer, audience=audience_for("intake"), jwks_url=signer.jwks_url)
    )
    [port] = free_ports(1)
    server = uvicorn.Server(uvicorn.Config(services.app(), host="127.0.0.1", port=port, log_level="warning"))
    serving = asyncio.create_task(server.serve())

    async def started() -> bool:
        return server.started

    await eventually(started, what="the owning services' server to start", pause=0.05)
    yield services, f"http://127.0.0.1:{port}"
    server.should_exit = True
    await serving


@pytest.fixture
def services(owning_services) -> OwningServices:
    services, _ = owning_services
    services.answers.clear()
    services.calls.clear()
    return services


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def console_app(service_database, owning_services):
    _, url = owning_services
    settings = Settings(
        database_url=await service_database("console"),
        intake_url=url,
        pricing_approval_url=url,
        serviceability_url=url,
        fulfillment_handoff_url=url,
        commission_url=url,
    )
    app = create_app(settings)
    yield app
    await app.state.runtime.database.dispose()


@pytest.fixture
async def console(database):
    """The console's app on the test schema (its pages read the database; nothing here needs the bus)."""
    settings = Settings(database_url=database.engine.url.render_as_string(hide_password=False))
    app = create_app(settings)
    yield app, settings
    await app.state.runtime.database.dispose()


async def browse_as(app, name: str, role: Role) -> httpx.AsyncClient:
    token = session_token_signer().mint(name, [role])
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://console",
        cookies={TOKEN_COOKIE: token},
        follow_redirects=True,
    )


def row_text(page: str, attribute: str, value: str) -> str:
    """The text of the table row marked with `attribute="value"`, tags left out."""
    found = re.search(rf'<tr [^>]*{attribute}="{re.escape(value)}".*?</tr>', page, re.S)
    assert found, f"no row with {attribute}={value}"
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(0)).split())


def notice(page: str) -> str:
    found = re.search(r'<p class="notice" role="status">(.*?)</p>', page, re.S)
    assert found, "no notice on the page"
    return found.group(1).replace("&#39;", "'").replace("&amp;", "&")


@pytest.fixture
def sink(tmp_path):
    """A real SMTP sink (the stack's smtp program) on a free port, keeping what it receives in a Maildir."""
    sink = MailSink(tmp_path / "smtp", port=free_ports(1)[0])
    process = LocalProcess(sink.process(), log_path=tmp_path / "smtp.log", cwd=tmp_path)
    process.start()
    try:
        sink.wait_ready(log_path=tmp_path / "smtp.log", still_running=process.is_running)
        yield sink
    finally:
        process.stop()
