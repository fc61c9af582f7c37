"""Every topic the services use, with its dead-letter topic, and each consuming service's replay topic, created up
front (brokers here never auto-create)."""

from collections.abc import Iterable
from dataclasses import dataclass

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError, for_code

from orderdesk_shared.kafka_connection import KafkaConnection


def catalogue_topics() -> list[str]:
    """The event catalogue's topics, each followed by its dead-letter topic, then the services' replay topics."""
    # Imported here: the catalogue loads every event model and service, which commands like `status` never need.
    from orderdesk_shared.events.catalogue import all_topics, dead_letter_topic
    from orderdesk_stack.catalogue import replay_topics

    return [*(name for topic in all_topics() for name in (topic, dead_letter_topic(topic))), *replay_topics()]


async def create_topics(
    kafka: KafkaConnection, topics: Iterable[str], *, partitions: int, replication_factor: int = 1
) -> list[str]:
    """Create the topics that do not exist yet, as `kafka`'s admin; return the ones created.

    Their min.insync.replicas is the brokers' default (set with the replication factor, kafka_broker.py).
    """
    topics = list(topics)
    admin = AIOKafkaAdminClient(**kafka.client_options())
    await admin.start()
    try:
        response = await admin.create_topics(
            [NewTopic(name=topic, num_partitions=partitions, replication_factor=replication_factor) for topic in topics]
        )
    finally:
        await admin.close()
    created = []
    for topic, error_code, *_ in response.topic_errors:
        if error_code == 0:
            created.append(topic)
        elif error_code != TopicAlreadyExistsError.errno:
            raise for_code(error_code)(f"cannot create topic {topic!r}")
    return created


@dataclass(frozen=True)
class PartitionReplicas:
    """Who leads a partition and which replicas are in sync, by broker node id (leader -1: none now)."""

    leader: int
    replicas: tuple[int, ...]
    in_sync: tuple[int, ...]


async def describe_partitions(
    kafka: KafkaConnection, topics: Iterable[str]
) -> dict[tuple[str, int], PartitionReplicas]:
    """Each partition of `topics`, by (topic, partition), as the cluster's metadata has it now."""
    admin = AIOKafkaAdminClient(**kafka.client_options())
    await admin.start()
    try:
        described = await admin.describe_topics(list(topics))
    finally:
        await admin.close()
    partitions = {}
    for topic in described:
        if topic["error_code"] != 0:
            raise for_code(topic["error_code"])(f"cannot describe topic {topic['topic']!r}")
        for partition in topic["partitions"]:
            partitions[topic["topic"], partition["partition"]] = PartitionReplicas(
                leader=partition["leader"], replicas=tuple(partition["replicas"]), in_sync=tuple(partition["isr"])
            )
    return partitions
