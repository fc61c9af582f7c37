"""The local OrderDesk stack: Postgres, Kafka and every service as supervisord programs in one run dir."""

import asyncio
import hmac
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
from orderdesk_stack import kafka_broker, postgres_server
from orderdesk_stack.kafka_access import login_as, provision_acls
from orderdesk_stack.kafka_broker import KafkaBroker
from orderdesk_stack.paths import default_run_dir, repo_root
from orderdesk_stack.postgres_server import EmbeddedPostgres
from orderdesk_stack.processes import ProcessSpec, wait_until
from orderdesk_stack.provision import migrate, provision_database, service_database_url
from orderdesk_stack.services import SERVICES, Service, service_named
from orderdesk_stack.supervision import RunLayout, Supervisor
from orderdesk_stack.topics import catalogue_topics, create_topics

POSTGRES = postgres_server.PROGRAM_NAME
KAFKA = kafka_broker.PROGRAM_NAME
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
    ready_timeout: float = 90.0
    # Settings every service program gets beside its own (e.g. a test's shorter INTAKE_HANDLER_TIMEOUT_SECONDS);
    # each service reads only those with its prefix.
    service_settings: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_env(cls, *, services: tuple[Service, ...] = SERVICES) -> "Stack":
        """Settings from ORDERDESK_* variables; DATABASE_URL / KAFKA_BOOTSTRAP_SERVERS mean external servers."""
        env = os.environ
        return cls(
            run_dir=default_run_dir(),
            pg_port=int(env.get("ORDERDESK_PG_PORT", "5433")),
            kafka_port=int(env.get("ORDERDESK_KAFKA_PORT", "9092")),
            kafka_controller_port=int(env.get("ORDERDESK_KAFKA_CONTROLLER_PORT", "9093")),
            service_port_base=int(env.get("ORDERDESK_SERVICE_PORT_BASE", "8000")),
            topic_partitions=int(env.get("ORDERDESK_TOPIC_PARTITIONS", "6")),
            database_url=env.get("DATABASE_URL") or None,
            kafka_bootstrap_servers=env.get("KAFKA_BOOTSTRAP_SERVERS") or None,
            services=services,
        )

    # Addresses

    @property
    def layout(self) -> RunLayout:
        return RunLayout(self.run_dir)

    @property
    def postgres(self) -> EmbeddedPostgres | None:
        return None if self.database_url else EmbeddedPostgres(self.run_dir / "postgres", self.pg_port)

    @property
    def kafka(self) -> KafkaBroker | None:
        if self.kafka_bootstrap_servers:
            return None
        return KafkaBroker(self.run_dir / "kafka", self.kafka_port, self.kafka_controller_port)

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

    def kafka_connection_for(self, principal: str) -> KafkaConnection:
        """How `principal` (a service's or an outside system's, see kafka_access) logs in to this stack's Kafka."""
        return login_as(self.kafka_admin, principal)

    def service_port(self, name: str) -> int:
        return service_named(name).port(self.service_port_base)

    def service_url(self, name: str) -> str:
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

    # Programs

    def programs(self) -> list[ProcessSpec]:
        infrastructure = [server.process() for server in (self.postgres, self.kafka) if server is not None]
        return infrastructure + [self.service_program(service) for service in self.services]

    def service_program(self, service: Service) -> ProcessSpec:
        prefix = service.env_prefix
        env = {
            f"{prefix}DATABASE_URL": self.service_database_url(service.name),
            **self.kafka_connection_for(service.name).env(f"{prefix}KAFKA_"),
            f"{prefix}TOPIC_PARTITIONS": str(self.topic_partitions),
            **self._credentials(service),
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
            str(service.port(self.service_port_base)),
            "--timeout-graceful-shutdown",
            "10",
        )
        return ProcessSpec(name=service.name, command=command, env=env, stop_timeout=20.0)

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
        if self.postgres:
            progress("preparing postgres data")
            self.postgres.init()
        if self.kafka:
            progress("formatting fresh kafka storage")
            self.kafka.format_fresh()
        # The admin credential stays with this process; services get only their own URLs.
        daemon_env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
        self.supervisor.start_daemon(self.programs(), directory=repo_root(), env=daemon_env)

        infrastructure = [name for name, server in ((POSTGRES, self.postgres), (KAFKA, self.kafka)) if server]
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
        topics = catalogue_topics()
        progress(f"creating {len(topics)} topics")
        asyncio.run(create_topics(self.kafka_admin, topics, partitions=self.topic_partitions))
        if self.kafka or grant_kafka_acls:
            progress("allowing each Kafka principal its topics")
            asyncio.run(provision_acls(self.kafka_admin))

    def down(self) -> None:
        """Stop every program and supervisord (data stays in the run dir)."""
        if self.is_up():
            self.supervisor.shutdown()

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

    def status(self) -> list[ProgramStatus]:
        """Supervised programs in start order, after the external servers this stack uses, if any."""
        addresses = self._addresses()
        external = [
            ProgramStatus(name, "EXTERNAL", None, address, None)
            for name, address, is_external in (
                (POSTGRES, addresses[POSTGRES], self.database_url is not None),
                (KAFKA, addresses[KAFKA], self.kafka_bootstrap_servers is not None),
            )
            if is_external
        ]
        order = [POSTGRES, KAFKA, *(service.name for service in SERVICES)]
        supervised = sorted(
            self.supervisor.processes(),
            key=lambda info: order.index(info["name"]) if info["name"] in order else len(order),
        )
        return external + [
            ProgramStatus(
                name=info["name"],
                state=info["statename"],
                pid=info["pid"] or None,
                address=addresses.get(info["name"], ""),
                uptime_seconds=info["now"] - info["start"] if info["statename"] == "RUNNING" else None,
            )
            for info in supervised
        ]

    def _addresses(self) -> dict[str, str]:
        database = make_url(self.admin_database_url)
        return {
            POSTGRES: f"{database.host}:{database.port or 5432}",
            KAFKA: self.kafka_bootstrap,
            **{service.name: f"127.0.0.1:{self.service_port(service.name)}" for service in SERVICES},
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
        elif program == KAFKA:
            self.kafka.wait_ready(log_path=log_path, still_running=still_running)
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
