"""What each node of a local Kafka cluster is told: its own id, ports and data, the shared quorum, replication."""

from pathlib import Path

from orderdesk_stack.kafka_broker import KafkaCluster


def properties(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines())


def test_three_nodes_vote_together_on_ports_of_their_own_and_replicate_three_times(tmp_path: Path) -> None:
    cluster = KafkaCluster.on_ports(tmp_path, port=20000, controller_port=20001, size=3)

    assert cluster.programs == ["kafka-1", "kafka-2", "kafka-3"]
    assert cluster.bootstrap_servers == "127.0.0.1:20000,127.0.0.1:20002,127.0.0.1:20004"
    second = properties(cluster.node("kafka-2").server_properties())
    assert second["node.id"] == "2"
    assert second["controller.quorum.voters"] == "1@127.0.0.1:20001,2@127.0.0.1:20003,3@127.0.0.1:20005"
    assert second["listeners"] == "CLIENT://127.0.0.1:20002,CONTROLLER://127.0.0.1:20003"
    assert second["log.dirs"] == str(tmp_path / "kafka-2" / "data")
    for replicated in ("default.replication.factor", "offsets.topic.replication.factor"):
        assert second[replicated] == "3"
    assert second["transaction.state.log.replication.factor"] == "3"
    assert second["min.insync.replicas"] == second["transaction.state.log.min.isr"] == "2"
    assert len({node.home for node in cluster.nodes}) == 3


def test_one_node_is_the_single_broker_kafka_as_before(tmp_path: Path) -> None:
    cluster = KafkaCluster.on_ports(tmp_path, port=20000, controller_port=20001, size=1)

    assert cluster.programs == ["kafka"]
    alone = properties(cluster.nodes[0].server_properties())
    assert alone["node.id"] == "1"
    assert alone["controller.quorum.voters"] == "1@127.0.0.1:20001"
    assert alone["log.dirs"] == str(tmp_path / "data")
    assert alone["offsets.topic.replication.factor"] == alone["min.insync.replicas"] == "1"


def test_a_long_run_compiles_its_brokers_fully_and_a_short_one_with_c1_alone(tmp_path: Path) -> None:
    quick = KafkaCluster.on_ports(tmp_path, port=20000, controller_port=20001, size=3)
    long_run = KafkaCluster.on_ports(tmp_path, port=20000, controller_port=20001, size=3, full_jit=True)

    assert all("-XX:TieredStopAtLevel=1" in node.process().command for node in quick.nodes)
    assert not any("-XX:TieredStopAtLevel=1" in node.process().command for node in long_run.nodes)
