from pathlib import Path

from pydantic_settings import SettingsConfigDict

from fulfillment_handoff.reference import PATH_POLICY_FILE
from orderdesk_shared.markets import DEFAULT_MARKETS
from orderdesk_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    """fulfillment-handoff's settings, from FULFILLMENT_* environment variables."""

    model_config = SettingsConfigDict(env_prefix="FULFILLMENT_")

    service_name: str = "fulfillment-handoff"
    markets: Path = DEFAULT_MARKETS
    processing_paths: Path = PATH_POLICY_FILE
