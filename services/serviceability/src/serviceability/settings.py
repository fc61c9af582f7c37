from pydantic_settings import SettingsConfigDict

from orderdesk_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    """serviceability's settings, from SERVICEABILITY_* environment variables."""

    model_config = SettingsConfigDict(env_prefix="SERVICEABILITY_")

    service_name: str = "serviceability"
