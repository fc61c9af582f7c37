import pytest
from pydantic import ValidationError
from pydantic_settings import SettingsConfigDict

from orderdesk_shared.settings import ServiceSettings


def test_a_handler_timeout_too_long_for_the_poll_interval_is_refused_at_start():
    with pytest.raises(ValidationError, match="quarter of max_poll_interval_ms"):
        ServiceSettings(service_name="x", database_url="postgresql+asyncpg://x", handler_timeout_seconds=30)


def test_the_defaults_are_consistent():
    settings = ServiceSettings(service_name="x", database_url="postgresql+asyncpg://x")
    assert settings.handler_timeout_seconds * 1000 * 4 <= settings.max_poll_interval_ms


def test_body_limits_are_read_from_the_service_prefix_and_an_upload_limit_below_the_body_limit_is_refused(
    monkeypatch,
):
    class IntakeLike(ServiceSettings):
        model_config = SettingsConfigDict(env_prefix="INTAKE_")

    monkeypatch.setenv("INTAKE_MAX_BODY_BYTES", "2048")
    monkeypatch.setenv("INTAKE_MAX_UPLOAD_BYTES", "4096")
    settings = IntakeLike(service_name="intake", database_url="postgresql+asyncpg://x")
    assert (settings.max_body_bytes, settings.max_upload_bytes) == (2048, 4096)

    monkeypatch.setenv("INTAKE_MAX_UPLOAD_BYTES", "1024")
    with pytest.raises(ValidationError, match="max_upload_bytes must be at least max_body_bytes"):
        IntakeLike(service_name="intake", database_url="postgresql+asyncpg://x")


def test_the_callback_hosts_listeners_may_register_are_read_comma_separated_from_the_service_prefix(monkeypatch):
    class IntakeLike(ServiceSettings):
        model_config = SettingsConfigDict(env_prefix="INTAKE_")

    assert IntakeLike(service_name="intake", database_url="postgresql+asyncpg://x").hub_callback_hosts == ()
    monkeypatch.setenv("INTAKE_HUB_CALLBACK_HOSTS", " CRM.example.com, crm.internal.example ,")
    settings = IntakeLike(service_name="intake", database_url="postgresql+asyncpg://x")
    assert settings.hub_callback_hosts == ("crm.example.com", "crm.internal.example")


@pytest.fixture
def production(production_deployment, monkeypatch):
    """A production deployment that forgot its token settings (each test sets what it needs)."""
    for name in ("ORDERDESK_DEPLOYMENT", "ORDERDESK_JWKS_URL", "ORDERDESK_JWT_ISSUER", "ORDERDESK_JWT_SECRET"):
        monkeypatch.delenv(name, raising=False)


def _settings(**values) -> ServiceSettings:
    return ServiceSettings(service_name="intake", database_url="postgresql+asyncpg://x", **values)


@pytest.mark.parametrize(
    ("environment", "refusal"),
    [
        ({}, "no key to verify tokens with"),
        ({"ORDERDESK_JWT_SECRET": "orderdesk-local-development-jwt-secret-not-for-production"}, "local stacks only"),
        ({"ORDERDESK_JWKS_URL": "http://idp.example/jwks", "ORDERDESK_JWT_ISSUER": "https://idp.example"}, "https"),
        ({"ORDERDESK_JWKS_URL": "file:///keys/jwks.json", "ORDERDESK_JWT_ISSUER": "https://idp.example"}, "https"),
        ({"ORDERDESK_JWKS_URL": "https://idp.example/jwks"}, "ORDERDESK_JWT_ISSUER"),
    ],
    ids=["no key", "shared secret", "plain http", "local file", "no issuer"],
)  # fmt: skip
def test_a_service_refuses_to_start_without_a_key_production_can_trust(production, monkeypatch, environment, refusal):
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match=refusal):
        _settings()


def test_a_production_service_verifies_the_providers_tokens_for_its_own_audience(production, monkeypatch):
    monkeypatch.setenv("ORDERDESK_JWKS_URL", "https://idp.example/.well-known/jwks.json")
    monkeypatch.setenv("ORDERDESK_JWT_ISSUER", "https://idp.example")
    assert _settings().token_audience == "orderdesk-intake"
    assert _settings(jwt_audience="api://orderdesk/intake").token_audience == "api://orderdesk/intake"


def test_a_local_stack_may_verify_with_a_shared_secret_but_not_with_both(production, monkeypatch):
    monkeypatch.setenv("ORDERDESK_DEPLOYMENT", "local")
    monkeypatch.setenv("ORDERDESK_JWT_SECRET", "a-local-secret-long-enough-for-hs256-keys")
    assert _settings().jwt_secret is not None
    monkeypatch.setenv("ORDERDESK_JWKS_URL", "file:///keys/jwks.json")
    with pytest.raises(ValidationError, match="not both"):
        _settings()


@pytest.mark.parametrize("protocol", ["PLAINTEXT", "SSL"])
def test_a_production_service_refuses_kafka_without_a_login(production, monkeypatch, protocol):
    monkeypatch.setenv("ORDERDESK_JWKS_URL", "https://idp.example/.well-known/jwks.json")
    monkeypatch.setenv("ORDERDESK_JWT_ISSUER", "https://idp.example")
    monkeypatch.setenv("KAFKA_SECURITY_PROTOCOL", protocol)
    with pytest.raises(ValidationError, match="Kafka without a login is for local stacks only"):
        _settings()


def test_a_sasl_protocol_without_a_password_is_refused_at_start(production, monkeypatch):
    monkeypatch.setenv("ORDERDESK_JWKS_URL", "https://idp.example/.well-known/jwks.json")
    monkeypatch.setenv("ORDERDESK_JWT_ISSUER", "https://idp.example")
    monkeypatch.delenv("KAFKA_PASSWORD")
    with pytest.raises(ValidationError, match="needs a username and a password"):
        _settings()
