import pytest
from pydantic import ValidationError

from console.settings import Settings


def test_sign_in_by_name_is_refused_outside_a_local_stack(monkeypatch):
    monkeypatch.setenv("ORDERDESK_DEPLOYMENT", "production")
    monkeypatch.setenv("ORDERDESK_JWKS_URL", "https://idp.example/.well-known/jwks.json")
    monkeypatch.setenv("ORDERDESK_JWT_ISSUER", "https://idp.example")
    monkeypatch.setenv("CONSOLE_DEV_SIGN_IN", "true")
    with pytest.raises(ValidationError, match="local stacks only"):
        Settings(database_url="postgresql+asyncpg://x")


def test_sign_in_by_name_needs_the_local_stacks_signing_keys():
    with pytest.raises(ValidationError, match="CONSOLE_DEV_SIGN_IN_KEYS"):
        Settings(database_url="postgresql+asyncpg://x", dev_sign_in=True)
