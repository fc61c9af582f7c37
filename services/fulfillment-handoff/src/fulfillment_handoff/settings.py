from pydantic_settings import SettingsConfigDict

from orderdesk_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    """fulfillment-handoff's settings, from FULFILLMENT_* environment variables."""

    model_config = SettingsConfigDict(env_prefix="FULFILLMENT_")

    service_name: str = "fulfillment-handoff"
