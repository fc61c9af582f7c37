import pytest
from pydantic import ValidationError

from orderdesk_shared.settings import ServiceSettings


def test_a_handler_timeout_too_long_for_the_poll_interval_is_refused_at_start():
    with pytest.raises(ValidationError, match="quarter of max_poll_interval_ms"):
        ServiceSettings(service_name="x", database_url="postgresql+asyncpg://x", handler_timeout_seconds=30)


def test_the_defaults_are_consistent():
    settings = ServiceSettings(service_name="x", database_url="postgresql+asyncpg://x")
    assert settings.handler_timeout_seconds * 1000 * 4 <= settings.max_poll_interval_ms
