from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from intake.reference import DEFAULT_DIRECTORY
from orderdesk_shared.markets import DEFAULT_MARKETS
from orderdesk_shared.settings import ServiceSettings

POLICIES = Path(__file__).resolve().parents[2] / "policies"
ORDER_ENTRY_MATRIX = POLICIES / "order_entry_matrix.v1.toml"
SERVICE_REQUEST_KINDS = POLICIES / "service_requests.v1.toml"
# Long enough not to be guessed: the secret is all that stands between the internet and new orders.
MIN_SALESFORCE_SECRET_LENGTH = 24


class Settings(ServiceSettings):
    """Intake's settings, from INTAKE_* environment variables."""

    model_config = SettingsConfigDict(env_prefix="INTAKE_")

    service_name: str = "intake"
    # The entry matrix, and the seed reference data (the newest complete set of files in the directory).
    order_entry_matrix: Path = ORDER_ENTRY_MATRIX
    reference_dir: Path = DEFAULT_DIRECTORY
    markets: Path = DEFAULT_MARKETS
    # The kinds of service request the desk opens for other departments.
    service_requests: Path = SERVICE_REQUEST_KINDS
    # The Salesforce orgs whose Outbound Messages are taken, each with the secret it signs in with (HTTP Basic,
    # the org id as user name): `<org id>=<secret>`, several separated by commas. Outbound Messages carry no token.
    salesforce_org_secrets: Annotated[dict[str, SecretStr], NoDecode] = Field(default_factory=dict)

    @field_validator("salesforce_org_secrets", mode="before")
    @classmethod
    def _org_secret_pairs(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        pairs = [pair.strip().partition("=") for pair in value.split(",") if pair.strip()]
        if malformed := [org for org, separator, _ in pairs if not separator]:
            raise ValueError(f"expected <org id>=<secret>, several separated by commas; not so for {malformed}")
        return {org.strip(): secret for org, _, secret in pairs}

    @field_validator("salesforce_org_secrets")
    @classmethod
    def _secrets_not_guessable(cls, secrets: dict[str, SecretStr]) -> dict[str, SecretStr]:
        if short := sorted(org for org, secret in secrets.items() if len(secret) < MIN_SALESFORCE_SECRET_LENGTH):
            raise ValueError(f"the secrets of {', '.join(short)} are shorter than {MIN_SALESFORCE_SECRET_LENGTH}")
        return secrets

    @model_validator(mode="after")
    def _salesforce_senders_configured(self) -> "Settings":
        if not self.salesforce_org_secrets and not self.is_local:
            raise ValueError(
                "INTAKE_SALESFORCE_ORG_SECRETS is not set: name each Salesforce org that may send orders, with its"
                " secret, as <org id>=<secret> (several separated by commas)"
            )
        return self
