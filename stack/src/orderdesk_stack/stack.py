"""The local OrderDesk stack: Postgres, Kafka and every service as supervisord programs in one run dir."""

import asyncio
import hmac
import itertools
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import httpx
from sqlalchemy.engine import make_url

from orderdesk_shared.auth import audience_for
from orderdesk_shared.kafka_connection import KafkaConnection
from orderdesk_shared.tokens import TokenSigner
from orderdesk_stack import jaeger_server, kafka_broker, postgres_server
from orderdesk_stack.jaeger_server import JaegerServer
from orderdesk_stack.kafka_access import login_as, provision_acls
from orderdesk_stack.kafka_broker import KafkaCluster
from orderdesk_stack.paths import default_run_dir, repo_root
from orderdesk_stack.postgres_server import EmbeddedPostgres
from orderdesk_stack.processes import ProcessSpec, free_port_block, free_ports, is_stopped, wait_until
from orderdesk_stack.provision import migrate, provision_database, service_database_url
from orderdesk_stack.services import SERVICES, Service, service_named
from orderdesk_stack.supervision import RunLayout, Supervisor
from orderdesk_stack.topics import (
    PartitionReplicas,
    catalogue_topics,
    create_topics,
    describe_partitions,
    partitions_by_topic,
)
from orderdesk_stack.volumes import TmpfsVolume, unmount_if_mounted

POSTGRES = postgres_server.PROGRAM_NAME
KAFKA = kafka_broker.PROGRAM_NAME
JAEGER = jaeger_server.PROGRAM_NAME
# `up` notes its Kafka node count here, so later commands on the running stack (status, restart) know its nodes.
KAFKA_BROKERS_RECORD = "kafka-brokers"
PASSTHROUGH_ENV_PREFIXES = ("OTEL_",)
# The Salesforce org of the sample Outbound Messages: the one org a local stack takes orders from.
LOCAL_SALESFORCE_ORG = "00D5e000000DEMOEAA"


@dataclass(frozen=True)
class ProgramStatus:
    name: str
    state: str
    pid: int | None
    address: str
    uptime_seconds: float | None


@dataclass(frozen=True)
class Stack:
    """One stack's settings and run dir; several can run side by side on different ports and run dirs."""

    run_dir: Path
    pg_port: int = 5433
    kafka_port: int = 9092
    kafka_controller_port: int = 9093
    service_port_base: int = 8000
    topic_partitions: int = 6
    database_url: str | None = None
    kafka_bootstrap_servers: str | None = None
    services: tuple[Service, ...] = SERVICES
    # How long a service may take to answer /readyz (a program that exits is reported at once). Generous: on two
    # cores with a heavy process beside it, a service's imports and its consumer's group join took over 90 s.
    ready_timeout: float = 180.0
    # 1: one broker, program "kafka". More: a KRaft cluster of combined nodes "kafka-1".."kafka-<n>", node n on
    # kafka_port + 2(n - 1) and kafka_controller_port + 2(n - 1); topics replicated on up to 3, 2 in sync.
    kafka_brokers: int = 1
    # Brokers compiled by the full tiered JIT: costlier to start, cheaper per order once warm (for long runs).
    kafka_full_jit: bool = False
    # The embedded Postgres keeps its data on a tmpfs of this many MiB (mounted by `up`, unmounted by `down`,
    # so nothing survives a restart of the stack), which fill_database_disk() can fill.
    postgres_volume_mb: int | None = None
    # Settings every service program gets beside its own (e.g. a test's shorter INTAKE_HANDLER_TIMEOUT_SECONDS);
    # each service reads only those with its prefix, and OpenTelemetry's SDK the OTEL_* ones.
    service_settings: tuple[tuple[str, str], ...] = ()
    # Run Jaeger (program "jaeger", once Go has built it) and have every service export its spans there.
    tracing: bool = False
    jaeger_otlp_port: int = jaeger_server.OTLP_HTTP_PORT
    jaeger_query_port: int = jaeger_server.QUERY_PORT

    @classmethod
    def from_env(cls, *, services: tuple[Service, ...] = SERVICES, tracing: bool = True) -> "Stack":
        """Settings from ORDERDESK_* variables; DATABASE_URL / KAFKA_BOOTSTRAP_SERVERS mean external servers."""
        env = os.environ
        run_dir = default_run_dir()
        return cls(
            run_dir=run_dir,
            pg_port=int(env.get("ORDERDESK_PG_PORT", "5433")),
            kafka_port=int(env.get("ORDERDESK_KAFKA_PORT", "9092")),
            kafka_controller_port=int(env.get("ORDERDESK_KAFKA_CONTROLLER_PORT", "9093")),
            service_port_base=int(env.get("ORDERDESK_SERVICE_PORT_BASE", "8000")),
            topic_partitions=int(env.get("ORDERDESK_TOPIC_PARTITIONS", "6")),
            database_url=env.get("DATABASE_URL") or None,
            kafka_bootstrap_servers=env.get("KAFKA_BOOTSTRAP_SERVERS") or None,
            services=services,
            kafka_brokers=int(env.get("ORDERDESK_KAFKA_BROKERS") or _brokers_of_the_running_stack(run_dir)),
            tracing=tracing,
            jaeger_otlp_port=int(env.get("ORDERDESK_JAEGER_OTLP_PORT", str(jaeger_server.OTLP_HTTP_PORT))),
            jaeger_query_port=int(env.get("ORDERDESK_JAEGER_QUERY_PORT", str(jaeger_server.QUERY_PORT))),
        )

    @classmethod
    def on_free_ports(cls, run_dir: Path, *, kafka_brokers: int = 1, **settings: object) -> "Stack":
        """A stack on ports nothing listens on (never the local stack's), e.g. beside it in tests or a chaos run."""
        service_base = free_port_block(len(SERVICES))
        taken = {service.port(service_base) for service in SERVICES}
        # Node n of a cluster listens on the base ports + 2(n - 1).
        kafka_base = next(
            base
            for base in iter(lambda: free_port_block(2 * kafka_brokers), None)
            if not taken.intersection(range(base, base + 2 * kafka_brokers))
        )
        taken.update(range(kafka_base, kafka_base + 2 * kafka_brokers))
        return cls(
            run_dir=run_dir,
            pg_port=_free_port_outside(taken),
            kafka_port=kafka_base,
            kafka_controller_port=kafka_base + 1,
            service_port_base=service_base,
            kafka_brokers=kafka_brokers,
            jaeger_otlp_port=_free_port_outside(taken),
            jaeger_query_port=_free_port_outside(taken),
            **settings,
        )

    # Addresses

    @property
    def layout(self) -> RunLayout:
        return RunLayout(self.run_dir)

    @property
    def postgres(self) -> EmbeddedPostgres | None:
        if self.database_url:
            return None
        # A small volume fills with WAL long before the default 1 GB of it forces a checkpoint.
        max_wal_size_mb = self.postgres_volume_mb // 4 if self.postgres_volume_mb else None
        return EmbeddedPostgres(self.run_dir / "postgres", self.pg_port, max_wal_size_mb=max_wal_size_mb)

    @property
    def postgres_volume(self) -> TmpfsVolume | None:
        if self.postgres is None or self.postgres_volume_mb is None:
            return None
        return TmpfsVolume(self.postgres.home, self.postgres_volume_mb)

    @property
    def kafka(self) -> KafkaCluster | None:
        if self.kafka_bootstrap_servers:
            return None
        home, port, controller_port = self.run_dir / "kafka", self.kafka_port, self.kafka_controller_port
        return KafkaCluster.on_ports(
            home, port=port, controller_port=controller_port, size=self.kafka_brokers, full_jit=self.kafka_full_jit
        )

    @property
    def kafka_programs(self) -> list[str]:
        """The local Kafka nodes' programs: ["kafka"], or "kafka-1".."kafka-<n>" (none with an external Kafka)."""
        return self.kafka.programs if self.kafka else []

    @property
    def admin_database_url(self) -> str:
        return self.database_url or self.postgres.admin_url

    @property
    def kafka_bootstrap(self) -> str:
        return self.kafka_bootstrap_servers or self.kafka.bootstrap_servers

    @property
    def kafka_admin(self) -> KafkaConnection:
        """The principal that provisions topics and ACLs; with external Kafka, the KAFKA_* settings' login."""
        if self.kafka:
            return self.kafka.admin_connection
        return KafkaConnection.from_env().model_copy(update={"bootstrap_servers": self.kafka_bootstrap_servers})

    @property
    def jaeger(self) -> JaegerServer | None:
        """The stack's Jaeger; None without tracing, or while Go has not built it (jaeger_server.SKIPPED)."""
        if not self.tracing or not jaeger_server.binary_path().is_file():
            return None
        return JaegerServer(self.run_dir / JAEGER, otlp_port=self.jaeger_otlp_port, query_port=self.jaeger_query_port)

    @property
    def jaeger_url(self) -> str | None:
        """The Jaeger UI, and its query API under /api (tracing.JaegerQuery reads it); None without Jaeger."""
        return self.jaeger.url if self.jaeger else None

    def kafka_connection_for(self, principal: str) -> KafkaConnection:
        """How `principal` (a service's or an outside system's, see kafka_access) logs in to this stack's Kafka."""
        return login_as(self.kafka_admin, principal)

    def service_port(self, name: str) -> int:
        return service_named(name).port(self.service_port_base)

    def service_url(self, name: str) -> str:
        """A service's address; also an added instance's (add_instance), by its program name."""
        if name in self._added_instances():
            return f"http://127.0.0.1:{self._added_instance_port(name)}"
        return f"http://127.0.0.1:{self.service_port(name)}"

    def service_database_url(self, name: str) -> str:
        return service_database_url(self.admin_database_url, service_named(name))

    def log_path(self, program: str) -> Path:
        return self.layout.program_log(program)

    # Credentials: the stack is its own identity provider, and its own Salesforce org

    @cached_property
    def token_signer(self) -> TokenSigner:
        """Signs tokens every service of this stack takes; its key pair is made in the run dir on first use."""
        return TokenSigner.create(self.run_dir / "tokens", audiences=[audience_for(s.name) for s in SERVICES])

    @property
    def salesforce_org_secret(self) -> str:
        """LOCAL_SALESFORCE_ORG's secret, derived from the signing key: each stack has its own."""
        message = f"salesforce:{LOCAL_SALESFORCE_ORG}".encode()
        return hmac.new(self.token_signer.private_key_pem, message, "sha256").hexdigest()

    def _credentials(self, service: Service) -> dict[str, str]:
        signer = self.token_signer
        tokens = {
            "ORDERDESK_DEPLOYMENT": "local",
            "ORDERDESK_JWKS_URL": signer.jwks_url,
            "ORDERDESK_JWT_ISSUER": signer.issuer,
        }
        of_the_service = {
            "intake": {"INTAKE_SALESFORCE_ORG_SECRETS": f"{LOCAL_SALESFORCE_ORG}={self.salesforce_org_secret}"},
            "console": {"CONSOLE_DEV_SIGN_IN_KEYS": str(signer.directory)},
        }
        return tokens | of_the_service.get(service.name, {})

    def _tracing(self, service: Service) -> dict[str, str]:
        """Where the service exports its spans, and (the console) where its trace links lead: this stack's Jaeger."""
        if self.jaeger is None:
            return {}
        exporter = {"OTEL_EXPORTER_OTLP_ENDPOINT": self.jaeger.otlp_endpoint}
        if service.name == "console":
            return exporter | {"CONSOLE_TRACE_URL_TEMPLATE": f"{self.jaeger.url}/trace/{{trace_id}}"}
        return exporter

    # Programs

    def programs(self) -> list[ProcessSpec]:
        infrastructure = [self.postgres.process()] if self.postgres else []
        infrastructure += [node.process() for node in self.kafka.nodes] if self.kafka else []
        infrastructure += [self.jaeger.process()] if self.jaeger else []
        return infrastructure + [self.service_program(service) for service in self.services]

    def service_program(self, service: Service, *, program: str | None = None, port: int | None = None) -> ProcessSpec:
        """The service's program, or (given both) another instance of it as `program` on `port`."""
        prefix = service.env_prefix
        env = {
            f"{prefix}DATABASE_URL": self.service_database_url(service.name),
            **self.kafka_connection_for(service.name).env(f"{prefix}KAFKA_"),
            **self._credentials(service),
            **self._tracing(service),
            **dict(service.local_settings),
            **dict(self.service_settings),
            **{f"{prefix}{name.upper().replace('-', '_')}_URL": self.service_url(name) for name in service.calls},
        }
        env |= {key: value for key, value in os.environ.items() if key.startswith(PASSTHROUGH_ENV_PREFIXES)}
        command = (
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            f"{service.package}.main:create_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port or service.port(self.service_port_base)),
            "--timeout-graceful-shutdown",
            "10",
        )
        return ProcessSpec(name=program or service.name, command=command, env=env, stop_timeout=20.0)

    # Lifecycle

    @property
    def supervisor(self) -> Supervisor:
        return Supervisor(self.layout)

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
            progress("formatting fresh kafka storage")
            self.kafka.format_fresh()
            self._kafka_brokers_record.write_text(f"{self.kafka_brokers}\n")
        if self.tracing and not jaeger_server.binary_path().is_file() and jaeger_server.can_build():
            progress(f"building Jaeger {jaeger_server.jaeger_version()} with Go (once, a few minutes)")
            jaeger_server.ensure_binary()
        if self.jaeger:
            self.jaeger.write_config()
        # The admin credential stays with this process; services get only their own URLs.
        daemon_env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
        self.supervisor.start_daemon(self.programs(), directory=repo_root(), env=daemon_env)

        infrastructure = ([POSTGRES] if self.postgres else []) + self.kafka_programs + self._jaeger_programs
        progress(f"starting {' and '.join(infrastructure) or 'nothing local'}")
        timings |= self._start_and_wait(infrastructure)

        self.provision(progress)

        progress(f"starting {len(self.services)} services")
        timings |= self._start_and_wait([service.name for service in self.services])
        timings["total"] = time.monotonic() - started
        return timings

    def provision(
        self, progress: Callable[[str], None] = lambda message: None, *, grant_kafka_acls: bool = False
    ) -> None:
        """Roles, schemas, migrations, topics and (on the local broker) Kafka ACLs on this stack's servers (idempotent).

        An external Kafka's users and ACLs are its platform's to provision (kafka_access.principals() lists them),
        unless `grant_kafka_acls` asks for the ACLs here (the KAFKA_* login must then be a super user).
        """
        progress("provisioning roles and schemas, migrating")
        # Every service gets its role and schema, so one left out here can run elsewhere (an IDE) against them.
        urls = asyncio.run(provision_database(self.admin_database_url, SERVICES))
        migrate({service: urls[service.name] for service in self.services})
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
        service = service_named(service_name)
        taken = {*self._added_instances(), *(s.name for s in SERVICES)}
        program = next(f"{service.name}-{n}" for n in itertools.count(2) if f"{service.name}-{n}" not in taken)
        block = {s.port(self.service_port_base) for s in SERVICES}
        port = next(port for port in iter(lambda: free_ports(1)[0], None) if port not in block)
        self.supervisor.add_program(self.service_program(service, program=program, port=port), directory=repo_root())
        self._start_and_wait([program])
        return program

    def remove_instance(self, program: str) -> None:
        """Stop an instance add_instance started (gracefully) and take it out of supervisord."""
        if program not in self._added_instances():
            raise KeyError(f"{program!r} is not an added instance; added: {', '.join(self._added_instances())}")
        self.supervisor.remove_program(program)

    def _added_instances(self) -> list[str]:
        return sorted(path.stem for path in self.layout.added_programs_dir.glob("*.conf"))

    def _added_instance_port(self, program: str) -> int:
        command = self.supervisor.added_program_command(program)
        return int(command[command.index("--port") + 1])

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
        order = [POSTGRES, *self.kafka_programs, JAEGER, *(service.name for service in SERVICES)]

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
            **{service.name: f"127.0.0.1:{self.service_port(service.name)}" for service in SERVICES},
            **{program: f"127.0.0.1:{self._added_instance_port(program)}" for program in self._added_instances()},
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


def _free_port_outside(taken: set[int]) -> int:
    """A free port not in `taken`, which it joins."""
    port = next(port for port in iter(lambda: free_ports(1)[0], None) if port not in taken)
    taken.add(port)
    return port


def _brokers_of_the_running_stack(run_dir: Path) -> int:
    """How many Kafka nodes the stack in run_dir was started with (1 when none runs)."""
    record = run_dir / KAFKA_BROKERS_RECORD
    return int(record.read_text()) if record.exists() else 1


def answers_ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2.0).status_code == 200
    except httpx.HTTPError:
        return False
