from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from orderdesk_shared.settings import ServiceSettings

SEED_INVENTORY = Path(__file__).resolve().parents[2] / "reference" / "locations.v1.csv"


class Settings(ServiceSettings):
    """serviceability's settings, from SERVICEABILITY_* environment variables."""

    model_config = SettingsConfigDict(env_prefix="SERVICEABILITY_")

    service_name: str = "serviceability"
    # When set (the local stack sets it), an empty location inventory is filled from seed_inventory at start;
    # a production inventory is imported through the API or the CLI instead.
    seed_empty_inventory: bool = False
    seed_inventory: Path = SEED_INVENTORY
    # How often open site surveys are checked against their SLA.
    survey_sla_check_seconds: float = Field(default=60.0, gt=0)
