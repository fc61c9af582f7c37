"""The scale-out rehearsal, small: a second instance of each service takes half its group's partitions, and every
order still goes through once."""

import asyncio
import json
from pathlib import Path

import pytest
from rich.console import Console

from orderdesk_stack.cli.bench_report import render_scale_out
from orderdesk_stack.scale_out import GROUPS, failings, run_scale_out, scale_out_stack
from orderdesk_stack.testing import infra_choice

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(infra_choice() != "local", reason="the rehearsal runs a local stack of its own"),
]

ORDERS = 20
# The rehearsal's own warm-up round.
WARM_UP_ORDERS = 10


@pytest.fixture
def stack(tmp_path: Path):
    stack = scale_out_stack(tmp_path / "run")
    yield stack
    stack.down()


async def test_two_instances_of_each_service_share_its_partitions_and_every_order_is_ratified_once(
    stack, tmp_path: Path
) -> None:
    await asyncio.to_thread(stack.up)

    result = await run_scale_out(
        stack, orders=ORDERS, rounds=1, seed=31, timeout=120.0, results_dir=tmp_path / "results", idle_seconds=1.0
    )

    single, scaled = (result[line_up]["partitions_per_member"] for line_up in ("single", "scaled"))
    assert {group: len(members) for group, members in single.items()} == dict.fromkeys(GROUPS, 1)
    assert {group: len(members) for group, members in scaled.items()} == dict.fromkeys(GROUPS, 2)
    assert all(min(members) > 0 for members in scaled.values()), scaled
    assert result["scaled"]["intakes"] == ["intake", "intake-2"]
    assert failings(result) == []
    assert result["invariants"]["orders_checked"] == WARM_UP_ORDERS + 2 * ORDERS
    assert {line_up: result[line_up]["pipeline"]["records"] for line_up in ("single", "scaled")} == {
        "single": ORDERS,
        "scaled": ORDERS,
    }
    assert json.loads(Path(result["file"]).read_text())["scaled"] == result["scaled"]
    console = Console(record=True, width=200)
    console.print(render_scale_out(result))
    shown = console.export_text()
    assert "one instance each" in shown
    assert "two instances each" in shown
    assert "intake-2" in shown
