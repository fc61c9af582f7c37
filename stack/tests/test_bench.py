"""The bench's and the scale-out rehearsal's arithmetic, their reports and the profiler, without a stack."""

import subprocess
import sys
import time

from rich.console import Console

from orderdesk_stack.cli.bench_report import render_bench
from orderdesk_stack.cpu_use import without_idle
from orderdesk_stack.measurement import Measurement, measure, percentile
from orderdesk_stack.profiling import flame_graphs
from orderdesk_stack.scale_out import failings, service_of, spread


def test_idle_cpu_over_the_round_is_taken_off_each_program_and_never_below_zero() -> None:
    spent = {"intake": 3.0, "kafka": 0.5}
    idle = {"intake": 0.01, "kafka": 0.05}

    assert without_idle(spent, idle, seconds=20.0) == {"intake": 2.8, "kafka": 0.0}


def test_a_measurement_counts_records_per_second_from_first_sent_to_last_arrived() -> None:
    latencies = [n / 1000 for n in range(1, 101)]

    measured = measure("round", latencies, first_sent=10.0, last_arrived=12.0)

    assert measured.per_second == 50.0
    assert (measured.p50_ms, measured.p95_ms, measured.p99_ms) == (50.0, 95.0, 99.0)
    assert percentile([], 0.5) != percentile([], 0.5)  # NaN: no latencies, no percentile


def _round(name: str, per_second: float) -> dict:
    return vars(Measurement(name, 100, 1.0, per_second, 10.0, 20.0, 30.0))


def _result(*, memory_growth: list[dict]) -> dict:
    return {
        "rounds": 3,
        "orders": 500,
        "baseline_records": 10_000,
        "partitions": 6,
        "baseline": _round("bus baseline", 9000.0),
        "pipeline": _round("pipeline", 31.0),
        "open_loop": _round("open loop at 15.5 orders/s", 15.5),
        "intake_alone": _round("intake alone", 240.0),
        "http_baseline": _round("HTTP baseline", 2000.0),
        "intake_acceptance": _round("intake acceptance", 42.0),
        "console_dashboard": _round("console dashboard page", 10.0),
        "throughput_ratio_pipeline_to_baseline": 0.003,
        "throughput_ratio_intake_to_http_baseline": 0.021,
        "producer": {"linger_ms": 10, "max_batch_size": 262144, "compression_type": "lz4", "hop_max_records": 2000},
        "baseline_cpu_ms_per_record": {"kafka_ms_per_record": 0.05, "hops_ms_per_record": 0.4},
        "idle_cores": {"intake": 0.01, "kafka": 0.02, "total": 0.03},
        "cpu_ms_per_order": {"intake": 9.5, "kafka": 3.0, "total": 12.5},
        "cpu_ms_per_order_with_idle": {"intake": 10.0, "kafka": 4.0, "total": 14.0},
        "orders_per_second_the_cores_carry": 160.0,
        "intake_cpu_ms_per_post": 4.1,
        "intake_cpu_ms_per_post_relayed": 4.6,
        "resident_mib": {"intake": 140.0, "kafka": 400.0},
        "postgres_baseline": [
            {
                "batch_size": 1,
                "writers": 4,
                "commits_per_second": 900.0,
                "rows_per_second": 900.0,
                "postgres_cpu_ms_per_row": 0.8,
            },
            {
                "batch_size": 100,
                "writers": 4,
                "commits_per_second": 120.0,
                "rows_per_second": 12_000.0,
                "postgres_cpu_ms_per_row": 0.05,
            },
        ],
        "memory_growth": memory_growth,
    }


def _rendered(result: dict) -> str:
    console = Console(width=250, record=True)
    console.print(render_bench(result))
    return console.export_text()


def test_the_report_shows_every_figure_of_the_run() -> None:
    text = _rendered(_result(memory_growth=[]))

    for figure in (
        "open loop at 15.5 orders/s",
        "intake alone",
        "pipeline / bus baseline throughput: 0.003",
        "lz4 compression",
        "4.10 ms of intake's CPU per POST",
        "0.030 cores in all",
        "12.50",
        "12,000",
        "400",
    ):
        assert figure in text
    assert "as orders pass through" not in text


def test_the_report_shows_resident_memory_after_each_reading_of_the_memory_run() -> None:
    growth = [
        {"orders": 10_000, "resident_mib": {"intake": 141.0}},
        {"orders": 100_000, "resident_mib": {"intake": 143.0}},
    ]

    text = _rendered(_result(memory_growth=growth))

    assert "after 10,000 orders" in text
    assert "after 100,000 orders" in text
    assert "143" in text


def test_a_flame_graph_is_written_for_each_profiled_process(tmp_path) -> None:
    busy = subprocess.Popen([sys.executable, "-c", "while True: sum(range(1000))"])
    output = tmp_path / "busy.svg"
    try:
        with flame_graphs({"busy": busy.pid}, {"busy": output}, rate=50):
            time.sleep(2)
    finally:
        busy.kill()
        busy.wait()

    assert output.read_text().lstrip().startswith("<?xml")


def test_the_scale_out_rehearsal_fails_on_a_group_left_on_one_instance_or_an_invariant_broken() -> None:
    members = {"intake": [37, 36], "commission": [25], "console": [61, 0], "serviceability": []}

    not_spread = spread(members, instances=2)

    assert [line.split(":")[0] for line in not_spread] == ["commission", "console", "serviceability"]
    violations = {"lost": ["ord-1: nothing anywhere says why"], "duplicated": [], "moved backwards": []}
    assert failings({"not_spread": not_spread[:1], "invariants": {"violations": violations}}) == [
        "not spread: commission: partitions per member [25]",
        "1 lost",
    ]


def test_a_program_counts_toward_its_service_and_the_brokers_toward_none() -> None:
    assert [service_of(program) for program in ("intake", "intake-2", "pricing-approval-3", "kafka-1", "postgres")] == [
        "intake",
        "intake",
        "pricing-approval",
        None,
        None,
    ]
