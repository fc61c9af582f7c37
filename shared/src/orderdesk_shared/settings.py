"""Settings every service shares; each service subclasses with its own env prefix."""

from datetime import timedelta
from typing import Annotated, Literal
from urllib.parse import urlparse

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from orderdesk_shared.auth import audience_for
from orderdesk_shared.db import DEFAULT_RETENTION, Retention
from orderdesk_shared.kafka_connection import SETTING_NAMES, KafkaConnection, SaslMechanism, SecurityProtocol

LOCAL = "local"


class ServiceSettings(BaseSettings):
    """Connection, batching and timing settings, read from `<PREFIX>NAME` environment variables."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    service_name: str
    database_url: str
    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    # The service's own Kafka principal; its ACLs let it write the topics it owns and read what it consumes.
    kafka_security_protocol: SecurityProtocol = "PLAINTEXT"
    kafka_sasl_mechanism: SaslMechanism = "SCRAM-SHA-512"
    kafka_username: str | None = None
    kafka_password: SecretStr | None = None
    kafka_ssl_cafile: str | None = None
    # "local" only where the local stack (or a test) runs the service: it allows what production must not.
    deployment: Literal["local", "production"] = Field(default="production", validation_alias="ORDERDESK_DEPLOYMENT")
    # Tokens: the identity provider's JWKS (https; file:// on a local stack) and issuer, and this service's audience.
    jwks_url: str | None = Field(default=None, validation_alias="ORDERDESK_JWKS_URL")
    jwt_issuer: str | None = Field(default=None, validation_alias="ORDERDESK_JWT_ISSUER")
    jwt_audience: str | None = None
    # HS256 with a shared secret: local stacks only, instead of a JWKS.
    jwt_secret: SecretStr | None = Field(default=None, validation_alias="ORDERDESK_JWT_SECRET", min_length=32)
    consumer_batch_size: int = Field(default=200, ge=1)
    # Shorter than max_poll_interval_ms so a stuck handler never forces a rejoin loop.
    handler_timeout_seconds: float = Field(default=10.0, gt=0)
    max_poll_interval_ms: int = Field(default=60_000, ge=10_000)
    transient_retry_attempts: int = Field(default=5, ge=1)
    paused_partition_retry_seconds: float = Field(default=5.0, gt=0)
    # A record that fails or times out this many times is dead-lettered with its reason; its partition flows on.
    handler_attempts: int = Field(default=3, ge=1)
    relay_batch_size: int = Field(default=500, ge=1)
    relay_poll_seconds: float = Field(default=2.0, gt=0)
    # Published outbox rows are kept this long for inspection, then deleted by the relay.
    outbox_retention_hours: float = Field(default=DEFAULT_RETENTION.published_outbox / timedelta(hours=1), gt=0)
    # Inbox rows must outlive the records on the topics, or a replay would apply those records again; both are
    # purged by the relay (and `orderdesk purge`).
    inbox_retention_days: float = Field(default=DEFAULT_RETENTION.inbox / timedelta(days=1), gt=0)
    dead_letter_retention_days: float = Field(default=DEFAULT_RETENTION.dead_letters / timedelta(days=1), gt=0)
    # A relay failing (Kafka or the database away) for longer than this makes the service unready; a shorter
    # hiccup does not, so readiness does not flap.
    relay_unready_after_seconds: float = Field(default=30.0, gt=0)
    database_pool_size: int = Field(default=10, ge=1)
    # Request bodies over this are refused with 413 before they are read; uploads (a raw email, a CSV
    # import) have a larger limit of their own.
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    max_upload_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    # TMF hub notifications (orderdesk_shared.hub), in the services with a TMF hub: a failed delivery is tried
    # again after hub_retry_first_seconds, the wait doubling up to hub_retry_longest_seconds; a notification not
    # delivered within hub_retry_window_seconds of its event is dead-lettered. A listener away for less than the
    # window loses nothing.
    hub_retry_first_seconds: float = Field(default=1.0, gt=0)
    hub_retry_longest_seconds: float = Field(default=300.0, gt=0)
    hub_retry_window_seconds: float = Field(default=3600.0, gt=0)
    hub_delivery_timeout_seconds: float = Field(default=5.0, gt=0)
    # How soon the delivery loop looks again when what is due is in another replica's hands (a fan-out wakes it
    # for new notifications, and it sleeps until a retry is due).
    hub_poll_seconds: float = Field(default=1.0, gt=0)
    # The callback hosts listeners may register (comma-separated); empty: any host with a public address. A host
    # named here may also be on a private network (a CRM inside the company's network).
    hub_callback_hosts: Annotated[tuple[str, ...], NoDecode] = ()

    @field_validator("hub_callback_hosts", mode="before")
    @classmethod
    def _comma_separated_hosts(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(host.strip().lower() for host in value.split(",") if host.strip())
        return value

    @property
    def is_local(self) -> bool:
        return self.deployment == LOCAL

    @property
    def token_audience(self) -> str:
        """The `aud` a token must carry to be taken here."""
        return self.jwt_audience or audience_for(self.service_name)

    @model_validator(mode="after")
    def _tokens_verified_with_a_key_production_can_trust(self) -> "ServiceSettings":
        if self.jwks_url is None and self.jwt_secret is None:
            raise ValueError("no key to verify tokens with: set ORDERDESK_JWKS_URL to the identity provider's JWKS")
        if self.jwks_url is not None and self.jwt_secret is not None:
            raise ValueError("set ORDERDESK_JWKS_URL or ORDERDESK_JWT_SECRET, not both")
        if self.is_local:
            return self
        if self.jwt_secret is not None:
            raise ValueError(
                "ORDERDESK_JWT_SECRET (HS256, a shared key) is for local stacks only (ORDERDESK_DEPLOYMENT=local):"
                " set ORDERDESK_JWKS_URL to the identity provider's JWKS"
            )
        if urlparse(self.jwks_url).scheme != "https":
            raise ValueError("ORDERDESK_JWKS_URL must be an https URL outside local stacks")
        if not self.jwt_issuer:
            raise ValueError("set ORDERDESK_JWT_ISSUER to the identity provider's issuer (the tokens' iss)")
        return self

    @property
    def retention(self) -> Retention:
        return Retention(
            published_outbox=timedelta(hours=self.outbox_retention_hours),
            inbox=timedelta(days=self.inbox_retention_days),
            dead_letters=timedelta(days=self.dead_letter_retention_days),
        )

    @property
    def kafka(self) -> KafkaConnection:
        return KafkaConnection(**{name.lower(): getattr(self, f"kafka_{name.lower()}") for name in SETTING_NAMES})

    @model_validator(mode="after")
    def _kafka_connection_is_complete(self) -> "ServiceSettings":
        # A SASL protocol without a login fails here, at start, not at the first connection.
        if self.kafka.uses_sasl or self.is_local:
            return self
        prefix = f"{self.model_config.get('env_prefix', '')}KAFKA_"
        raise ValueError(
            "Kafka without a login is for local stacks only (ORDERDESK_DEPLOYMENT=local): set"
            f" {prefix}SECURITY_PROTOCOL=SASL_SSL (or SASL_PLAINTEXT) with {prefix}USERNAME and {prefix}PASSWORD"
        )

    @model_validator(mode="after")
    def _handler_timeout_fits_the_poll_interval(self) -> "ServiceSettings":
        if self.handler_timeout_seconds * 1000 * 4 > self.max_poll_interval_ms:
            raise ValueError("handler_timeout_seconds must be at most a quarter of max_poll_interval_ms")
        return self

    @model_validator(mode="after")
    def _uploads_may_be_larger_than_other_bodies(self) -> "ServiceSettings":
        if self.max_upload_bytes < self.max_body_bytes:
            raise ValueError("max_upload_bytes must be at least max_body_bytes")
        return self
