"""A real single-node Apache Kafka broker (KRaft) assembled from Maven Central jars (see deploy/kafka/).

Clients log in with SASL/SCRAM-SHA-512 (users written at format time) and the StandardAuthorizer refuses whatever
no ACL allows; the admin principal is the super user that provisions topics and ACLs (kafka_access.py). Both
listeners are on 127.0.0.1 without TLS; the controller's takes only the admin's static PLAIN login.
"""

import base64
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
    """One broker acting as its own controller, listening on 127.0.0.1 only."""

    home: Path
    port: int
    controller_port: int

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def admin_connection(self) -> KafkaConnection:
        return KafkaConnection(bootstrap_servers=self.bootstrap_servers).as_login(ADMIN, kafka_password(ADMIN))

    @property
    def properties_path(self) -> Path:
        return self.home / "server.properties"

    @property
    def log_dirs(self) -> Path:
        return self.home / "data"

    def server_properties(self) -> str:
        admin_password = kafka_password(ADMIN)
        settings = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.voters": f"1@127.0.0.1:{self.controller_port}",
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
            "offsets.topic.replication.factor": "1",
            "offsets.topic.num.partitions": "3",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "transaction.state.log.num.partitions": "3",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
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

    def format_fresh(self) -> None:
        """Start from empty storage: new server.properties, new log dirs, a random cluster id."""
        shutil.rmtree(self.home, ignore_errors=True)
        self.home.mkdir(parents=True)
        self.properties_path.write_text(self.server_properties())
        self.properties_path.chmod(0o600)  # it holds the admin's password
        format_command = ["format", "-t", random_cluster_id(), "-c", str(self.properties_path)]
        for name, password in scram_users().items():
            format_command += ["--add-scram", f"SCRAM-SHA-512=[name={name},password={password}]"]
        run_tool([*self._java_command(), "kafka.tools.StorageTool", *format_command], what="formatting Kafka storage")

    def process(self) -> ProcessSpec:
        return ProcessSpec(
            name=PROGRAM_NAME,
            command=(*self._java_command(), "kafka.Kafka", str(self.properties_path)),
            stop_signal=signal.SIGTERM,
            stop_timeout=60.0,
        )

    def wait_ready(
        self, *, log_path: Path, still_running: Callable[[], bool] = lambda: True, timeout: float = 60
    ) -> float:
        """Wait for the broker listener; it opens only once the broker serves (the controller's opens earlier)."""
        return wait_until(
            lambda: port_is_open(self.port),
            what="kafka",
            timeout=timeout,
            log_path=log_path,
            still_running=still_running,
        )

    def _java_command(self) -> tuple[str, ...]:
        return (
            java_executable(),
            "-Xmx512m",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-XX:-UsePerfData",
            "-XX:+ExitOnOutOfMemoryError",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={log4j_config_path()}",
            "-cp",
            # The JVM expands the wildcard itself, so the classpath survives a jar being added or renamed.
            f"{ensure_jars()}/*",
        )


def _jaas(login_module: str, admin_password: str, *options: str) -> str:
    login = [f'username="{ADMIN}"', f'password="{admin_password}"', *options]
    return f"org.apache.kafka.common.security.{login_module} required {' '.join(login)};"
