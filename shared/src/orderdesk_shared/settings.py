"""Settings every service shares; each service subclasses with its own env prefix."""

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from orderdesk_shared.auth import LOCAL_DEVELOPMENT_SECRET


class ServiceSettings(BaseSettings):
    """Connection, batching and timing settings, read from `<PREFIX>NAME` environment variables."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    service_name: str
    database_url: str
    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    topic_partitions: int = Field(default=6, ge=1)
    jwt_secret: str = Field(
        default=LOCAL_DEVELOPMENT_SECRET,
        validation_alias="ORDERDESK_JWT_SECRET",
        min_length=32,
    )
    consumer_batch_size: int = Field(default=200, ge=1)
    # Shorter than max_poll_interval_ms so a stuck handler never forces a rejoin loop.
    handler_timeout_seconds: float = Field(default=10.0, gt=0)
    max_poll_interval_ms: int = Field(default=60_000, ge=10_000)
    transient_retry_attempts: int = Field(default=5, ge=1)
    paused_partition_retry_seconds: float = Field(default=5.0, gt=0)
    relay_batch_size: int = Field(default=500, ge=1)
    relay_poll_seconds: float = Field(default=2.0, gt=0)
    # Published outbox rows are kept this long for inspection, then deleted by the relay.
    outbox_retention_hours: float = Field(default=24.0, gt=0)
    database_pool_size: int = Field(default=10, ge=1)
    # Request bodies over this are refused with 413 before they are read; uploads (a raw email, a CSV
    # import) have a larger limit of their own.
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    max_upload_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)

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
