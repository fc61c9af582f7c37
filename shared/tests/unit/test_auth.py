import time
from datetime import timedelta

import jwt
import pytest

from orderdesk_shared.auth import Role, TokenVerifier, audience_for
from orderdesk_shared.tokens import TokenSigner

INTAKE = audience_for("intake")


@pytest.fixture(scope="module")
def signer(tmp_path_factory) -> TokenSigner:
    return TokenSigner.create(tmp_path_factory.mktemp("keys"), audiences=[INTAKE, audience_for("console")])


@pytest.fixture
def intake_tokens(signer) -> TokenVerifier:
    return TokenVerifier(issuer=signer.issuer, audience=INTAKE, jwks_url=signer.jwks_url)


async def test_a_minted_token_names_the_person_and_their_roles(signer, intake_tokens):
    principal = await intake_tokens.principal(signer.mint("dana", [Role.SPECIALIST, Role.SRE]))
    assert principal.subject == "dana"
    assert principal.roles == {Role.SPECIALIST, Role.SRE}


async def test_the_key_pair_is_made_once_and_loaded_after_that(signer, intake_tokens):
    again = TokenSigner.create(signer.directory, audiences=["other"])
    assert (again.key_id, again.audiences) == (signer.key_id, signer.audiences)
    assert (await intake_tokens.principal(again.mint("dana", [Role.SPECIALIST]))).subject == "dana"


async def test_a_token_of_another_key_pair_is_refused(tmp_path, intake_tokens, signer):
    stranger = TokenSigner.create(tmp_path, audiences=[INTAKE])
    with pytest.raises(jwt.InvalidKeyError):
        await intake_tokens.principal(stranger.mint("dana", [Role.SPECIALIST]))
    impostor = TokenSigner.load(tmp_path)
    same_kid = TokenSigner(impostor.private_key_pem, signer.key_id, signer.issuer, signer.audiences, tmp_path)
    with pytest.raises(jwt.InvalidSignatureError):
        await intake_tokens.principal(same_kid.mint("dana", [Role.SPECIALIST]))


async def test_a_token_for_another_service_is_refused(signer, intake_tokens):
    with pytest.raises(jwt.InvalidAudienceError):
        await intake_tokens.principal(signer.mint("dana", [Role.SPECIALIST], audience=audience_for("commission")))


async def test_a_token_of_another_issuer_is_refused(signer):
    verifier = TokenVerifier(issuer="https://idp.example", audience=INTAKE, jwks_url=signer.jwks_url)
    with pytest.raises(jwt.InvalidIssuerError):
        await verifier.principal(signer.mint("dana", [Role.SPECIALIST]))


@pytest.mark.parametrize("algorithm", ["HS256", "none"])
async def test_a_token_not_signed_with_the_providers_key_pair_is_refused(signer, intake_tokens, algorithm):
    claims = {"iss": signer.issuer, "sub": "dana", "aud": INTAKE, "exp": time.time() + 600, "roles": ["specialist"]}
    key = None if algorithm == "none" else "a-secret-anyone-could-have-guessed-long"
    forged = jwt.encode(claims, key, algorithm=algorithm)
    with pytest.raises(jwt.InvalidAlgorithmError):
        await intake_tokens.principal(forged)


async def test_an_expired_token_is_refused(signer, intake_tokens):
    with pytest.raises(jwt.ExpiredSignatureError):
        await intake_tokens.principal(signer.mint("dana", [Role.SPECIALIST], ttl=timedelta(seconds=-1)))


async def test_a_cached_token_is_still_refused_once_it_expires(signer, intake_tokens, monkeypatch):
    token = signer.mint("dana", [Role.SPECIALIST], ttl=timedelta(minutes=5))
    assert (await intake_tokens.principal(token)).subject == "dana"
    later = time.time() + 600
    monkeypatch.setattr(time, "time", lambda: later)
    with pytest.raises(jwt.ExpiredSignatureError):
        await intake_tokens.principal(token)


async def test_a_token_verified_for_one_service_is_not_taken_by_another_from_the_cache(signer, intake_tokens):
    token = signer.mint("dana", [Role.SPECIALIST], audience=INTAKE)
    await intake_tokens.principal(token)
    commission = TokenVerifier(issuer=signer.issuer, audience=audience_for("commission"), jwks_url=signer.jwks_url)
    with pytest.raises(jwt.InvalidAudienceError):
        await commission.principal(token)


async def test_a_local_shared_secret_verifies_hs256_tokens_only():
    secret = "a-local-secret-long-enough-for-hs256-keys"
    verifier = TokenVerifier(issuer="orderdesk-local", audience=INTAKE, secret=secret)
    claims = {"iss": "orderdesk-local", "sub": "dana", "aud": INTAKE, "exp": time.time() + 600}
    assert (await verifier.principal(jwt.encode(claims, secret, algorithm="HS256"))).subject == "dana"
    with pytest.raises(jwt.InvalidSignatureError):
        await verifier.principal(jwt.encode(claims, secret + "-other", algorithm="HS256"))
