"""Real Apache Kafka (KRaft) assembled from Maven Central jars (see deploy/kafka/): one node, or a cluster of them.

Every node is a broker and a controller (combined mode) and every node votes in the controller quorum.

Clients log in with SASL/SCRAM-SHA-512 (users written at format time) and the StandardAuthorizer refuses whatever
no ACL allows; the admin principal is the super user that provisions topics and ACLs (kafka_access.py). Both
listeners are on 127.0.0.1 without TLS; the controller's takes only the admin's static PLAIN login.
"""

import base64
import hashlib
import os
import shutil
import signal
import subprocess
import uuid
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from orderdesk_shared.kafka_connection import KafkaConnection
from orderdesk_stack.kafka_access import ADMIN, kafka_password, scram_users
from orderdesk_stack.paths import cache_dir, repo_root
from orderdesk_stack.processes import ProcessSpec, port_is_open, run_tool, wait_until

PROGRAM_NAME = "kafka"
_POM_NAMESPACE = {"m": "http://maven.apache.org/POM/4.0.0"}


def pom_path() -> Path:
    return repo_root() / "deploy" / "kafka" / "pom.xml"


def log4j_config_path() -> Path:
    return repo_root() / "deploy" / "kafka" / "log4j2.xml"


@cache
def kafka_version() -> str:
    """The broker version pinned in deploy/kafka/pom.xml (the one place it is written)."""
    version = ElementTree.parse(pom_path()).find("m:properties/m:kafka.version", _POM_NAMESPACE)
    if version is None or not version.text:
        raise RuntimeError(f"{pom_path()} has no kafka.version property")
    return version.text.strip()


def libs_dir() -> Path:
    return cache_dir() / "kafka" / kafka_version() / "libs"


def ensure_jars() -> Path:
    """Collect the broker's jars with Maven once; later calls reuse the cache."""
    libs = libs_dir()
    if libs.is_dir():
        return libs
    mvn = shutil.which("mvn")
    if mvn is None:
        raise RuntimeError("Maven (mvn) is needed once to download the Kafka broker jars")
    # Download beside the cache and rename, so an interrupted download never looks complete.
    partial = libs.with_name("libs.partial")
    shutil.rmtree(partial, ignore_errors=True)
    maven_goal = ["dependency:copy-dependencies", f"-Dkafka.libs.dir={partial}"]
    subprocess.run([mvn, "-q", "-B", "-Dstyle.color=never", "-f", str(pom_path()), *maven_goal], check=True)
    partial.rename(libs)
    return libs


def java_executable() -> str:
    """JAVA_HOME's java when set, else the one on PATH (Kafka 4.x needs Java 17+)."""
    if java_home := os.environ.get("JAVA_HOME"):
        return str(Path(java_home) / "bin" / "java")
    java = shutil.which("java")
    if java is None:
        raise RuntimeError("a Java 17+ runtime (java) is needed to run the Kafka broker")
    return java


def random_cluster_id() -> str:
    """What `StorageTool random-uuid` prints (URL-safe base64 of a random UUID), without starting a JVM."""
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        # Kafka never issues an id that would read as a command-line flag.
        if not cluster_id.startswith("-"):
            return cluster_id


@dataclass(frozen=True)
class KafkaBroker:
    """One node acting as broker and controller, listening on 127.0.0.1 only.

    Alone (no `voter_ports`) it is its own quorum and program "kafka"; in a cluster `voter_ports` lists every
    node's controller port by node id (this one's included) and it is program "kafka-<node id>".
    """

    home: Path
    port: int
    controller_port: int
    node_id: int = 1
    voter_ports: tuple[int, ...] = ()
    heap_mb: int = 512
    # With C1 alone a broker starts cheaply, but its request handling (fetches most of all) costs about a quarter more
    # CPU once warm than with the full tiered JIT, whose C2 compiler spends ~20 s of CPU per node in its first
    # minutes: worth it for a long run (a soak), not for a test's or a dev stack's few hundred orders.
    full_jit: bool = False

    @property
    def program(self) -> str:
        return f"{PROGRAM_NAME}-{self.node_id}" if self.voter_ports else PROGRAM_NAME

    @property
    def cluster_size(self) -> int:
        return len(self.voter_ports) or 1

    @property
    def replication_factor(self) -> int:
        return min(self.cluster_size, 3)

    @property
    def min_insync_replicas(self) -> int:
        """Acknowledged writes survive one node lost, and one node down stops no writer."""
        return max(1, self.replication_factor - 1)

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def admin_connection(self) -> KafkaConnection:
        return admin_login(self.bootstrap_servers)

    @property
    def properties_path(self) -> Path:
        return self.home / "server.properties"

    @property
    def log_dirs(self) -> Path:
        return self.home / "data"

    def server_properties(self) -> str:
        admin_password = kafka_password(ADMIN)
        voters = self.voter_ports or (self.controller_port,)
        replicas, min_isr = str(self.replication_factor), str(self.min_insync_replicas)
        settings = {
            "process.roles": "broker,controller",
            "node.id": str(self.node_id),
            "controller.quorum.voters": ",".join(f"{i}@127.0.0.1:{port}" for i, port in enumerate(voters, start=1)),
            "listeners": f"CLIENT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}",
            "advertised.listeners": f"CLIENT://127.0.0.1:{self.port}",
            "listener.security.protocol.map": "CLIENT:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "CLIENT",
            "sasl.enabled.mechanisms": "SCRAM-SHA-512",
            "sasl.mechanism.inter.broker.protocol": "SCRAM-SHA-512",
            # The login the broker itself uses on each listener (and, for PLAIN, the one login it accepts there).
            "listener.name.client.scram-sha-512.sasl.jaas.config": _jaas("scram.ScramLoginModule", admin_password),
            # SCRAM users live in the metadata the controller serves, so the controller's own listener uses PLAIN.
            "listener.name.controller.sasl.enabled.mechanisms": "PLAIN",
            "sasl.mechanism.controller.protocol": "PLAIN",
            "listener.name.controller.plain.sasl.jaas.config": _jaas(
                "plain.PlainLoginModule", admin_password, f'user_{ADMIN}="{admin_password}"'
            ),
            "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
            "super.users": f"User:{ADMIN}",
            "allow.everyone.if.no.acl.found": "false",
            "log.dirs": str(self.log_dirs),
            "auto.create.topics.enable": "false",
            "default.replication.factor": replicas,
            "min.insync.replicas": min_isr,
            "offsets.topic.replication.factor": replicas,
            "offsets.topic.num.partitions": "3",
            "transaction.state.log.replication.factor": replicas,
            "transaction.state.log.min.isr": min_isr,
            "transaction.state.log.num.partitions": "3",
            "share.coordinator.state.topic.replication.factor": replicas,
            "share.coordinator.state.topic.min.isr": min_isr,
            "group.initial.rebalance.delay.ms": "0",
            # After a hard kill the restarted broker waits out its old registration's session (default 9 s).
            "broker.session.timeout.ms": "2000",
            "broker.heartbeat.interval.ms": "500",
            "num.network.threads": "2",
            "num.io.threads": "2",
            # The default 128 MiB is allocated on the heap at start.
            "log.cleaner.dedupe.buffer.size": str(4 * 1024 * 1024),
        }
        return "".join(f"{key}={value}\n" for key, value in settings.items())

    @property
    def _formatted_for_path(self) -> Path:
        return self.home / "formatted-for"

    def formatted_for(self, fingerprint: str) -> bool:
        """Whether this node's storage is there, formatted for the cluster and logins `fingerprint` stands for."""
        return (self.log_dirs / "meta.properties").is_file() and (
            self._formatted_for_path.is_file() and self._formatted_for_path.read_text() == fingerprint
        )

    def write_properties(self) -> None:
        self.properties_path.write_text(self.server_properties())
        self.properties_path.chmod(0o600)  # it holds the admin's password

    def format_fresh(self, cluster_id: str | None = None, *, fingerprint: str = "") -> None:
        """Start from empty storage: new server.properties, new log dirs, the cluster's id (a random one alone);
        noted as formatted for `fingerprint` (see KafkaCluster.prepare_storage)."""
        shutil.rmtree(self.home, ignore_errors=True)
        self.home.mkdir(parents=True)
        self.write_properties()
        format_command = ["format", "-t", cluster_id or random_cluster_id(), "-c", str(self.properties_path)]
        for name, password in scram_users().items():
            format_command += ["--add-scram", f"SCRAM-SHA-512=[name={name},password={password}]"]
        run_tool([*self._java_command(), "kafka.tools.StorageTool", *format_command], what="formatting Kafka storage")
        self._formatted_for_path.write_text(fingerprint)

    def process(self) -> ProcessSpec:
        return ProcessSpec(
            name=self.program,
            command=(*self._java_command(full_jit=self.full_jit), "kafka.Kafka", str(self.properties_path)),
            stop_signal=signal.SIGTERM,
            stop_timeout=60.0,
        )

    def wait_ready(
        self, *, log_path: Path, still_running: Callable[[], bool] = lambda: True, timeout: float = 60
    ) -> float:
        """Wait for the broker listener; it opens only once the broker serves (the controller's opens earlier)."""
        return wait_until(
            lambda: port_is_open(self.port),
            what=self.program,
            timeout=timeout,
            log_path=log_path,
            still_running=still_running,
        )

    def _java_command(self, *, full_jit: bool = False) -> tuple[str, ...]:
        return (
            java_executable(),
            f"-Xmx{self.heap_mb}m",
            "-XX:+UseSerialGC",
            *(() if full_jit else ("-XX:TieredStopAtLevel=1",)),
            "-XX:-UsePerfData",
            "-XX:+ExitOnOutOfMemoryError",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={log4j_config_path()}",
            "-cp",
            # The JVM expands the wildcard itself, so the classpath survives a jar being added or renamed.
            f"{ensure_jars()}/*",
        )


@dataclass(frozen=True)
class KafkaCluster:
    """The stack's Kafka: its nodes, formatted with one cluster id; clients bootstrap from all of them."""

    nodes: tuple[KafkaBroker, ...]

    @classmethod
    def on_ports(
        cls, home: Path, *, port: int, controller_port: int, size: int, full_jit: bool = False
    ) -> "KafkaCluster":
        """One node in home (ports as given), or `size` nodes in home/kafka-<n>, node n on each port + 2(n - 1)."""
        if size == 1:
            return cls((KafkaBroker(home, port, controller_port, full_jit=full_jit),))
        voter_ports = tuple(controller_port + 2 * index for index in range(size))
        return cls(
            tuple(
                # Three JVMs share the machine with Postgres and six services.
                KafkaBroker(
                    home / f"{PROGRAM_NAME}-{index + 1}",
                    port + 2 * index,
                    voter_ports[index],
                    node_id=index + 1,
                    voter_ports=voter_ports,
                    heap_mb=384,
                    full_jit=full_jit,
                )
                for index in range(size)
            )
        )

    @property
    def programs(self) -> list[str]:
        return [node.program for node in self.nodes]

    def node(self, program: str) -> KafkaBroker:
        for node in self.nodes:
            if node.program == program:
                return node
        raise KeyError(f"no Kafka node {program!r}; the nodes are {', '.join(self.programs)}")

    def program_of(self, node_id: int) -> str:
        return next(node.program for node in self.nodes if node.node_id == node_id)

    @property
    def bootstrap_servers(self) -> str:
        return ",".join(node.bootstrap_servers for node in self.nodes)

    @property
    def admin_connection(self) -> KafkaConnection:
        return admin_login(self.bootstrap_servers)

    @property
    def replication_factor(self) -> int:
        return self.nodes[0].replication_factor

    def format_fresh(self) -> None:
        cluster_id, fingerprint = random_cluster_id(), self._storage_fingerprint()
        for node in self.nodes:
            node.format_fresh(cluster_id, fingerprint=fingerprint)

    def prepare_storage(self) -> None:
        """Keep the nodes' storage (topics, records, consumer offsets), as Postgres keeps its data, when it was
        formatted for this Kafka version, these nodes and these logins (SCRAM logins are set only at format time);
        format it afresh otherwise.

        Kafka kept beside a kept database is what a deployment has: an announcement made once (a roster, a
        catalogue) is still on its topic for a service that starts reading it later."""
        fingerprint = self._storage_fingerprint()
        if all(node.formatted_for(fingerprint) for node in self.nodes):
            for node in self.nodes:
                node.write_properties()
        else:
            self.format_fresh()

    def _storage_fingerprint(self) -> str:
        nodes = [(node.node_id, node.controller_port, node.voter_ports) for node in self.nodes]
        logins = sorted(scram_users().items())
        return hashlib.sha256(repr((kafka_version(), nodes, logins)).encode()).hexdigest()


def admin_login(bootstrap_servers: str) -> KafkaConnection:
    return KafkaConnection(bootstrap_servers=bootstrap_servers).as_login(ADMIN, kafka_password(ADMIN))


def _jaas(login_module: str, admin_password: str, *options: str) -> str:
    login = [f'username="{ADMIN}"', f'password="{admin_password}"', *options]
    return f"org.apache.kafka.common.security.{login_module} required {' '.join(login)};"
