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
