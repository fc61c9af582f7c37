"""Bearer JWT authentication and role checks (DESIGN.md §6)."""

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Annotated

import jwt
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

ALGORITHM = "HS256"
# HS256 wants a key of at least 32 bytes; this one signs tokens of local stacks and tests only.
LOCAL_DEVELOPMENT_SECRET = "orderdesk-local-development-jwt-secret-not-for-production"
ISSUER = "orderdesk"


class Role(StrEnum):
    SALES_REP = "sales_rep"
    SPECIALIST = "specialist"
    SALES_MANAGER = "sales_manager"
    SALES_DIRECTOR = "sales_director"
    VP_SALES = "vp_sales"
    FINANCE = "finance"
    LEGAL = "legal"
    CATALOG_ADMIN = "catalog_admin"
    OPERATIONS = "operations"
    COMMISSION_ANALYST = "commission_analyst"
    SRE = "sre"


class Principal(BaseModel):
    """Who is calling, and in which roles."""

    subject: str
    roles: frozenset[Role]


def mint_token(*, secret: str, subject: str, roles: list[Role], ttl: timedelta = timedelta(hours=8)) -> str:
    now = datetime.now(UTC)
    claims = {"iss": ISSUER, "sub": subject, "roles": [str(role) for role in roles], "iat": now, "exp": now + ttl}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def read_token(token: str, *, secret: str) -> Principal:
    principal, expires_at = _verified(token, secret)
    if expires_at <= time.time():
        raise jwt.ExpiredSignatureError("Signature has expired")
    return principal


# A client sends the same token with request after request: its signature is checked once, its expiry every time.
@lru_cache(maxsize=4096)
def _verified(token: str, secret: str) -> tuple[Principal, float]:
    claims = jwt.decode(token, secret, algorithms=[ALGORITHM], issuer=ISSUER, options={"require": ["sub", "exp"]})
    known = {role.value for role in Role}
    roles = frozenset(Role(r) for r in claims.get("roles", []) if r in known)
    return Principal(subject=claims["sub"], roles=roles), float(claims["exp"])


_bearer = HTTPBearer(auto_error=False)


# Dependencies here are async on purpose: FastAPI runs a plain `def` dependency in a thread pool.
async def _principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    if credentials is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "a bearer token is required", {"WWW-Authenticate": "Bearer"})
    try:
        return read_token(credentials.credentials, secret=request.app.state.runtime.settings.jwt_secret)
    except jwt.PyJWTError as error:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, f"invalid token: {error}", {"WWW-Authenticate": "Bearer"}
        ) from error


def require_roles(*roles: Role) -> Callable[..., Principal]:
    """A dependency that admits a caller holding any of `roles`."""

    async def check(principal: Annotated[Principal, Depends(_principal)]) -> Principal:
        if not principal.roles.intersection(roles):
            needed = ", ".join(sorted(roles))
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"this needs one of the roles: {needed}")
        return principal

    return check


SignedIn = Annotated[Principal, Depends(require_roles(*Role))]
"""A dependency that admits anyone signed in, in any role."""
