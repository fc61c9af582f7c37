"""The three-broker cluster the fault tests run on (each fault, with the invariant checker: test_faults.py)."""

import asyncio

import pytest

from orderdesk_stack import faults

pytestmark = pytest.mark.e2e


async def test_the_cluster_replicates_every_topic_three_times_with_two_in_sync(cluster_stack):
    assert cluster_stack.kafka_programs == ["kafka-1", "kafka-2", "kafka-3"]
    replicas = await asyncio.to_thread(cluster_stack.partition_replicas, [faults.BUSY_TOPIC, "__consumer_offsets"])
    assert {len(partition.replicas) for partition in replicas.values()} == {3}
    assert {len(partition.in_sync) for partition in replicas.values()} == {3}
