"""Bearer JWT authentication and role checks (DESIGN.md §6).

Tokens are verified against the identity provider's JWKS (RS256 or ES256), for this service's audience and the
provider's issuer. The local stack is an identity provider of its own (orderdesk_shared.tokens); only there may a
service verify HS256 tokens with a shared secret instead.
"""

import asyncio
import json
import time
from collections.abc import Callable, Collection
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from urllib.parse import urlparse
from urllib.request import url2pathname

import jwt
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

if TYPE_CHECKING:
    from orderdesk_shared.settings import ServiceSettings

ASYMMETRIC_ALGORITHMS = frozenset({"RS256", "ES256"})
SHARED_SECRET_ALGORITHM = "HS256"
LOCAL_ISSUER = "orderdesk-local"
# How long a fetched key set is trusted before it is fetched again, and how soon a token naming a key the set
# lacks may make it be fetched again (a rotated key): not at every such token, or they would flood the provider.
JWKS_REFRESH_SECONDS = 300.0
JWKS_UNKNOWN_KEY_COOLDOWN_SECONDS = 30.0


def audience_for(service_name: str) -> str:
    """The audience a service accepts tokens for unless configured otherwise."""
    return f"orderdesk-{service_name}"


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
    # Upstream systems sending orders through intake's channels: machines, each with a credential of its own.
    CRM_SYSTEM = "crm_system"
    IVR_SYSTEM = "ivr_system"
    MAIL_GATEWAY = "mail_gateway"


SYSTEM_ROLES = frozenset({Role.CRM_SYSTEM, Role.IVR_SYSTEM, Role.MAIL_GATEWAY})
PERSON_ROLES = frozenset(Role) - SYSTEM_ROLES


class Principal(BaseModel):
    """Who is calling, and in which roles."""

    subject: str
    roles: frozenset[Role]


class TokenVerifier:
    """Checks bearer tokens for one service: signature, issuer, audience and expiry."""

    def __init__(self, *, issuer: str, audience: str, jwks_url: str | None = None, secret: str | None = None) -> None:
        if (jwks_url is None) == (secret is None):
            raise ValueError("a token verifier needs either a JWKS URL or (local stacks only) a shared secret")
        self.issuer = issuer
        self.audience = audience
        self._secret = secret
        self._keys = JsonWebKeys(jwks_url) if jwks_url else None

    @classmethod
    def from_settings(cls, settings: "ServiceSettings") -> "TokenVerifier":
        return cls(
            issuer=settings.jwt_issuer or LOCAL_ISSUER,
            audience=settings.token_audience,
            jwks_url=settings.jwks_url,
            secret=settings.jwt_secret.get_secret_value() if settings.jwt_secret else None,
        )

    async def principal(self, token: str) -> Principal:
        """Who the token is for; jwt.PyJWTError when it is not a valid token for this service."""
        if self._keys is None:
            key, algorithm = self._secret, SHARED_SECRET_ALGORITHM
        else:
            key = await self._keys.key_for(token)
            algorithm = key.algorithm_name
        principal, expires_at = _verified(token, key, algorithm, self.issuer, self.audience)
        if expires_at <= time.time():
            raise jwt.ExpiredSignatureError("Signature has expired")
        return principal


# Every token a key signs has the same header (algorithm, key id, type): read once per header, not per request. A
# provider has a few keys at a time; the bound keeps a stream of forged headers from growing the cache.
@lru_cache(maxsize=64)
def _unverified_header(header_segment: str) -> dict:
    """A token's header, from its first segment (the signature is checked later, by _verified)."""
    return jwt.get_unverified_header(f"{header_segment}..")


class JsonWebKeys:
    """The identity provider's signing keys, fetched from its JWKS URL off the event loop and kept a while.

    `file://` URLs are for the local stack, which writes its JWKS into its run directory.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self._keys: dict[str | None, jwt.PyJWK] = {}
        self._fetched_at = float("-inf")
        self._lock = asyncio.Lock()

    async def key_for(self, token: str) -> jwt.PyJWK:
        header = _unverified_header(token.partition(".")[0])
        if header.get("alg") not in ASYMMETRIC_ALGORITHMS:
            raise jwt.InvalidAlgorithmError(f"tokens signed with {header.get('alg')!r} are not accepted here")
        kid = header.get("kid")
        if self._stale(known=kid in self._keys):
            async with self._lock:
                if self._stale(known=kid in self._keys):
                    self._keys = await asyncio.to_thread(self._fetch)
                    self._fetched_at = time.monotonic()
        if kid is None and len(self._keys) == 1:
            return next(iter(self._keys.values()))
        if kid not in self._keys:
            raise jwt.InvalidKeyError(f"the identity provider has no signing key {kid!r}")
        return self._keys[kid]

    def _stale(self, *, known: bool) -> bool:
        age = time.monotonic() - self._fetched_at
        return age > JWKS_REFRESH_SECONDS or (not known and age > JWKS_UNKNOWN_KEY_COOLDOWN_SECONDS)

    def _fetch(self) -> dict[str | None, jwt.PyJWK]:
        location = urlparse(self.url)
        if location.scheme == "file":
            try:
                data = json.loads(Path(url2pathname(location.path)).read_text())
            except (OSError, ValueError) as error:
                raise jwt.PyJWKClientError(f"the signing keys at {self.url} cannot be read: {error}") from error
        else:
            data = jwt.PyJWKClient(self.url, cache_jwk_set=False, timeout=10).fetch_data()
        keys = jwt.PyJWKSet.from_dict(data).keys
        return {
            key.key_id: key
            for key in keys
            if key.algorithm_name in ASYMMETRIC_ALGORITHMS and key.public_key_use in (None, "sig")
        }


# A client sends the same token with request after request: its signature is checked once (per key, issuer and
# audience), its expiry every time. The tokens in use lately, as each person and client keeps one for hours: an entry
# (the token and its principal) is about 1 KiB, and an expired one stays until pushed out, so the size bounds memory.
@lru_cache(maxsize=1024)
def _verified(token: str, key: jwt.PyJWK | str, algorithm: str, issuer: str, audience: str) -> tuple[Principal, float]:
    claims = jwt.decode(
        token,
        key.key if isinstance(key, jwt.PyJWK) else key,
        algorithms=[algorithm],
        issuer=issuer,
        audience=audience,
        options={"require": ["iss", "sub", "aud", "exp"]},
    )
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
        return await request.app.state.tokens.principal(credentials.credentials)
    except jwt.PyJWTError as error:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, f"invalid token: {error}", {"WWW-Authenticate": "Bearer"}
        ) from error


def require_roles(*roles: Role) -> Callable[..., Principal]:
    """A dependency that admits a caller holding any of `roles`."""

    async def check(principal: Annotated[Principal, Depends(_principal)]) -> Principal:
        return _admitted(principal, roles)

    return check


async def caller_in_role(request: Request, *roles: Role) -> Principal:
    """The caller of the request, admitted as require_roles(*roles) admits them: for a route called so often that
    it takes its caller by a plain call rather than by FastAPI's dependency solving (which costs more per request
    than verifying the token). Such a route declares OPENAPI_BEARER_SECURITY for its documentation."""
    return _admitted(await _principal(request, await _bearer(request)), roles)


# The security requirement a route taking its caller by caller_in_role declares (as a dependency declares it).
OPENAPI_BEARER_SECURITY = [{"HTTPBearer": []}]


def _admitted(principal: Principal, roles: Collection[Role]) -> Principal:
    if not principal.roles.intersection(roles):
        needed = ", ".join(sorted(roles))
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"this needs one of the roles: {needed}")
    return principal


SignedIn = Annotated[Principal, Depends(require_roles(*PERSON_ROLES))]
"""A dependency that admits anyone signed in, in any role of a person (not an upstream system's)."""
