"""What a consumer runtime is configured with: its group, its Kafka, and how long and how often it tries."""

from dataclasses import dataclass

from orderdesk_shared.kafka_connection import KafkaConnection


@dataclass(frozen=True)
class ConsumerSettings:
    group_id: str
    kafka: KafkaConnection
    batch_size: int
    handler_timeout_seconds: float
    max_poll_interval_ms: int
    retry_attempts: int
    paused_partition_retry_seconds: float
    handler_attempts: int = 3
    # Where an SRE's replays of this consumer's dead letters arrive (events/catalogue.replay_topic), read with the
    # handlers' topics; None: no replays.
    replay_topic: str | None = None
