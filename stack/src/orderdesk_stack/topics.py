"""Every topic the services use, with its dead-letter topic, and each consuming service's replay topic, created up
front (brokers here never auto-create)."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import TopicAlreadyExistsError, for_code

from orderdesk_shared.kafka_connection import KafkaConnection


def catalogue_topics() -> list[str]:
    """The event catalogue's topics, each followed by its dead-letter topic, then the services' replay topics."""
    # Imported here: the catalogue loads every event model and service, which commands like `status` never need.
    from orderdesk_shared.events.catalogue import all_topics, dead_letter_topic
    from orderdesk_stack.catalogue import replay_topics

    return [*(name for topic in all_topics() for name in (topic, dead_letter_topic(topic))), *replay_topics()]


# Each event topic's partitions unless ORDERDESK_TOPIC_PARTITIONS says otherwise: the most replicas of one consumer
# group that share a topic's records.
EVENT_TOPIC_PARTITIONS = 6
# How long every topic but the announcements' keeps its records: Kafka's own default. The services' inbox retention
# (orderdesk_shared.db.retention) outlasts it, so a replay never applies a record twice; an announcement's topic keeps
# its latest for good, and hearing what is in force again changes nothing.
TOPIC_RETENTION = timedelta(days=7)

# Dead letters and replays are rare, and order among them matters to nobody: one partition each. Every partition a
# broker holds is looked at by each fetch that covers it, busy or not (followers' and consumers' alike), so partitions
# nobody writes to cost every order's events.
QUIET_TOPIC_PARTITIONS = 1


def partitions_by_topic(event_topic_partitions: int) -> dict[str, int]:
    """Each of the catalogue's topics with its partitions: `event_topic_partitions` for the event topics, one for the
    dead-letter and replay topics."""
    from orderdesk_shared.events.catalogue import all_topics

    event_topics = set(all_topics())
    return {
        topic: event_topic_partitions if topic in event_topics else QUIET_TOPIC_PARTITIONS
        for topic in catalogue_topics()
    }


def topic_config(topic: str) -> dict[str, str]:
    """A topic's settings: an announcement's (Fact.announces_state) compacted, so its latest record of each subject
    is kept for good and a consumer that starts late still hears what is in force; any other deletes its records
    after TOPIC_RETENTION."""
    from orderdesk_shared.events.catalogue import state_topics

    if topic in state_topics():
        return {"cleanup.policy": "compact"}
    return {"cleanup.policy": "delete", "retention.ms": str(int(TOPIC_RETENTION.total_seconds() * 1000))}


async def create_topics(
    kafka: KafkaConnection, partitions_of: Mapping[str, int], *, replication_factor: int = 1
) -> list[str]:
    """Create the topics that do not exist yet (named with their partitions) and give every one its settings
    (topic_config), as `kafka`'s admin; return the ones created.

    Their min.insync.replicas is the brokers' default (set with the replication factor, kafka_broker.py).
    """
    admin = AIOKafkaAdminClient(**kafka.client_options())
    await admin.start()
    try:
        response = await admin.create_topics(
            [
                NewTopic(
                    name=topic,
                    num_partitions=count,
                    replication_factor=replication_factor,
                    topic_configs=topic_config(topic),
                )
                for topic, count in partitions_of.items()
            ]
        )
        created = []
        for topic, error_code, *_ in response.topic_errors:
            if error_code == 0:
                created.append(topic)
            elif error_code != TopicAlreadyExistsError.errno:
                raise for_code(error_code)(f"cannot create topic {topic!r}")
        # Topics made before they had these settings (an announcement's compaction above all) get them now.
        for altered in await admin.alter_configs(
            [ConfigResource(ConfigResourceType.TOPIC, topic, configs=topic_config(topic)) for topic in partitions_of]
        ):
            for error_code, error_message, _, topic in altered.resources:
                if error_code != 0:
                    raise for_code(error_code)(f"cannot set topic {topic!r}'s settings: {error_message}")
    finally:
        await admin.close()
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
