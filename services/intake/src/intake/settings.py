from pydantic_settings import SettingsConfigDict

from orderdesk_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    """Intake's settings, from INTAKE_* environment variables."""

    model_config = SettingsConfigDict(env_prefix="INTAKE_")

    service_name: str = "intake"
