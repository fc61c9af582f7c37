"""How a Kafka client reaches and authenticates to the brokers: one object for producers, consumers and admins."""

import os
from collections.abc import Mapping
from typing import Any, Literal

from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.helpers import create_ssl_context
from pydantic import BaseModel, ConfigDict, SecretStr, model_validator

SecurityProtocol = Literal["PLAINTEXT", "SASL_PLAINTEXT", "SASL_SSL", "SSL"]
SaslMechanism = Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"]

# The settings' names after a prefix (`KAFKA_`, `INTAKE_KAFKA_`, ...), each the field of the same name in lower case.
SETTING_NAMES = ("BOOTSTRAP_SERVERS", "SECURITY_PROTOCOL", "SASL_MECHANISM", "USERNAME", "PASSWORD", "SSL_CAFILE")
# How stale a client's view of partition leaders may get (see client_options).
METADATA_MAX_AGE_MS = 15_000


class KafkaConnection(BaseModel):
    """Bootstrap servers, and when the listener asks for them a SASL login and the CA that signed the brokers."""

    model_config = ConfigDict(frozen=True)

    bootstrap_servers: str = "127.0.0.1:9092"
    security_protocol: SecurityProtocol = "PLAINTEXT"
    sasl_mechanism: SaslMechanism = "SCRAM-SHA-512"
    username: str | None = None
    password: SecretStr | None = None
    # None with TLS: the system's trusted CAs.
    ssl_cafile: str | None = None

    @model_validator(mode="after")
    def _sasl_needs_a_login(self) -> "KafkaConnection":
        if self.uses_sasl and not (self.username and self.password and self.password.get_secret_value()):
            raise ValueError(f"security_protocol {self.security_protocol} needs a username and a password")
        return self

    @property
    def uses_sasl(self) -> bool:
        return self.security_protocol.startswith("SASL_")

    @property
    def uses_tls(self) -> bool:
        return self.security_protocol in ("SASL_SSL", "SSL")

    @classmethod
    def from_env(cls, prefix: str = "KAFKA_", env: Mapping[str, str] = os.environ) -> "KafkaConnection":
        """From `<prefix>BOOTSTRAP_SERVERS`, `<prefix>SECURITY_PROTOCOL`, ... (unset or empty: the default)."""
        return cls(**{name.lower(): env[prefix + name] for name in SETTING_NAMES if env.get(prefix + name)})

    def as_login(self, username: str, password: str) -> "KafkaConnection":
        """The same brokers and transport under another principal's SASL login."""
        protocol = self.security_protocol if self.uses_sasl else "SASL_SSL" if self.uses_tls else "SASL_PLAINTEXT"
        return self.model_copy(
            update={"security_protocol": protocol, "username": username, "password": SecretStr(password)}
        )

    def env(self, prefix: str = "KAFKA_") -> dict[str, str]:
        """The variables from_env reads back into this connection (the password in clear: for a child's env)."""
        values = self.settings_fields("")
        return {prefix + name: str(values[name.lower()]) for name in SETTING_NAMES if values[name.lower()] is not None}

    def settings_fields(self, prefix: str = "kafka_") -> dict[str, Any]:
        """Keyword arguments for settings that spell these fields `<prefix><field>` (ServiceSettings: `kafka_`)."""
        password = self.password.get_secret_value() if self.password else None
        return {prefix + name: value for name, value in self.model_dump().items()} | {f"{prefix}password": password}

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments for AIOKafkaProducer, AIOKafkaConsumer and AIOKafkaAdminClient alike."""
        options: dict[str, Any] = {
            "bootstrap_servers": self.bootstrap_servers,
            "security_protocol": self.security_protocol,
            # When a broker of a cluster comes back, aiokafka's consumer keeps asking it for the offsets of a
            # partition it no longer leads, and refreshes its metadata only on this period (default 5 minutes).
            "metadata_max_age_ms": METADATA_MAX_AGE_MS,
        }
        if self.uses_sasl:
            options |= {
                "sasl_mechanism": self.sasl_mechanism,
                "sasl_plain_username": self.username,
                "sasl_plain_password": self.password.get_secret_value(),
            }
        if self.uses_tls:
            options["ssl_context"] = create_ssl_context(cafile=self.ssl_cafile)
        return options


async def topic_partitions(kafka: KafkaConnection, topics: list[str]) -> list[TopicPartition]:
    """Every partition of `topics`, asked of the brokers as `kafka`; raises when a topic does not exist."""
    admin = AIOKafkaAdminClient(**kafka.client_options())
    await admin.start()
    try:
        described = await admin.describe_topics(topics)
    finally:
        await admin.close()
    missing = [topic["topic"] for topic in described if topic["error_code"]]
    if missing:
        raise RuntimeError(f"no such topics: {', '.join(missing)} (is the stack provisioned?)")
    return [
        TopicPartition(topic["topic"], partition["partition"])
        for topic in described
        for partition in topic["partitions"]
    ]


# How long the producer holds a partition's records for more to join them in one request: not at all. A relay queues
# its whole batch before the producer's sender runs (`send` only appends while the partition's batch has room), so the
# batch goes out in one request without it, and what is queued while a request is in flight (one per broker) joins
# the next. Lingering only added its time to every hop of every order.
PRODUCER_LINGER_MS = 0
# Up to this many bytes per partition batch (aiokafka's default, 16 KiB, holds about ten orders).
PRODUCER_MAX_BATCH_BYTES = 256 * 1024
# lz4 (cramjam): of the codecs, Kafka and the clients spent the least CPU with it on the bench, about what they spend
# with none, gzip by far the most (docs/performance.md); it shrinks the JSON events several times, which a cluster
# replicating and serving them across hosts feels more than one machine's loopback.
PRODUCER_COMPRESSION = "lz4"


def idempotent_producer(kafka: KafkaConnection, *, compression: str | None = PRODUCER_COMPRESSION) -> AIOKafkaProducer:
    """A producer that never reorders or duplicates within a partition and waits for all replicas, set up for
    throughput: batches are large and compressed. Every relay uses it, and the bench's bus baseline."""
    return AIOKafkaProducer(
        **kafka.client_options(),
        acks="all",
        enable_idempotence=True,
        linger_ms=PRODUCER_LINGER_MS,
        max_batch_size=PRODUCER_MAX_BATCH_BYTES,
        compression_type=compression,
    )
