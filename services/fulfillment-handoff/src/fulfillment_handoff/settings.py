from pathlib import Path

from pydantic_settings import SettingsConfigDict

from fulfillment_handoff.reference import MARKETS_FILE, PATH_POLICY_FILE
from orderdesk_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    """fulfillment-handoff's settings, from FULFILLMENT_* environment variables."""

    model_config = SettingsConfigDict(env_prefix="FULFILLMENT_")

    service_name: str = "fulfillment-handoff"
    markets: Path = MARKETS_FILE
    processing_paths: Path = PATH_POLICY_FILE
