"""The production overlay's Kafka, as Strimzi runs it: the cluster (KRaft, three brokers that are also its
controllers), a KafkaTopic for each of the catalogue's topics and a KafkaUser, SCRAM-SHA-512 with the ACLs
`orderdesk kafka-principals` lists, for each principal."""

from typing import Any

from orderdesk_stack.kafka_access import KafkaPrincipal
from orderdesk_stack.kafka_broker import kafka_version
from orderdesk_stack.manifests import orderdesk_metadata, secret_ref
from orderdesk_stack.topics import topic_config

KAFKA_CLUSTER = "orderdesk-kafka"
KAFKA_BROKERS = 3
KAFKA_REPLICATION = 3
# A write is acknowledged once two replicas hold it: one broker may be down (a rolling update) and writes go on.
KAFKA_MIN_IN_SYNC = 2
KAFKA_TLS_PORT = 9093
KAFKA_BOOTSTRAP = f"{KAFKA_CLUSTER}-kafka-bootstrap:{KAFKA_TLS_PORT}"
# Strimzi's cluster CA, which signs the brokers' certificates: clients trust it (key ca.crt).
KAFKA_CA_SECRET = f"{KAFKA_CLUSTER}-cluster-ca-cert"
KAFKA_CA_DIR = "/etc/orderdesk/kafka-ca"
STRIMZI_API = "kafka.strimzi.io/v1"


def kafka_login_secret(principal: str) -> str:
    """The Secret (keys `username`, `password`) a principal logs in to Kafka with; the base's services read it."""
    return f"orderdesk-{principal}-kafka"


def kafka_cluster() -> dict[str, Any]:
    replication = {
        "default.replication.factor": KAFKA_REPLICATION,
        "min.insync.replicas": KAFKA_MIN_IN_SYNC,
        "offsets.topic.replication.factor": KAFKA_REPLICATION,
        "transaction.state.log.replication.factor": KAFKA_REPLICATION,
        "transaction.state.log.min.isr": KAFKA_MIN_IN_SYNC,
        # Topics are KafkaTopic resources only, as the local brokers create none on their own.
        "auto.create.topics.enable": False,
    }
    return {
        "apiVersion": STRIMZI_API,
        "kind": "Kafka",
        "metadata": orderdesk_metadata(KAFKA_CLUSTER),
        "spec": {
            "kafka": {
                "version": kafka_version(),
                "listeners": [
                    {
                        "name": "tls",
                        "port": KAFKA_TLS_PORT,
                        "type": "internal",
                        "tls": True,
                        "authentication": {"type": "scram-sha-512"},
                    }
                ],
                "authorization": {"type": "simple"},
                "config": replication,
            },
            "entityOperator": {"topicOperator": {}, "userOperator": {}},
        },
    }


def kafka_node_pool() -> dict[str, Any]:
    """Every node a broker and a controller, as the local cluster runs them (KRaft, no ZooKeeper)."""
    return {
        "apiVersion": STRIMZI_API,
        "kind": "KafkaNodePool",
        "metadata": orderdesk_metadata("brokers", **{"strimzi.io/cluster": KAFKA_CLUSTER}),
        "spec": {
            "replicas": KAFKA_BROKERS,
            "roles": ["controller", "broker"],
            "storage": {
                "type": "jbod",
                "volumes": [
                    {
                        "id": 0,
                        "type": "persistent-claim",
                        "size": "100Gi",
                        "deleteClaim": False,
                        "kraftMetadata": "shared",
                    }
                ],
            },
        },
    }


def kafka_topic(topic: str, partitions: int) -> dict[str, Any]:
    return {
        "apiVersion": STRIMZI_API,
        "kind": "KafkaTopic",
        # Topic names are valid object names as they are (lower case, dots and dashes).
        "metadata": orderdesk_metadata(topic, **{"strimzi.io/cluster": KAFKA_CLUSTER}),
        "spec": {
            "topicName": topic,
            "partitions": partitions,
            "replicas": KAFKA_REPLICATION,
            "config": topic_config(topic),
        },
    }


def _acl(resource_type: str, name: str, operation: str, *, prefixed: bool = False) -> dict[str, Any]:
    resource = {"type": resource_type, "name": name, "patternType": "prefix" if prefixed else "literal"}
    return {"resource": resource, "operations": [operation]}


def kafka_user(principal: KafkaPrincipal) -> dict[str, Any]:
    acls = [
        *(_acl("topic", topic, "Write") for topic in principal.writes),
        *(_acl("topic", topic, "Read") for topic in principal.reads),
        *(_acl("group", group.removesuffix("-"), "Read", prefixed=group.endswith("-")) for group in principal.groups),
    ]
    password = {"valueFrom": secret_ref(kafka_login_secret(principal.name), "password")}
    return {
        "apiVersion": STRIMZI_API,
        "kind": "KafkaUser",
        # The user's name is the principal the ACLs name and the login the services send.
        "metadata": orderdesk_metadata(principal.name, **{"strimzi.io/cluster": KAFKA_CLUSTER}),
        "spec": {
            "authentication": {"type": "scram-sha-512", "password": password},
            "authorization": {"type": "simple", "acls": acls},
        },
    }
