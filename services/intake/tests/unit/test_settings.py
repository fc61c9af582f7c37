import pytest
from pydantic import ValidationError

from intake.settings import Settings

SECRETS = "00D5e000000DEMOEAA=a-salesforce-secret-long-enough, 00D000000000OTHER=another-secret-long-enough=="


@pytest.fixture
def production(monkeypatch):
    """A production deployment: tokens from an identity provider, no local stack."""
    monkeypatch.setenv("ORDERDESK_DEPLOYMENT", "production")
    monkeypatch.setenv("ORDERDESK_JWKS_URL", "https://idp.example/.well-known/jwks.json")
    monkeypatch.setenv("ORDERDESK_JWT_ISSUER", "https://idp.example")
    monkeypatch.delenv("INTAKE_SALESFORCE_ORG_SECRETS", raising=False)


def test_intake_refuses_to_start_in_production_without_the_salesforce_orgs_and_their_secrets(production):
    with pytest.raises(ValidationError, match="INTAKE_SALESFORCE_ORG_SECRETS is not set"):
        Settings(database_url="postgresql+asyncpg://x")


def test_a_short_salesforce_secret_is_refused(production, monkeypatch):
    monkeypatch.setenv("INTAKE_SALESFORCE_ORG_SECRETS", "00D5e000000DEMOEAA=short")
    with pytest.raises(ValidationError, match="00D5e000000DEMOEAA are shorter than"):
        Settings(database_url="postgresql+asyncpg://x")


def test_the_configured_orgs_are_the_only_senders(production, monkeypatch):
    monkeypatch.setenv("INTAKE_SALESFORCE_ORG_SECRETS", SECRETS)
    settings = Settings(database_url="postgresql+asyncpg://x")
    secrets = {org: secret.get_secret_value() for org, secret in settings.salesforce_org_secrets.items()}
    assert secrets == {
        "00D5e000000DEMOEAA": "a-salesforce-secret-long-enough",
        "00D000000000OTHER": "another-secret-long-enough==",
    }


def test_an_org_without_a_secret_is_refused(production, monkeypatch):
    monkeypatch.setenv("INTAKE_SALESFORCE_ORG_SECRETS", "00D5e000000DEMOEAA")
    with pytest.raises(ValidationError, match="expected <org id>=<secret>"):
        Settings(database_url="postgresql+asyncpg://x")
