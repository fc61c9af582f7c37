"""Tokens an attacker could bring to a real endpoint of the running stack: every one refused with 401, nothing stored.

The stack signs with an ES256 key pair of its own run dir; services verify against its JWKS, each for its own audience.
"""

import base64
import json
import secrets
import time
from datetime import timedelta

import httpx
import jwt
import pytest

from console.pages import TOKEN_COOKIE
from orderdesk_shared.auth import Role, audience_for
from orderdesk_shared.tokens import TokenSigner
from orderdesk_stack.order_generator import generate_orders
from orderdesk_stack.pipeline import PRODUCT_ORDER_PATH
from tests.conftest import bearer

pytestmark = pytest.mark.e2e

# The HS256 key every service used to fall back on: public, in the history of this repository.
FORMER_DEVELOPMENT_SECRET = "orderdesk-local-development-jwt-secret-not-for-production"


def _claims(stack, subject: str) -> dict:
    return {
        "iss": stack.token_signer.issuer,
        "sub": subject,
        "aud": list(stack.token_signer.audiences),
        "roles": [Role.SALES_REP.value],
        "exp": int(time.time()) + 600,
    }


def _tampered(token: str) -> str:
    """The token with its claims changed to another person in every role, and its signature kept."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims |= {"sub": "mallory", "roles": [role.value for role in Role]}
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def _forgeries(stack, tmp_path, subject: str) -> dict[str, str | None]:
    signer = stack.token_signer
    stranger = TokenSigner.create(tmp_path / "stranger", audiences=signer.audiences, issuer=signer.issuer)
    with_the_stacks_kid = TokenSigner(
        stranger.private_key_pem, signer.key_id, signer.issuer, signer.audiences, stranger.directory
    )
    return {
        "missing": None,
        "not a JWT": "not-a-token",
        "another key pair": stranger.mint(subject, [Role.SALES_REP]),
        "another key pair, the stack's kid": with_the_stacks_kid.mint(subject, [Role.SALES_REP]),
        "tampered": _tampered(signer.mint(subject, [Role.SALES_REP])),
        "expired": signer.mint(subject, [Role.SALES_REP], ttl=timedelta(seconds=-5)),
        "alg none": jwt.encode(_claims(stack, subject), None, algorithm="none"),
        "another service's audience": signer.mint(subject, [Role.SALES_REP], audience=audience_for("commission")),
        "no audience": signer.mint(subject, [Role.SALES_REP], audience=[]),
        "HS256 with the former development key": jwt.encode(
            _claims(stack, subject), FORMER_DEVELOPMENT_SECRET, algorithm="HS256"
        ),
        "another issuer": jwt.encode(
            _claims(stack, subject) | {"iss": "https://idp.example"},
            signer.private_key_pem,
            algorithm="ES256",
            headers={"kid": signer.key_id},
        ),
    }


async def test_forged_missing_expired_and_misaddressed_tokens_are_refused_and_store_nothing(stack, intake, tmp_path):
    [generated] = generate_orders(1, seed=secrets.randbelow(10_000), invalid_share=0.0)
    external_id = f"FORGED-{secrets.token_hex(6)}"
    body = generated.body | {"externalId": external_id}

    answers = {}
    for name, token in _forgeries(stack, tmp_path, generated.submitted_by).items():
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        response = await intake.post(PRODUCT_ORDER_PATH, json=body, headers=headers)
        answers[name] = (response.status_code, response.headers.get("WWW-Authenticate"))

    assert answers == {name: (401, "Bearer") for name in answers}
    desk = bearer(stack, "dana", Role.SPECIALIST)
    stored = await intake.get(PRODUCT_ORDER_PATH, params={"externalId": external_id}, headers=desk)
    assert stored.status_code == 200 and stored.json() == []


async def test_the_stacks_own_token_for_the_service_is_taken(stack, intake):
    token = stack.token_signer.mint("dana", [Role.SPECIALIST], audience=audience_for("intake"))
    response = await intake.get(PRODUCT_ORDER_PATH, params={"limit": 1}, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text


async def test_a_token_in_a_role_the_action_does_not_take_is_forbidden_and_stores_nothing(stack, intake):
    [generated] = generate_orders(1, seed=secrets.randbelow(10_000), invalid_share=0.0)
    external_id = f"WRONG-ROLE-{secrets.token_hex(6)}"
    for role in (Role.CATALOG_ADMIN, Role.CRM_SYSTEM):
        response = await intake.post(
            PRODUCT_ORDER_PATH, json=generated.body | {"externalId": external_id}, headers=bearer(stack, "x", role)
        )
        assert response.status_code == 403, response.text
        assert "this needs one of the roles" in response.json()["detail"]
    desk = bearer(stack, "dana", Role.SPECIALIST)
    assert (await intake.get(PRODUCT_ORDER_PATH, params={"externalId": external_id}, headers=desk)).json() == []


async def test_an_upstream_systems_token_reads_no_orders(stack, intake):
    response = await intake.get(PRODUCT_ORDER_PATH, headers=bearer(stack, "crm-integration", Role.CRM_SYSTEM))
    assert response.status_code == 403


async def test_the_local_consoles_sign_in_by_name_gives_a_token_every_service_takes_for_people_only(stack):
    async with httpx.AsyncClient(base_url=stack.service_url("console"), timeout=30.0) as console:
        signed_in = await console.post("/sign-in/dev", data={"name": "dana", "role": "specialist"})
        as_a_system = await console.post("/sign-in/dev", data={"name": "crm", "role": "crm_system"})
    assert signed_in.status_code == 303 and TOKEN_COOKIE in signed_in.cookies
    assert TOKEN_COOKIE not in as_a_system.cookies
    token = {"Authorization": f"Bearer {signed_in.cookies[TOKEN_COOKIE]}"}
    for service, path in (("intake", PRODUCT_ORDER_PATH), ("fulfillment-handoff", "/fulfillment/billing-codes")):
        async with httpx.AsyncClient(base_url=stack.service_url(service), timeout=30.0) as client:
            assert (await client.get(path, headers=token)).status_code == 200, service
