"""`orderdesk scale-out`: the scale-out rehearsal. On a three-broker stack of its own, pipeline rounds with one
instance of each service, then a second instance of each joins its consumer group (intake's takes half the POSTs
too), the groups rebalance onto both, and the same rounds run again; the invariants are checked over every order and
the two sets of figures are reported side by side."""

import asyncio
import json
import re
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.coordinator.protocol import ConsumerProtocolMemberAssignment

from orderdesk_shared.kafka_connection import KafkaConnection
from orderdesk_stack.bench import INTAKE, median_round, ms_per_order, pipeline, pipeline_round
from orderdesk_stack.cpu_use import idle_cores, settled, without_idle
from orderdesk_stack.invariants import check_invariants
from orderdesk_stack.paths import default_run_dir
from orderdesk_stack.services import SERVICES
from orderdesk_stack.stack import Stack

KAFKA_BROKERS = 3
INSTANCES_SCALED_TO = 2
# Every service consumes (each its own group); the console too, for its read model.
GROUPS = [service.name for service in SERVICES]
# A group joined by a new member settles within a few of its rebalances; longer means it did not spread.
REBALANCE_TIMEOUT_SECONDS = 90.0
STABLE = "Stable"
# The stack at rest is sampled this long for each line-up's idle CPU, taken off what its rounds spent.
IDLE_SECONDS = 10.0
# "intake-2", "pricing-approval-2": an instance Stack.add_instance started, after its service's name.
_ADDED_INSTANCE = re.compile(r"(?P<service>.+)-(?P<number>\d+)")


def scale_out_run_dir() -> Path:
    """Beside the local stack's state, never in it: the rehearsal has its own stack."""
    return default_run_dir() / "scale-out"


def scale_out_stack(run_dir: Path) -> Stack:
    """Three brokers on free ports (never the local stack's), no tracing, as the bench measures."""
    return Stack.on_free_ports(run_dir, kafka_brokers=KAFKA_BROKERS, tracing=False)


def service_of(program: str) -> str | None:
    """The service a program is an instance of (None for Postgres and the brokers)."""
    if program in GROUPS:
        return program
    added = _ADDED_INSTANCE.fullmatch(program)
    return added["service"] if added and added["service"] in GROUPS else None


async def partitions_per_member(kafka: KafkaConnection, groups: Sequence[str]) -> dict[str, list[int]]:
    """Each group's members, as the brokers know them, by the number of partitions each is assigned (most first);
    an empty list for a group not stable now (rebalancing, or with no members)."""
    admin = AIOKafkaAdminClient(**kafka.client_options())
    await admin.start()
    try:
        # One group a request: asked for two groups one broker coordinates, aiokafka 0.14 fails to decode the answer.
        responses = [response for group in groups for response in await admin.describe_consumer_groups([group])]
    finally:
        await admin.close()
    found = {}
    for response in responses:
        for _error, group, state, _protocol_type, _protocol, members, *_ in response.groups:
            counts = [
                len(ConsumerProtocolMemberAssignment.decode(member[4]).partitions()) if member[4] else 0
                for member in members
            ]
            found[group] = sorted(counts, reverse=True) if state == STABLE else []
    return {group: found.get(group, []) for group in groups}


def spread(members: Mapping[str, list[int]], *, instances: int) -> list[str]:
    """The groups not spread over `instances` members each owning partitions, each with what the brokers said."""
    return [
        f"{group}: partitions per member {counts}" if counts else f"{group}: no stable members (rebalancing)"
        for group, counts in members.items()
        if len(counts) != instances or 0 in counts
    ]


async def rebalanced(kafka: KafkaConnection, *, instances: int, timeout: float) -> dict[str, list[int]]:
    """Wait until every group is stable with `instances` members each owning partitions; its members then (or at the
    timeout, whatever they are)."""
    deadline = time.monotonic() + timeout
    while True:
        members = await partitions_per_member(kafka, GROUPS)
        if not spread(members, instances=instances) or time.monotonic() > deadline:
            return members
        await asyncio.sleep(1.0)


async def measured_line_up(
    stack: Stack, *, intakes: Sequence[str], orders: int, rounds: int, seed: int, timeout: float, idle_seconds: float
) -> dict:
    """`rounds` pipeline rounds with the programs running now, orders POSTed to `intakes` in turn: the median round,
    every round, and the CPU per order by program and by service (its instances summed), idle CPU taken off."""
    await settled(stack)
    idle = await idle_cores(stack, seconds=idle_seconds)
    measured = [
        await pipeline_round(stack, orders=orders, seed=seed + n, timeout=timeout, intakes=intakes)
        for n in range(rounds)
    ]
    spent: Counter[str] = Counter()
    for round_ in measured:
        spent.update(round_.cpu_seconds)
    by_program = without_idle(spent, idle, seconds=sum(round_.seconds for round_ in measured))
    by_service: Counter[str] = Counter()
    for program, seconds in by_program.items():
        by_service[service_of(program) or program] += seconds
    routed = orders * rounds
    return {
        "intakes": list(intakes),
        "pipeline": asdict(median_round([round_.measurement for round_ in measured])),
        "all_rounds": [asdict(round_.measurement) for round_ in measured],
        "cpu_ms_per_order": ms_per_order(by_service, routed),
        "cpu_ms_per_order_by_program": ms_per_order(by_program, routed),
    }


async def run_scale_out(
    stack: Stack,
    *,
    orders: int,
    rounds: int,
    seed: int,
    timeout: float,
    results_dir: Path,
    idle_seconds: float = IDLE_SECONDS,
    rebalance_timeout: float = REBALANCE_TIMEOUT_SECONDS,
) -> dict:
    """The rehearsal on a running `stack` of one instance per service; the figures of both line-ups, the groups'
    partitions per member in each, the groups that did not spread and the invariants' violations, also written to
    a JSON file in `results_dir`."""
    # Warm the path so connection set-up and first-use costs stay out of the first line-up's numbers.
    await pipeline(stack, orders=10, seed=seed - 1, timeout=timeout)
    single_members = await rebalanced(stack.kafka_admin, instances=1, timeout=rebalance_timeout)
    single = await measured_line_up(
        stack, intakes=[INTAKE], orders=orders, rounds=rounds, seed=seed, timeout=timeout, idle_seconds=idle_seconds
    )
    added = await asyncio.to_thread(stack.add_instances, GROUPS)
    scaled_members = await rebalanced(stack.kafka_admin, instances=INSTANCES_SCALED_TO, timeout=rebalance_timeout)
    intakes = [INTAKE, *(program for program in added if service_of(program) == INTAKE)]
    scaled = await measured_line_up(
        stack,
        intakes=intakes,
        orders=orders,
        rounds=rounds,
        seed=seed + rounds,
        timeout=timeout,
        idle_seconds=idle_seconds,
    )
    report = await check_invariants(stack, drain_timeout=timeout)
    result = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "seed": seed,
        "orders": orders,
        "rounds": rounds,
        "kafka_brokers": KAFKA_BROKERS,
        "partitions": stack.topic_partitions,
        "single": single | {"partitions_per_member": single_members},
        "scaled": scaled | {"partitions_per_member": scaled_members, "added_instances": added},
        "not_spread": spread(scaled_members, instances=INSTANCES_SCALED_TO),
        "invariants": {"orders_checked": len(report.accounts), "violations": report.violations()},
        # Ratified orders rest in progress, waiting for operations to complete them.
        "endings": dict(Counter(f"{account.ending} ({account.state})" for account in report.accounts.values())),
    }
    results_dir.mkdir(parents=True, exist_ok=True)
    path = results_dir / f"scale-out-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    result["file"] = str(path)
    return result


def failings(result: Mapping) -> list[str]:
    """What makes the rehearsal fail, each in a few words; none when it holds."""
    return [
        *(f"not spread: {line}" for line in result["not_spread"]),
        *(f"{len(found)} {label}" for label, found in result["invariants"]["violations"].items() if found),
    ]
