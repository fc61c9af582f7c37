from pathlib import Path

from pydantic_settings import SettingsConfigDict

from orderdesk_shared.settings import ServiceSettings

SERVICE_DIRECTORY = Path(__file__).resolve().parents[2]


class Settings(ServiceSettings):
    """commission's settings, from COMMISSION_* environment variables."""

    model_config = SettingsConfigDict(env_prefix="COMMISSION_")

    service_name: str = "commission"
    # The rule files (default: the shipped ones): the plan, and the directory whose highest roster.vN.csv is in force.
    plan: Path = SERVICE_DIRECTORY / "policies" / "plan.v1.toml"
    reference: Path = SERVICE_DIRECTORY / "reference"
