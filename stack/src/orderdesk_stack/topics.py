"""Every topic the services use, with its dead-letter topic, created up front (brokers here never auto-create)."""

from collections.abc import Iterable

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError, for_code

from orderdesk_shared.kafka_connection import KafkaConnection


def catalogue_topics() -> list[str]:
    """The event catalogue's topics, each followed by its dead-letter topic."""
    # Imported here: the catalogue loads every event model, which commands like `status` never need.
    from orderdesk_shared.events.catalogue import all_topics, dead_letter_topic

    return [name for topic in all_topics() for name in (topic, dead_letter_topic(topic))]


async def create_topics(kafka: KafkaConnection, topics: Iterable[str], *, partitions: int) -> list[str]:
    """Create the topics that do not exist yet (replication factor 1), as `kafka`'s admin; return the ones created."""
    topics = list(topics)
    admin = AIOKafkaAdminClient(**kafka.client_options())
    await admin.start()
    try:
        response = await admin.create_topics(
            [NewTopic(name=topic, num_partitions=partitions, replication_factor=1) for topic in topics]
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
