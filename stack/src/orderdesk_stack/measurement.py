"""A measurement of the bench: how many records in how long, and their latencies."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Measurement:
    name: str
    records: int
    seconds: float
    per_second: float
    p50_ms: float
    p95_ms: float
    p99_ms: float


def measure(name: str, latencies: list[float], *, first_sent: float, last_arrived: float) -> Measurement:
    seconds = last_arrived - first_sent
    return Measurement(
        name=name,
        records=len(latencies),
        seconds=round(seconds, 3),
        per_second=round(len(latencies) / seconds, 2),
        p50_ms=round(percentile(latencies, 0.50) * 1000, 1),
        p95_ms=round(percentile(latencies, 0.95) * 1000, 1),
        p99_ms=round(percentile(latencies, 0.99) * 1000, 1),
    )


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile of `values` (share in 0..1)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, round(share * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]
