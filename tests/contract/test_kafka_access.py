"""The Kafka ACLs give each principal what its README (or the catalogue, for outside systems) says it does, no more."""

import pytest

from orderdesk_shared.events.catalogue import (
    PRODUCED_OUTSIDE_THE_SERVICES,
    READ_OUTSIDE_THE_SERVICES,
    all_topics,
    dead_letter_topic,
    replay_topic,
)
from orderdesk_stack.catalogue import replay_topics
from orderdesk_stack.kafka_access import (
    ADMIN,
    OUTSIDE_PRINCIPALS,
    Operation,
    PatternType,
    ResourceType,
    principal_named,
    principals,
    scram_users,
)
from orderdesk_stack.services import SERVICES
from tests.contract.test_routing import _readme, _section_rows


@pytest.fixture(params=SERVICES, ids=lambda service: service.name)
def service(request):
    return request.param


def _allowed(principal: str, operation: Operation, resource_type: ResourceType) -> set[tuple[str, PatternType]]:
    return {
        (acl.resource_name, acl.pattern_type)
        for acl in principal_named(principal).acls()
        if (acl.operation, acl.resource_type) == (operation, resource_type)
    }


def test_a_service_reads_only_the_topics_its_readme_says_it_consumes_and_its_replays_in_its_own_group(service):
    consumed = {row[0] for row in _section_rows(_readme(service), "Consumes")}
    assert _allowed(service.name, Operation.READ, ResourceType.TOPIC) == {
        (topic, PatternType.LITERAL) for topic in consumed | {replay_topic(service.name)}
    }
    assert _allowed(service.name, Operation.READ, ResourceType.GROUP) == {(service.name, PatternType.LITERAL)}


def test_a_service_writes_only_what_its_readme_says_it_emits_its_own_dead_letters_and_its_replays(service):
    readme = _readme(service)
    emitted = {row[0] for row in _section_rows(readme, "Emits")}
    dead_letters = {dead_letter_topic(row[0]) for row in _section_rows(readme, "Consumes")}
    assert _allowed(service.name, Operation.WRITE, ResourceType.TOPIC) == {
        (topic, PatternType.LITERAL) for topic in emitted | dead_letters | {replay_topic(service.name)}
    }


def test_only_pricing_approval_may_approve_and_only_commission_may_ratify():
    writers = {
        topic: {p.name for p in principals() if topic in p.writes} for topic in ("orders.approved", "orders.ratified")
    }
    assert writers == {"orders.approved": {"pricing-approval"}, "orders.ratified": {"commission"}}


def test_only_the_consuming_service_itself_writes_and_reads_its_replay_topic(service):
    """An SRE's replay goes to the service's own replay topic: no service writes a topic another service owns."""
    replays = replay_topic(service.name)
    assert {p.name for p in principals() if replays in p.writes} == {service.name}
    assert {p.name for p in principals() if replays in p.reads} == {service.name}


def test_every_outside_system_in_the_catalogue_has_a_principal_for_its_topics():
    written_outside = {topic for principal in OUTSIDE_PRINCIPALS for topic in principal.writes}
    read_outside = {topic for principal in OUTSIDE_PRINCIPALS for topic in principal.reads}
    assert written_outside == {model.topic for model in PRODUCED_OUTSIDE_THE_SERVICES}
    assert read_outside == {model.topic for model in READ_OUTSIDE_THE_SERVICES}


def test_every_topic_has_a_writer_and_no_principal_names_a_topic_that_does_not_exist():
    topics = set(all_topics())
    known = topics | {dead_letter_topic(topic) for topic in topics} | set(replay_topics())
    named = {topic for principal in principals() for topic in (*principal.writes, *principal.reads)}
    assert named <= known
    assert topics <= {topic for principal in principals() for topic in principal.writes}


def test_every_principal_and_the_admin_has_its_own_scram_login():
    users = scram_users()
    assert set(users) == {ADMIN, *(principal.name for principal in principals())}
    assert len(set(users.values())) == len(users), "no two principals share a password"
