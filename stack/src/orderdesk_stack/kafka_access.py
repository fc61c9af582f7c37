"""Who may do what on Kafka: one SCRAM principal per service and per outside system, its ACLs derived from the code.

A service writes the topics of the events it emits (its `subscriptions.EMITS`) and the dead-letter topics of the
topics it consumes (its consumer dead-letters through its own outbox); it reads the topics of its `HANDLERS` in its
consumer group, named after the service. A consuming service also writes and reads its own replay topic
(`<service>.replay`: an SRE's replay of a dead letter, through its outbox, for its consumer alone), so no service
ever writes a topic another service owns. Outside systems write the raw topics they feed and read what they are
handed. An admin principal (a super user) provisions topics and ACLs. Everything here is data, so the local broker
(at format time and on start) and a platform's own user manifests can both be made from `principals()`.

Local passwords are derived from the principal with HMAC-SHA256 keyed by ORDERDESK_KAFKA_PASSWORD_SECRET
(default "orderdesk-local"), or taken from `<PRINCIPAL>_KAFKA_PASSWORD`, so nothing is stored.
"""

import hashlib
import hmac
import importlib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import for_code
from aiokafka.protocol.admin import CreateAclsRequest_v1
from aiokafka.protocol.api import Request

from orderdesk_shared.events.base import Fact
from orderdesk_shared.events.catalogue import dead_letter_topic, replay_topic
from orderdesk_shared.events.channels import CrmAccountUpdated, CrmOpportunitySubmitted, EmailReceived, IvrCallReceived
from orderdesk_shared.events.fulfillment import HandOffCancelled, OrderHandedOff
from orderdesk_shared.events.operations import OpsOrderStatusChanged
from orderdesk_shared.kafka_connection import KafkaConnection
from orderdesk_stack.services import SERVICES

ADMIN = "orderdesk-admin"
PASSWORD_SECRET_ENV = "ORDERDESK_KAFKA_PASSWORD_SECRET"


class ResourceType(IntEnum):
    """Kafka's ResourceType codes (org.apache.kafka.common.resource.ResourceType)."""

    TOPIC = 2
    GROUP = 3


class PatternType(IntEnum):
    LITERAL = 3
    PREFIXED = 4


class Operation(IntEnum):
    """Kafka's AclOperation codes; READ and WRITE imply DESCRIBE of the same resource."""

    READ = 3
    WRITE = 4


ALLOW = 3  # AclPermissionType.ALLOW: nothing here is ever denied explicitly, what is not allowed is refused


@dataclass(frozen=True)
class Acl:
    principal: str
    operation: Operation
    resource_type: ResourceType
    resource_name: str
    pattern_type: PatternType = PatternType.LITERAL

    @property
    def kafka_principal(self) -> str:
        return f"User:{self.principal}"


@dataclass(frozen=True)
class KafkaPrincipal:
    """A SCRAM user and what its ACLs allow; group names ending in "-" are prefixes (one group per run)."""

    name: str
    writes: tuple[str, ...]
    reads: tuple[str, ...]
    groups: tuple[str, ...] = ()

    def acls(self) -> list[Acl]:
        return [
            *(Acl(self.name, Operation.WRITE, ResourceType.TOPIC, topic) for topic in self.writes),
            *(Acl(self.name, Operation.READ, ResourceType.TOPIC, topic) for topic in self.reads),
            *(
                Acl(
                    self.name,
                    Operation.READ,
                    ResourceType.GROUP,
                    group,
                    PatternType.PREFIXED if group.endswith("-") else PatternType.LITERAL,
                )
                for group in self.groups
            ),
        ]


def _topics(models: Iterable[type[Fact]]) -> tuple[str, ...]:
    return tuple(sorted({model.topic for model in models}))


def service_principals() -> list[KafkaPrincipal]:
    """Each service's principal, named after the service, from its `subscriptions` module."""
    principals = []
    for service in SERVICES:
        subscriptions = importlib.import_module(f"{service.package}.subscriptions")
        consumed = _topics(subscriptions.HANDLERS)
        replays = (replay_topic(service.name),) if consumed else ()
        principals.append(
            KafkaPrincipal(
                name=service.name,
                writes=tuple(sorted({*_topics(subscriptions.EMITS), *map(dead_letter_topic, consumed), *replays})),
                reads=(*consumed, *replays),
                groups=(service.name,) if consumed else (),
            )
        )
    return principals


# The systems around OrderDesk (see the catalogue's PRODUCED_/READ_OUTSIDE_THE_SERVICES); each consumer group of
# an outside system starts with its principal's name.
OUTSIDE_PRINCIPALS: tuple[KafkaPrincipal, ...] = (
    KafkaPrincipal("crm", writes=_topics([CrmOpportunitySubmitted, CrmAccountUpdated]), reads=()),
    KafkaPrincipal("ivr", writes=_topics([IvrCallReceived]), reads=()),
    KafkaPrincipal("mail-gateway", writes=_topics([EmailReceived]), reads=()),
    KafkaPrincipal(
        "operations",
        writes=_topics([OpsOrderStatusChanged]),
        reads=_topics([OrderHandedOff, HandOffCancelled]),
        groups=("operations-",),
    ),
)


def principals() -> list[KafkaPrincipal]:
    """Every principal but the admin, which needs no ACL (it is a super user)."""
    return [*service_principals(), *OUTSIDE_PRINCIPALS]


def principal_named(name: str) -> KafkaPrincipal:
    for principal in principals():
        if principal.name == name:
            return principal
    raise KeyError(f"no Kafka principal {name!r}; known: {', '.join(p.name for p in principals())}")


def kafka_password(principal: str) -> str:
    """`<PRINCIPAL>_KAFKA_PASSWORD` when set (a deployment's own secret), else derived from PASSWORD_SECRET_ENV."""
    if explicit := os.environ.get(f"{principal.upper().replace('-', '_')}_KAFKA_PASSWORD"):
        return explicit
    secret = os.environ.get(PASSWORD_SECRET_ENV) or "orderdesk-local"
    return hmac.new(secret.encode(), f"kafka:{principal}".encode(), hashlib.sha256).hexdigest()[:32]


def login_as(connection: KafkaConnection, principal: str) -> KafkaConnection:
    """The same brokers under `principal`'s login; a Kafka without SASL has no principals, so it stays as it is."""
    return connection.as_login(principal, kafka_password(principal)) if connection.uses_sasl else connection


def scram_users() -> dict[str, str]:
    """Every principal's SCRAM login, the admin's included: name -> password."""
    return {name: kafka_password(name) for name in [ADMIN, *(principal.name for principal in principals())]}


class _CreateAcls(Request[CreateAclsRequest_v1]):
    """All the ACLs in one request (aiokafka's own CreateAclsRequest carries one; Kafka 4 accepts v1 to v3)."""

    API_KEY = 30

    def __init__(self, acls: Iterable[Acl]) -> None:
        self._creations = [
            (acl.resource_type, acl.resource_name, acl.pattern_type, acl.kafka_principal, "*", acl.operation, ALLOW)
            for acl in acls
        ]

    def build(self, request_struct_class: type[CreateAclsRequest_v1]) -> CreateAclsRequest_v1:
        return request_struct_class(self._creations)


async def create_acls(admin_connection: KafkaConnection, acls: Iterable[Acl]) -> None:
    """Create the ACLs (creating one that exists changes nothing), as a principal allowed to alter the cluster."""
    admin = AIOKafkaAdminClient(**admin_connection.client_options())
    await admin.start()
    try:
        # The admin client's own way of sending a request it has no method for (any broker forwards it).
        response = await admin._send_request(_CreateAcls(acls))
    finally:
        await admin.close()
    for error_code, error_message in response.creation_responses:
        if error_code:
            raise for_code(error_code)(f"cannot create an ACL: {error_message}")


async def provision_acls(admin_connection: KafkaConnection) -> None:
    """Every principal's ACLs (idempotent)."""
    await create_acls(admin_connection, [acl for principal in principals() for acl in principal.acls()])
