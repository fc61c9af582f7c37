"""The bench's and the scale-out rehearsal's figures, as tables a person reads in the terminal."""

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from orderdesk_stack.bench import CORES
from orderdesk_stack.scale_out import service_of


def render_bench(result: dict) -> Group:
    """The bench's figures as tables: throughput and latency, CPU and memory by program, the Postgres baseline."""
    rounds = result["rounds"]
    table = Table(
        title=f"{result['orders']} orders per round, {result['baseline_records']} baseline records, "
        f"{result['partitions']} partitions per topic, median of {rounds} rounds"
    )
    for column in ("measurement", "per second", "p50", "p95", "p99", "seconds"):
        table.add_column(column, justify="left" if column == "measurement" else "right")
    for key in ("baseline", "pipeline", "open_loop", "intake_alone", "http_baseline", "intake_acceptance"):
        m = result[key]
        table.add_row(
            m["name"],
            f"{m['per_second']:.1f}",
            f"{m['p50_ms']:.0f} ms",
            f"{m['p95_ms']:.0f} ms",
            f"{m['p99_ms']:.0f} ms",
            f"{m['seconds']:.1f}",
        )
    dashboard = result["console_dashboard"]
    table.add_row(
        dashboard["name"],
        f"{dashboard['per_second']:.1f}",
        f"{dashboard['p50_ms']:.0f} ms",
        f"{dashboard['p95_ms']:.0f} ms",
        f"{dashboard['p99_ms']:.0f} ms",
        f"{dashboard['seconds']:.1f}",
    )
    producer = result["producer"]
    bus_cost = result["baseline_cpu_ms_per_record"]
    idle = result["idle_cores"]
    ratios = Text.assemble(
        f"pipeline / bus baseline throughput: {result['throughput_ratio_pipeline_to_baseline']:.3f}\n",
        f"bus baseline: producer linger {producer['linger_ms']} ms, batches up to {producer['max_batch_size']:,} B, "
        f"{producer['compression_type']} compression, polls of up to {producer['hop_max_records']:,} records; "
        f"CPU per record: Kafka {bus_cost['kafka_ms_per_record']:.3f} ms, the six hops "
        f"{bus_cost['hops_ms_per_record']:.3f} ms\n",
        f"intake alone: {result['intake_cpu_ms_per_post']:.2f} ms of intake's CPU per POST during the burst, "
        f"{result['intake_cpu_ms_per_post_relayed']:.2f} ms with its events relayed\n",
        f"intake acceptance (stack running) / HTTP baseline: {result['throughput_ratio_intake_to_http_baseline']:.3f}",
    )
    cpu = Table(
        title="CPU per order through the pipeline, by program (stack at rest before and after each round; "
        f"its idle CPU, {idle['total']:.3f} cores in all, measured before the rounds and taken off)"
    )
    for column in ("program", "ms CPU per order", "with idle CPU", "idle (cores)", "resident MiB"):
        cpu.add_column(column, justify="left" if column == "program" else "right")
    with_idle = result["cpu_ms_per_order_with_idle"]
    resident = result["resident_mib"]
    for program, milliseconds in result["cpu_ms_per_order"].items():
        cpu.add_row(
            program,
            f"{milliseconds:.2f}",
            f"{with_idle.get(program, 0.0):.2f}",
            f"{idle.get(program, 0.0):.3f}",
            f"{resident[program]:.0f}" if program in resident else "",
        )
    carry = Text(
        f"at that cost this machine's {CORES} cores carry at most "
        f"{result['orders_per_second_the_cores_carry']:.0f} orders/s through the whole pipeline"
    )
    postgres = Table(
        title="Postgres baseline: one service's write pattern per transaction (inbox claim, state upsert, outbox "
        "insert), asyncpg, on the stack's Postgres"
    )
    for column in ("records per transaction", "writers", "commits/s", "records/s", "Postgres CPU ms per record"):
        postgres.add_column(column, justify="right")
    for rate in result["postgres_baseline"]:
        postgres.add_row(
            str(rate["batch_size"]),
            str(rate["writers"]),
            f"{rate['commits_per_second']:,.0f}",
            f"{rate['rows_per_second']:,.0f}",
            f"{rate['postgres_cpu_ms_per_row']:.3f}",
        )
    parts: list[RenderableType] = [table, ratios, cpu, carry, postgres]
    if result["memory_growth"]:
        memory = Table(title="Resident memory (MiB) by program as orders pass through")
        memory.add_column("program")
        for reading in result["memory_growth"]:
            memory.add_column(f"after {reading['orders']:,} orders", justify="right")
        for program in result["memory_growth"][0]["resident_mib"]:
            memory.add_row(
                program, *(f"{reading['resident_mib'].get(program, 0.0):.0f}" for reading in result["memory_growth"])
            )
        parts.append(memory)
    return Group(*parts)


def render_scale_out(result: dict) -> Group:
    """The rehearsal's figures, one column per line-up: throughput and latency, CPU per order by service (and by
    each instance), and each consumer group's partitions per member; then what failed, if anything."""
    single, scaled = result["single"], result["scaled"]
    line_ups = ("one instance each", f"two instances each ({len(scaled['intakes'])} intakes)")
    figures = Table(
        title=f"{result['orders']} orders per round, median of {result['rounds']} rounds, "
        f"{result['kafka_brokers']} brokers, {result['partitions']} partitions per topic"
    )
    figures.add_column("pipeline (HTTP intake to orders.ratified)")
    for line_up in line_ups:
        figures.add_column(line_up, justify="right")
    for label, key, unit in (("orders/s", "per_second", ""), *((p, f"{p}_ms", " ms") for p in ("p50", "p95", "p99"))):
        figures.add_row(label, *(f"{line_up['pipeline'][key]:.1f}{unit}" for line_up in (single, scaled)))
    cpu = Table(title="CPU ms per order by program (idle CPU taken off); a service's instances summed, then each")
    cpu.add_column("program")
    for line_up in line_ups:
        cpu.add_column(line_up, justify="right")
    for program in scaled["cpu_ms_per_order"]:
        cpu.add_row(program, *(_ms(line_up["cpu_ms_per_order"].get(program)) for line_up in (single, scaled)))
        instances = [name for name in scaled["cpu_ms_per_order_by_program"] if service_of(name) == program]
        for instance in sorted(instances) if len(instances) > 1 else ():
            cpu.add_row(
                f"  {instance}",
                *(_ms(line_up["cpu_ms_per_order_by_program"].get(instance)) for line_up in (single, scaled)),
            )
    partitions = Table(title="partitions per member of each consumer group, as the brokers assign them")
    partitions.add_column("group")
    for line_up in line_ups:
        partitions.add_column(line_up, justify="right")
    for group in scaled["partitions_per_member"]:
        partitions.add_row(
            group, *(_members(line_up["partitions_per_member"].get(group, [])) for line_up in (single, scaled))
        )
    endings = ", ".join(f"{count:,} {ending}" for ending, count in sorted(result["endings"].items()))
    violations = sum(len(found) for found in result["invariants"]["violations"].values())
    checked = Text(
        f"invariants over {result['invariants']['orders_checked']:,} orders ({endings}): "
        + (f"{violations:,} violations" if violations else "none violated"),
        style="red" if violations else "green",
    )
    return Group(figures, cpu, partitions, checked)


def _ms(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def _members(counts: list[int]) -> str:
    return " + ".join(map(str, counts)) if counts else "rebalancing"
