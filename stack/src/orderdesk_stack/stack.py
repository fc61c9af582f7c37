"""The local OrderDesk stack: Postgres, Kafka and every service as supervisord programs in one run dir, started,
stopped, watched and broken on purpose here (its settings, addresses and programs: stack_settings)."""

import asyncio
import itertools
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy.engine import make_url

from orderdesk_stack import jaeger_server
from orderdesk_stack.kafka_access import provision_acls
from orderdesk_stack.paths import repo_root
from orderdesk_stack.processes import free_ports, is_stopped, wait_until
from orderdesk_stack.provision import migrate, provision_database
from orderdesk_stack.services import SERVICES, service_named
from orderdesk_stack.stack_settings import (
    JAEGER,
    KAFKA,
    KAFKA_BROKERS_RECORD,
    LOCAL_SALESFORCE_ORG,
    POSTGRES,
    SMTP,
    StackSettings,
)
from orderdesk_stack.topics import (
    PartitionReplicas,
    catalogue_topics,
    create_topics,
    describe_partitions,
    partitions_by_topic,
)
from orderdesk_stack.volumes import TmpfsVolume, unmount_if_mounted

# Importers take the program names and the local org from here, beside the Stack they name.
__all__ = ["JAEGER", "KAFKA", "LOCAL_SALESFORCE_ORG", "POSTGRES", "SMTP", "ProgramStatus", "Stack", "answers_ok"]


@dataclass(frozen=True)
class ProgramStatus:
    name: str
    state: str
    pid: int | None
    address: str
    uptime_seconds: float | None


@dataclass(frozen=True)
class Stack(StackSettings):
    """One stack, supervised: start and stop it or one of its programs, see how they are, and break them on purpose
    for fault tests and `orderdesk chaos`."""

    # Lifecycle

    def is_up(self) -> bool:
        return self.supervisor.is_running()

    def up(self, progress: Callable[[str], None] = lambda message: None) -> dict[str, float]:
        """Start everything and wait until it serves; return seconds to ready per program. No-op when up."""
        if self.is_up():
            return {}
        started = time.monotonic()
        timings: dict[str, float] = {}
        if self.postgres_volume:
            progress(f"mounting a {self.postgres_volume.size_mb} MiB volume for postgres")
            self.postgres_volume.mount()
        if self.postgres:
            progress("preparing postgres data")
            self.postgres.init()
        if self.kafka:
            progress("preparing kafka storage")
            self.kafka.prepare_storage()
            self._kafka_brokers_record.write_text(f"{self.kafka_brokers}\n")
        if self.tracing and not jaeger_server.binary_path().is_file() and jaeger_server.can_build():
            progress(f"building Jaeger {jaeger_server.jaeger_version()} with Go (once, a few minutes)")
            jaeger_server.ensure_binary()
        if self.jaeger:
            self.jaeger.write_config()
        # The admin credential stays with this process; services get only their own URLs.
        daemon_env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
        self.supervisor.start_daemon(self.programs(), directory=repo_root(), env=daemon_env)

        infrastructure = [
            *([POSTGRES] if self.postgres else []),
            *self.kafka_programs,
            *self._jaeger_programs,
            *self.mail_sink_programs,
        ]
        progress(f"starting {' and '.join(infrastructure) or 'nothing local'}")
        timings |= self._start_and_wait(infrastructure)

        self.provision(progress)

        progress(f"starting {len(self.services)} services")
        timings |= self._start_and_wait([service.name for service in self.services])
        timings["total"] = time.monotonic() - started
        return timings

    def provision(
        self,
        progress: Callable[[str], None] = lambda message: None,
        *,
        grant_kafka_acls: bool = False,
        with_topics: bool = True,
    ) -> None:
        """Roles, schemas, migrations, topics and (on the local broker) Kafka ACLs on this stack's servers (idempotent).

        Without `with_topics` the topics are an operator's (Strimzi's KafkaTopic resources, which set their
        replication); Kafka is then not touched unless `grant_kafka_acls`.

        An external Kafka's users and ACLs are its platform's to provision (kafka_access.principals() lists them),
        unless `grant_kafka_acls` asks for the ACLs here (the KAFKA_* login must then be a super user).
        """
        progress("provisioning roles and schemas, migrating")
        # Every service gets its role and schema, so one left out here can run elsewhere (an IDE) against them.
        urls = asyncio.run(provision_database(self.admin_database_url, SERVICES))
        migrate({service: urls[service.name] for service in self.services})
        if with_topics:
            topics = partitions_by_topic(self.topic_partitions)
            progress(f"creating {len(topics)} topics")
            replicas = self.kafka.replication_factor if self.kafka else 1
            asyncio.run(create_topics(self.kafka_admin, topics, replication_factor=replicas))
        if self.kafka or grant_kafka_acls:
            progress("allowing each Kafka principal its topics")
            asyncio.run(provision_acls(self.kafka_admin))

    def down(self) -> None:
        """Stop every program and supervisord (data stays in the run dir, but for a Postgres volume's)."""
        if self.is_up():
            self.supervisor.shutdown()
        if self.postgres:
            # Whatever this Stack's settings, a volume `up` mounted is not left behind.
            unmount_if_mounted(self.postgres.home)
        self._kafka_brokers_record.unlink(missing_ok=True)

    @property
    def _jaeger_programs(self) -> list[str]:
        return [JAEGER] if self.jaeger else []

    @property
    def _kafka_brokers_record(self) -> Path:
        return self.run_dir / KAFKA_BROKERS_RECORD

    def restart(self, program: str) -> float:
        """Stop a program if it runs, start it again and wait until it serves; return seconds to ready."""
        self._check_program(program)
        self.supervisor.stop(program)
        return self._start_and_wait([program])[program]

    def stop(self, program: str) -> None:
        self._check_program(program)
        self.supervisor.stop(program)

    def start(self, program: str) -> None:
        """Start a stopped program without waiting for it to serve (a fault test watches it come up)."""
        self._check_program(program)
        self.supervisor.start(program)

    def kill(self, program: str) -> None:
        """SIGKILL, for fault tests: the program stays down until restarted."""
        self._check_program(program)
        self.supervisor.kill(program)

    def pause(self, program: str) -> None:
        """SIGSTOP, for fault tests: the process hangs, holding its sockets and locks, until resume()."""
        self._check_program(program)
        self.supervisor.signal(program, "STOP")

    def resume(self, program: str) -> None:
        """SIGCONT a paused program."""
        self._check_program(program)
        self.supervisor.signal(program, "CONT")

    # Faults from outside, for fault tests and `orderdesk chaos` (the faults package runs them while orders flow)

    def partition_replicas(self, topics: list[str]) -> dict[tuple[str, int], PartitionReplicas]:
        """Leader and in-sync replicas (node ids) of every partition of `topics`, from the cluster's metadata.

        Blocking, like every method here: from async code, call it through asyncio.to_thread.
        """
        return asyncio.run(describe_partitions(self.kafka_admin, topics))

    def partition_leader(self, topic: str, partition: int) -> str:
        """The program of the local Kafka node that leads this partition now."""
        if not self.kafka:
            raise RuntimeError("an external Kafka's brokers are not this stack's programs")
        leader = self.partition_replicas([topic])[topic, partition].leader
        if leader < 0:
            raise RuntimeError(f"{topic} partition {partition} has no leader now")
        return self.kafka.program_of(leader)

    def under_replicated_partitions(self) -> list[str]:
        """The catalogue's partitions with fewer replicas in sync than assigned, each as "topic[partition]: isr"."""
        return [
            f"{topic}[{partition}]: in sync {', '.join(map(str, replicas.in_sync))} of {len(replicas.replicas)}"
            for (topic, partition), replicas in sorted(self.partition_replicas(catalogue_topics()).items())
            if len(replicas.in_sync) < len(replicas.replicas)
        ]

    def restart_postgres_immediately(self) -> float:
        """Shut Postgres down in immediate mode (SIGQUIT to the postmaster: no checkpoint, clients cut off), start
        it again and wait until it serves: the start is a crash recovery from the WAL. Return seconds to ready."""
        self._check_program(POSTGRES)
        self.supervisor.signal(POSTGRES, "QUIT")
        wait_until(
            lambda: not self.supervisor.is_alive(POSTGRES),
            what="postgres immediate shutdown",
            timeout=30,
            log_path=self.log_path(POSTGRES),
        )
        return self._start_and_wait([POSTGRES])[POSTGRES]

    def fill_database_disk(self) -> int:
        """Fill the Postgres volume with a ballast file but a few KiB; return the ballast's bytes."""
        return self._required_postgres_volume().fill()

    def free_database_disk(self) -> bool:
        """Remove the ballast; start Postgres again if the full disk brought it down (return whether it did)."""
        self._required_postgres_volume().free()
        if self.supervisor.is_alive(POSTGRES):
            return False
        self._start_and_wait([POSTGRES])
        return True

    def _required_postgres_volume(self) -> TmpfsVolume:
        if self.postgres_volume is None:
            raise RuntimeError("the database disk can be filled only on a stack with postgres_volume_mb set")
        return self.postgres_volume

    def add_instance(self, service_name: str) -> str:
        """Start another instance of a service (same consumer group and database, a port of its own outside the
        service block) in the running supervisord; wait until it serves and return its program name."""
        return self.add_instances([service_name])[0]

    def add_instances(self, service_names: Iterable[str]) -> list[str]:
        """add_instance for each of these services, all started at once (they boot side by side, as at `up`);
        wait until every one serves and return their program names."""
        programs = []
        taken_ports = {s.port(self.service_port_base) for s in SERVICES}
        for service in map(service_named, service_names):
            taken = {*self.added_instances(), *(s.name for s in SERVICES)}
            program = next(f"{service.name}-{n}" for n in itertools.count(2) if f"{service.name}-{n}" not in taken)
            port = next(port for port in iter(lambda: free_ports(1)[0], None) if port not in taken_ports)
            taken_ports.add(port)
            self.supervisor.add_program(
                self.service_program(service, program=program, port=port), directory=repo_root()
            )
            programs.append(program)
        self._start_and_wait(programs)
        return programs

    def remove_instance(self, program: str) -> None:
        """Stop an instance add_instance started (gracefully) and take it out of supervisord."""
        if program not in self.added_instances():
            raise KeyError(f"{program!r} is not an added instance; added: {', '.join(self.added_instances())}")
        self.supervisor.remove_program(program)

    def status(self) -> list[ProgramStatus]:
        """Supervised programs in start order, after the external servers this stack uses, if any."""
        addresses = self._addresses()
        external = [
            ProgramStatus(name, "EXTERNAL", None, address, None)
            for name, address, is_external in (
                (POSTGRES, addresses[POSTGRES], self.database_url is not None),
                (KAFKA, self.kafka_bootstrap, self.kafka_bootstrap_servers is not None),
            )
            if is_external
        ]
        order = [POSTGRES, *self.kafka_programs, JAEGER, SMTP, *(service.name for service in SERVICES)]

        def position(name: str) -> tuple[int, str]:
            # An added instance ("intake-2") comes after its service.
            origin = name if name in order else name.rsplit("-", 1)[0]
            return (order.index(origin) if origin in order else len(order), name)

        supervised = sorted(self.supervisor.processes(), key=lambda info: position(info["name"]))
        return external + [
            ProgramStatus(
                name=info["name"],
                # supervisord knows nothing of SIGSTOP: a paused program still reads RUNNING there.
                state="PAUSED" if info["statename"] == "RUNNING" and is_stopped(info["pid"]) else info["statename"],
                pid=info["pid"] or None,
                address=addresses.get(info["name"], ""),
                uptime_seconds=info["now"] - info["start"] if info["statename"] == "RUNNING" else None,
            )
            for info in supervised
        ]

    def _addresses(self) -> dict[str, str]:
        database = make_url(self.admin_database_url)
        nodes = self.kafka.nodes if self.kafka else ()
        return {
            POSTGRES: f"{database.host}:{database.port or 5432}",
            **{node.program: node.bootstrap_servers for node in nodes},
            JAEGER: f"127.0.0.1:{self.jaeger_query_port} (OTLP :{self.jaeger_otlp_port})",
            SMTP: f"{self.mail_sink.address} (messages in {self.mail_sink.maildir})",
            **{service.name: f"127.0.0.1:{self.service_port(service.name)}" for service in SERVICES},
            **{program: f"127.0.0.1:{self.added_instance_port(program)}" for program in self.added_instances()},
        }

    def _check_program(self, program: str) -> None:
        running = [info["name"] for info in self.supervisor.processes()]
        if program not in running:
            raise KeyError(f"no program {program!r} in this stack; it runs: {', '.join(running)}")

    def _start_and_wait(self, programs: list[str]) -> dict[str, float]:
        started_at = {}
        for program in programs:
            started_at[program] = time.monotonic()
            self.supervisor.start(program)
        timings = {}
        for program in programs:
            self._wait_ready(program)
            timings[program] = time.monotonic() - started_at[program]
        return timings

    def _wait_ready(self, program: str) -> None:
        log_path = self.log_path(program)

        def still_running() -> bool:
            return self.supervisor.is_alive(program)

        if program == POSTGRES:
            self.postgres.wait_ready(log_path=log_path, still_running=still_running)
        elif program in self.kafka_programs:
            self.kafka.node(program).wait_ready(log_path=log_path, still_running=still_running)
        elif program == JAEGER:
            self.jaeger.wait_ready(log_path=log_path, still_running=still_running)
        elif program == SMTP:
            self.mail_sink.wait_ready(log_path=log_path, still_running=still_running)
        else:
            readyz = f"{self.service_url(program)}/readyz"
            wait_until(
                lambda: answers_ok(readyz),
                what=f"{program} ({readyz})",
                timeout=self.ready_timeout,
                log_path=log_path,
                still_running=still_running,
                interval=0.25,
            )


def answers_ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2.0).status_code == 200
    except httpx.HTTPError:
        return False
