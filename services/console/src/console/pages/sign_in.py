"""Signing in (with a token from the identity provider, or by name and role on a local stack) and out: the token is
kept in an HTTP-only cookie."""

from typing import Annotated

import jwt
from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from console.pages.common import TOKEN_COOKIE, back_with_notice, page, page_router, settings_of
from orderdesk_shared.auth import PERSON_ROLES, Role
from orderdesk_shared.tokens import TokenSigner

router = page_router()


@router.get("/sign-in", response_class=HTMLResponse)
async def sign_in_page(request: Request) -> HTMLResponse:
    return page(
        request,
        "sign_in.html",
        None,
        dev_sign_in=settings_of(request).dev_sign_in,
        roles=[role for role in Role if role in PERSON_ROLES],
    )


@router.post("/sign-in")
async def sign_in(request: Request, token: Annotated[str, Form()]) -> Response:
    """Sign in with a bearer token from the identity provider."""
    try:
        await request.app.state.tokens.principal(token.strip())
    except jwt.PyJWTError as error:
        return back_with_notice("/sign-in", f"That token does not sign you in: {error}")
    return _signed_in_as(token.strip())


@router.post("/sign-in/dev")
async def dev_sign_in(request: Request, name: Annotated[str, Form()], role: Annotated[Role, Form()]) -> Response:
    """Local stacks only: sign in as anyone in any role."""
    settings = settings_of(request)
    if not settings.dev_sign_in:
        return back_with_notice("/sign-in", "Sign-in by name is off here: use a token.")
    if role not in PERSON_ROLES:
        return back_with_notice("/sign-in", f"{role} is a system's role, not a person's.")
    signer = TokenSigner.load(settings.dev_sign_in_keys)
    return _signed_in_as(signer.mint(name.strip(), [role]))


def _signed_in_as(token: str) -> Response:
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="strict")
    return response


@router.post("/sign-out")
async def sign_out() -> Response:
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(TOKEN_COOKIE)
    return response
