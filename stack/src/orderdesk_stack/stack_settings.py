"""One local stack's settings and what follows from them: its servers and their addresses, the credentials it
issues, and the programs supervisord runs for it (stack.Stack starts, stops and breaks them)."""

import hmac
import os
import sys
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Self

from orderdesk_shared.auth import audience_for
from orderdesk_shared.kafka_connection import KafkaConnection
from orderdesk_shared.tokens import TokenSigner
from orderdesk_stack import jaeger_server, kafka_broker, mail_sink, postgres_server
from orderdesk_stack.jaeger_server import JaegerServer
from orderdesk_stack.kafka_access import login_as
from orderdesk_stack.kafka_broker import KafkaCluster
from orderdesk_stack.mail_sink import MailSink
from orderdesk_stack.paths import default_run_dir
from orderdesk_stack.postgres_server import EmbeddedPostgres
from orderdesk_stack.processes import ProcessSpec, free_port_block, free_ports
from orderdesk_stack.provision import service_database_url
from orderdesk_stack.services import SERVICES, Service, service_named
from orderdesk_stack.supervision import RunLayout, Supervisor
from orderdesk_stack.topics import EVENT_TOPIC_PARTITIONS
from orderdesk_stack.volumes import TmpfsVolume

POSTGRES = postgres_server.PROGRAM_NAME
KAFKA = kafka_broker.PROGRAM_NAME
JAEGER = jaeger_server.PROGRAM_NAME
SMTP = mail_sink.PROGRAM_NAME
# `up` notes its Kafka node count here, so later commands on the running stack (status, restart) know its nodes.
KAFKA_BROKERS_RECORD = "kafka-brokers"
PASSTHROUGH_ENV_PREFIXES = ("OTEL_",)
# The Salesforce org of the sample Outbound Messages: the one org a local stack takes orders from.
LOCAL_SALESFORCE_ORG = "00D5e000000DEMOEAA"


@dataclass(frozen=True)
class StackSettings:
    """One stack's settings and run dir; several can run side by side on different ports and run dirs."""

    run_dir: Path
    pg_port: int = 5433
    kafka_port: int = 9092
    kafka_controller_port: int = 9093
    service_port_base: int = 8000
    topic_partitions: int = EVENT_TOPIC_PARTITIONS
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
    # The SMTP sink (program "smtp") the console sends its mail to.
    smtp_port: int = mail_sink.SMTP_PORT

    @classmethod
    def from_env(cls, *, services: tuple[Service, ...] = SERVICES, tracing: bool = True) -> Self:
        """Settings from ORDERDESK_* variables; DATABASE_URL / KAFKA_BOOTSTRAP_SERVERS mean external servers."""
        env = os.environ
        run_dir = default_run_dir()
        return cls(
            run_dir=run_dir,
            pg_port=int(env.get("ORDERDESK_PG_PORT", "5433")),
            kafka_port=int(env.get("ORDERDESK_KAFKA_PORT", "9092")),
            kafka_controller_port=int(env.get("ORDERDESK_KAFKA_CONTROLLER_PORT", "9093")),
            service_port_base=int(env.get("ORDERDESK_SERVICE_PORT_BASE", "8000")),
            topic_partitions=int(env.get("ORDERDESK_TOPIC_PARTITIONS", EVENT_TOPIC_PARTITIONS)),
            database_url=env.get("DATABASE_URL") or None,
            kafka_bootstrap_servers=env.get("KAFKA_BOOTSTRAP_SERVERS") or None,
            services=services,
            kafka_brokers=int(env.get("ORDERDESK_KAFKA_BROKERS") or _brokers_of_the_running_stack(run_dir)),
            tracing=tracing,
            jaeger_otlp_port=int(env.get("ORDERDESK_JAEGER_OTLP_PORT", str(jaeger_server.OTLP_HTTP_PORT))),
            jaeger_query_port=int(env.get("ORDERDESK_JAEGER_QUERY_PORT", str(jaeger_server.QUERY_PORT))),
            smtp_port=int(env.get("ORDERDESK_SMTP_PORT", str(mail_sink.SMTP_PORT))),
        )

    @classmethod
    def on_free_ports(cls, run_dir: Path, *, kafka_brokers: int = 1, **settings: object) -> Self:
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
            smtp_port=_free_port_outside(taken),
            **settings,
        )

    # Addresses

    @property
    def layout(self) -> RunLayout:
        return RunLayout(self.run_dir)

    @property
    def supervisor(self) -> Supervisor:
        return Supervisor(self.layout)

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

    @property
    def mail_sink(self) -> MailSink:
        """The SMTP sink the console's mail goes to; `mail_sink.delivered()` reads what it received."""
        return MailSink(self.run_dir / SMTP, port=self.smtp_port)

    @property
    def mail_sink_programs(self) -> list[str]:
        """["smtp"] when the stack runs the console, the one service that sends mail."""
        return [SMTP] if any(service.name == "console" for service in self.services) else []

    def kafka_connection_for(self, principal: str) -> KafkaConnection:
        """How `principal` (a service's or an outside system's, see kafka_access) logs in to this stack's Kafka."""
        return login_as(self.kafka_admin, principal)

    def service_port(self, name: str) -> int:
        return service_named(name).port(self.service_port_base)

    def service_url(self, name: str) -> str:
        """A service's address; also an added instance's (add_instance), by its program name."""
        if name in self.added_instances():
            return f"http://127.0.0.1:{self.added_instance_port(name)}"
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
            "console": {
                "CONSOLE_DEV_SIGN_IN_KEYS": str(signer.directory),
                "CONSOLE_SMTP_HOST": "127.0.0.1",
                "CONSOLE_SMTP_PORT": str(self.smtp_port),
            },
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
        infrastructure += [self.mail_sink.process()] if self.mail_sink_programs else []
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

    def added_instances(self) -> list[str]:
        """The programs Stack.add_instance started beside the services."""
        return sorted(path.stem for path in self.layout.added_programs_dir.glob("*.conf"))

    def added_instance_port(self, program: str) -> int:
        command = self.supervisor.added_program_command(program)
        return int(command[command.index("--port") + 1])


def _free_port_outside(taken: set[int]) -> int:
    """A free port not in `taken`, which it joins."""
    port = next(port for port in iter(lambda: free_ports(1)[0], None) if port not in taken)
    taken.add(port)
    return port


def _brokers_of_the_running_stack(run_dir: Path) -> int:
    """How many Kafka nodes the stack in run_dir was started with (1 when none runs)."""
    record = run_dir / KAFKA_BROKERS_RECORD
    return int(record.read_text()) if record.exists() else 1
