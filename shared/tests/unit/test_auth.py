import time
from datetime import timedelta

import jwt
import pytest

from orderdesk_shared.auth import Role, mint_token, read_token

SECRET = "a-test-secret-long-enough-for-hs256-keys"


def test_a_minted_token_names_the_person_and_their_roles():
    principal = read_token(mint_token(secret=SECRET, subject="dana", roles=[Role.SPECIALIST, Role.SRE]), secret=SECRET)
    assert principal.subject == "dana"
    assert principal.roles == {Role.SPECIALIST, Role.SRE}


def test_a_token_signed_with_another_secret_is_refused():
    token = mint_token(secret="another-secret-entirely-long-enough-for-hs256", subject="dana", roles=[Role.SPECIALIST])
    with pytest.raises(jwt.InvalidSignatureError):
        read_token(token, secret=SECRET)


def test_an_expired_token_is_refused():
    token = mint_token(secret=SECRET, subject="dana", roles=[Role.SPECIALIST], ttl=timedelta(seconds=-1))
    with pytest.raises(jwt.ExpiredSignatureError):
        read_token(token, secret=SECRET)


def test_a_token_read_before_is_refused_once_it_expires(monkeypatch):
    token = mint_token(secret=SECRET, subject="dana", roles=[Role.SPECIALIST], ttl=timedelta(minutes=5))
    assert read_token(token, secret=SECRET).subject == "dana"
    ten_minutes_on = time.time() + 600
    monkeypatch.setattr(time, "time", lambda: ten_minutes_on)
    with pytest.raises(jwt.ExpiredSignatureError):
        read_token(token, secret=SECRET)


def test_a_token_valid_for_one_secret_is_refused_for_another_even_after_use():
    token = mint_token(secret=SECRET, subject="dana", roles=[Role.SPECIALIST])
    read_token(token, secret=SECRET)
    with pytest.raises(jwt.InvalidSignatureError):
        read_token(token, secret="another-secret-entirely-long-enough-for-hs256")
