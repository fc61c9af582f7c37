from pydantic_settings import SettingsConfigDict

from orderdesk_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    """commission's settings, from COMMISSION_* environment variables."""

    model_config = SettingsConfigDict(env_prefix="COMMISSION_")

    service_name: str = "commission"
