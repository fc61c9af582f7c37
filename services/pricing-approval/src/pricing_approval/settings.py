from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from orderdesk_shared.settings import ServiceSettings

POLICIES = Path(__file__).resolve().parents[2] / "policies"
CATALOGUE_DIRECTORY = Path(__file__).resolve().parents[2] / "catalogue"


class Settings(ServiceSettings):
    """pricing-approval's settings, from PRICING_APPROVAL_* environment variables; the business calendar is every
    service's (orderdesk_shared.calendar.CalendarSettings)."""

    model_config = SettingsConfigDict(env_prefix="PRICING_APPROVAL_")

    service_name: str = "pricing-approval"
    # How often the deadline watch looks for approval requests past due and sent proposals past their last day.
    sla_watch_seconds: float = Field(default=30.0, gt=0)
    # The rule files (default: the shipped ones); the highest-numbered catalogue.vN.json in the directory is in force.
    catalogue_dir: Path = CATALOGUE_DIRECTORY
    approval_matrix: Path = POLICIES / "approval_matrix.v1.toml"
    proposal_policy: Path = POLICIES / "proposal.v1.toml"
    market_policies: Path = POLICIES / "market_policies.v1.toml"
