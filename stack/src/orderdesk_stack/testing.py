"""Pytest fixtures for real Kafka and Postgres (DESIGN §9), loaded through orderdesk-stack's pytest11 entry point.

Where each server comes from is one choice, made per server:
- KAFKA_BOOTSTRAP_SERVERS / DATABASE_URL set: that external server (DATABASE_URL is a superuser URL; the
  KAFKA_* settings of KafkaConnection.from_env log in as a Kafka super user);
- otherwise ORDERDESK_TEST_INFRA=testcontainers: a Docker container (testcontainers is imported only then);
- otherwise (ORDERDESK_TEST_INFRA=local, the default): a local process on free ports in a temp dir; its
  Kafka takes SCRAM logins only and has every principal's ACLs (kafka_access.py).
"""

import asyncio
import contextlib
import functools
import io
import os
import re
import secrets
import shutil
import tempfile
import zipfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pytest
import pytest_asyncio
from tenacity import AsyncRetrying, RetryCallState, retry_if_result, stop_after_delay, wait_fixed

from orderdesk_shared.auth import audience_for
from orderdesk_shared.kafka_connection import KafkaConnection
from orderdesk_shared.tokens import TokenSigner
from orderdesk_stack.kafka_access import login_as, provision_acls
from orderdesk_stack.kafka_broker import KafkaBroker
from orderdesk_stack.paths import repo_root
from orderdesk_stack.postgres_server import running_postgres
from orderdesk_stack.processes import LocalProcess, free_ports, server_home
from orderdesk_stack.provision import database_url, drop_schemas, migrate, provision_schemas
from orderdesk_stack.services import SERVICES, service_named

INFRA_ENV = "ORDERDESK_TEST_INFRA"
INFRA_CHOICES = ("local", "testcontainers")
KAFKA_IMAGE = "confluentinc/cp-kafka:7.9.0"
POSTGRES_IMAGE = "postgres:18"

Read = TypeVar("Read")


@dataclass(frozen=True)
class KafkaUnderTest:
    # A super user's connection: tests that must write or read any topic use it.
    admin: KafkaConnection
    # Stops and starts the broker on the same data; None when the broker is not ours to restart.
    restart: Callable[[], None] | None

    @property
    def bootstrap_servers(self) -> str:
        return self.admin.bootstrap_servers

    def connection_as(self, principal: str) -> KafkaConnection:
        """A service's or outside system's own login (kafka_access.principals()), refused what its ACLs do not allow."""
        return login_as(self.admin, principal)


def infra_choice() -> str:
    choice = os.environ.get(INFRA_ENV, "local")
    if choice not in INFRA_CHOICES:
        raise pytest.UsageError(f"{INFRA_ENV}={choice!r}: expected one of {', '.join(INFRA_CHOICES)}")
    return choice


@functools.cache
def session_token_signer() -> TokenSigner:
    """Signs tokens that services built in the test process take. A test session is a local deployment with a key
    pair of its own, published in the settings every service reads: ORDERDESK_DEPLOYMENT=local, ORDERDESK_JWKS_URL
    and ORDERDESK_JWT_ISSUER are set for the session (tests of settings unset them)."""
    home = Path(tempfile.mkdtemp(prefix="orderdesk-tokens-"))
    signer = TokenSigner.create(home, audiences=[audience_for(service.name) for service in SERVICES])
    os.environ.update(
        {"ORDERDESK_DEPLOYMENT": "local", "ORDERDESK_JWKS_URL": signer.jwks_url, "ORDERDESK_JWT_ISSUER": signer.issuer}
    )
    return signer


def pytest_configure(config: pytest.Config) -> None:
    # Before any test module is imported: some build their tokens and settings at import.
    session_token_signer()


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(session_token_signer().directory, ignore_errors=True)


@pytest.fixture(scope="session")
def token_signer() -> TokenSigner:
    return session_token_signer()


@pytest.fixture
def production_deployment(monkeypatch: pytest.MonkeyPatch) -> None:
    """What a production deployment sets that a service demands there: an identity provider's JWKS and
    issuer, and a Kafka login for every service (unprefixed too, for settings without a prefix)."""
    monkeypatch.setenv("ORDERDESK_DEPLOYMENT", "production")
    monkeypatch.setenv("ORDERDESK_JWKS_URL", "https://idp.example/.well-known/jwks.json")
    monkeypatch.setenv("ORDERDESK_JWT_ISSUER", "https://idp.example")
    monkeypatch.delenv("ORDERDESK_JWT_SECRET", raising=False)
    for prefix in ("", *(service.env_prefix for service in SERVICES)):
        monkeypatch.setenv(f"{prefix}KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
        monkeypatch.setenv(f"{prefix}KAFKA_USERNAME", "a-service")
        monkeypatch.setenv(f"{prefix}KAFKA_PASSWORD", "its-kafka-password")


@pytest.fixture(scope="session")
def kafka_broker() -> Iterator[KafkaUnderTest]:
    """A real Kafka broker for the whole session."""
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        yield KafkaUnderTest(KafkaConnection.from_env(), restart=None)
    elif infra_choice() == "testcontainers":
        from testcontainers.community.kafka import KafkaContainer

        with KafkaContainer(KAFKA_IMAGE).with_kraft() as container:
            yield KafkaUnderTest(KafkaConnection(bootstrap_servers=container.get_bootstrap_server()), restart=None)
    else:
        with server_home("kafka") as home:
            yield from _local_kafka(home)


@pytest.fixture(scope="session")
def kafka_bootstrap(kafka_broker: KafkaUnderTest) -> str:
    """The address alone; a client also needs a login: kafka_admin, or kafka_broker.connection_as(principal)."""
    return kafka_broker.bootstrap_servers


@pytest.fixture(scope="session")
def kafka_admin(kafka_broker: KafkaUnderTest) -> KafkaConnection:
    """A super user's connection options (`AIOKafkaProducer(**kafka_admin.client_options())`)."""
    return kafka_broker.admin


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    """A superuser URL of a real PostgreSQL server for the whole session."""
    if external := os.environ.get("DATABASE_URL"):
        yield external
    elif infra_choice() == "testcontainers":
        from testcontainers.community.postgres import PostgresContainer

        with PostgresContainer(POSTGRES_IMAGE, driver=None) as container:
            yield container.get_connection_url()
    else:
        with server_home("postgres") as home, running_postgres(home) as admin_url:
            yield admin_url


async def create_test_database(admin_url: str, label: str = "test") -> tuple[str, str]:
    """A new database with one login role owning a schema of the same name; returns (name, SQLAlchemy URL)."""
    name = f"{re.sub(r'[^a-z0-9_]', '_', label.lower())[:40]}_{secrets.token_hex(4)}"
    await provision_schemas(admin_url, database=name, roles=[name])
    return name, database_url(admin_url, role=name, database=name)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def database_factory(postgres_admin_url: str) -> AsyncIterator[Callable[[str], Awaitable[str]]]:
    """`await database_factory("intake")` gives the URL of a fresh database, role and schema; dropped at the end."""
    created: list[str] = []

    async def create(label: str = "test") -> str:
        name, url = await create_test_database(postgres_admin_url, label)
        created.append(name)
        return url

    yield create
    for name in created:
        await drop_schemas(postgres_admin_url, database=name, roles=[name])


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def service_database(postgres_admin_url: str) -> AsyncIterator[Callable[[str], Awaitable[str]]]:
    """`await service_database("commission")`: the URL of a fresh database holding that service's migrated schema."""
    created: list[str] = []

    async def create(name: str) -> str:
        service = service_named(name)
        database = f"svc_{service.schema}_{secrets.token_hex(4)}"
        await provision_schemas(postgres_admin_url, database=database, roles=[service.role])
        created.append(database)
        url = database_url(postgres_admin_url, role=service.role, database=database)
        await asyncio.to_thread(migrate, {service: url})
        return url

    yield create
    # The cluster-wide service roles stay, as in the provisioning tests: other databases may use them.
    for database in created:
        await drop_schemas(postgres_admin_url, database=database, roles=[])


def _local_kafka(home: Path) -> Iterator[KafkaUnderTest]:
    port, controller_port = free_ports(2)
    broker = KafkaBroker(home / "broker", port, controller_port)
    broker.format_fresh()
    process = LocalProcess(broker.process(), log_path=home / "kafka.log", cwd=repo_root())

    def start() -> None:
        process.start()
        broker.wait_ready(log_path=process.log_path, still_running=process.is_running)

    def restart() -> None:
        process.stop()
        start()

    try:
        start()
        asyncio.run(provision_acls(broker.admin_connection))
        yield KafkaUnderTest(broker.admin_connection, restart=restart)
    finally:
        process.stop()


def xlsx_bomb(unpacked_bytes: int = 200 * 1024 * 1024) -> bytes:
    """A small file named like a workbook that unpacks to `unpacked_bytes` (zeros deflate a thousandfold)."""
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive,
        archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet,
    ):
        chunk = bytes(1024 * 1024)
        for _ in range(unpacked_bytes // len(chunk)):
            sheet.write(chunk)
    return buffer.getvalue()


async def eventually(
    read: Callable[[], Awaitable[Read]],
    wanted: Callable[[Read], object] = bool,
    *,
    what: str = "the condition",
    timeout: float = 60.0,
    pause: float = 0.3,
) -> Read:
    """What `read()` gives once `wanted` holds for it (by default: once it is truthy), read again every `pause`
    seconds; after `timeout` seconds, fails naming `what` it waited for and the last value read. An exception
    `read()` raises is the test's failure at once, not a reason to read again."""

    def give_up(state: RetryCallState):
        raise AssertionError(f"waited {timeout:g} s for {what}; last read: {state.outcome.result()!r}")

    async def read_once() -> Read:
        # tenacity awaits only what a coroutine function gives: a lambda's coroutine it would take for the value.
        return await read()

    retrying = AsyncRetrying(
        retry=retry_if_result(lambda value: not wanted(value)),
        stop=stop_after_delay(timeout),
        wait=wait_fixed(pause),
        retry_error_callback=give_up,
    )
    return await retrying(read_once)


@contextlib.asynccontextmanager
async def running(*coroutines) -> AsyncIterator[list[asyncio.Task]]:
    """Run background loops (relay, consumer) for the block, then cancel them."""
    tasks = [asyncio.create_task(coroutine) for coroutine in coroutines]
    try:
        yield tasks
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
