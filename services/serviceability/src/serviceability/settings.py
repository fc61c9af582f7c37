from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from orderdesk_shared.settings import ServiceSettings

SERVICE_DIRECTORY = Path(__file__).resolve().parents[2]
SEED_INVENTORY = SERVICE_DIRECTORY / "reference" / "locations.v1.csv"
POLICY_FILE = SERVICE_DIRECTORY / "policies" / "serviceability.v1.toml"
SEED_OFFERINGS = SERVICE_DIRECTORY / "reference" / "offerings.v1.toml"


class Settings(ServiceSettings):
    """serviceability's settings, from SERVICEABILITY_* environment variables."""

    model_config = SettingsConfigDict(env_prefix="SERVICEABILITY_")

    service_name: str = "serviceability"
    # The policy (DOMAIN.md's numbers) and the site offerings served until pricing-approval's catalogue is heard.
    policy: Path = POLICY_FILE
    offerings: Path = SEED_OFFERINGS
    # When set (the local stack sets it), an empty location inventory is filled from seed_inventory at start;
    # a production inventory is imported through the API or the CLI instead.
    seed_empty_inventory: bool = False
    seed_inventory: Path = SEED_INVENTORY
    # How often open site surveys are checked against their SLA.
    survey_sla_check_seconds: float = Field(default=60.0, gt=0)
