from pydantic_settings import SettingsConfigDict

from orderdesk_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    """Intake's settings, from INTAKE_* environment variables."""

    model_config = SettingsConfigDict(env_prefix="INTAKE_")

    service_name: str = "intake"
    # Salesforce orgs whose Outbound Messages are taken (they carry no bearer token; TLS and this list guard them).
    salesforce_organization_ids: frozenset[str] = frozenset({"00D5e000000DEMOEAA"})
