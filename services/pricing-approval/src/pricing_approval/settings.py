from pydantic import Field
from pydantic_settings import SettingsConfigDict

from orderdesk_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    """pricing-approval's settings, from PRICING_APPROVAL_* environment variables."""

    model_config = SettingsConfigDict(env_prefix="PRICING_APPROVAL_")

    service_name: str = "pricing-approval"
    # How often the deadline watch looks for approval requests past due and sent proposals past their last day.
    sla_watch_seconds: float = Field(default=30.0, gt=0)
