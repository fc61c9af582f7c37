"""The main job: start the stack, send a realistic stream of orders, let the desk and Operations work on them, show
them flow to an end, and check that TMF622 and the console tell the same story of every order."""

import asyncio
import time
from collections import Counter
from datetime import UTC, datetime

import httpx
from rich.console import Console
from rich.live import Live
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from orderdesk_shared.auth import Role
from orderdesk_shared.events.order import OrderState, Stage
from orderdesk_stack.desk import DeskAtWork, People
from orderdesk_stack.measurement import percentile
from orderdesk_stack.order_generator import generate_orders
from orderdesk_stack.pipeline import PRODUCT_ORDER_PATH, PipelineWatcher
from orderdesk_stack.stack import Stack

# Where an order rests when nobody means to act on it any more: ended, or waiting for the desk with a reason.
ENDED = (OrderState.COMPLETED, OrderState.PARTIAL, OrderState.CANCELLED, OrderState.REJECTED)
WAITING = (OrderState.HELD, OrderState.PENDING, OrderState.FAILED)
# Orders with a discount a manager decides, and sites in Grand Rapids (where billing may lack codes).
APPROVAL_SHARE, GRAND_RAPIDS_SHARE = 0.1, 0.05


async def run_demo(stack: Stack, *, orders: int, seed: int, timeout: float, console: Console) -> bool:
    """Submit `orders` generated orders; the desk corrects, cancels, resends and duplicates some, Operations installs,
    fails, reschedules and stops others, the back office decides approvals, completes surveys and adds billing
    codes; follow every order until it ends or waits for people. True when every order settled and TMF622 and the
    console agree on each."""
    batch = generate_orders(
        orders, seed=seed, on_net_only=False, approval_share=APPROVAL_SHARE, grand_rapids_share=GRAND_RAPIDS_SHARE
    )
    people = People(stack.token_signer)
    progress = Progress(
        TextColumn("{task.description:>12}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
    )
    submitted_task = progress.add_task("submitted", total=orders)
    stage_tasks = {stage: progress.add_task(stage.value, total=orders) for stage in Stage}
    state_tasks = {
        label: progress.add_task(label, total=orders) for label in ("completed", "cancelled", "failed", "waiting")
    }
    started_at = datetime.now(UTC)
    async with (
        PipelineWatcher(stack.kafka_admin) as watcher,
        DeskAtWork(stack, people, watcher) as work,
        httpx.AsyncClient(base_url=stack.service_url("console"), timeout=30.0) as console_api,
    ):
        work.on_submitted = lambda order_id: progress.advance(submitted_task)
        order_ids = work.order_ids
        specialist = people.headers("dana", Role.SPECIALIST)
        clock = time.monotonic()
        states: dict[str, OrderState] = {}
        with Live(progress, console=console, refresh_per_second=8):
            submission = asyncio.ensure_future(work.send(batch))
            while time.monotonic() - clock < timeout:
                states = await order_states(work.intake, specialist, since=started_at)
                _show(progress, stage_tasks, state_tasks, watcher, states, total=len(order_ids))
                if submission.done() and await settled(work, states):
                    break
                await asyncio.sleep(1.0)
        elapsed = time.monotonic() - clock
        if not submission.done():
            submission.cancel()
        all_settled = submission.done() and await settled(work, states)
        agreed, disagreements = await _console_agrees(console_api, specialist, order_ids, states)
    console.print(_stage_table(watcher, order_ids, elapsed))
    console.print(_state_table(order_ids, states))
    console.print(_people_table(people))
    if watcher.fallout_reasons:
        console.print(
            "Fallout reasons: " + ", ".join(f"{code} x{n}" for code, n in watcher.fallout_reasons.most_common())
        )
    console.print(f"TMF622 and the console agree on {agreed} of {len(order_ids)} orders.")
    for order_id, (tmf, shown) in list(disagreements.items())[:10]:
        console.print(f"  [red]{order_id}: TMF622 says {tmf}, the console {shown}[/red]")
    if not all_settled:
        console.print(f"[yellow]Not every order settled within {timeout:.0f} s; see `orderdesk logs`.[/yellow]")
    return all_settled and not disagreements


async def order_states(intake: httpx.AsyncClient, headers: dict, *, since: datetime) -> dict[str, OrderState]:
    """Every order intake received since `since`, with its TMF622 state."""
    states: dict[str, OrderState] = {}
    offset = 0
    while True:
        response = await intake.get(
            PRODUCT_ORDER_PATH,
            params={"orderDate.gte": since.isoformat(), "limit": 500, "offset": offset},
            headers=headers,
        )
        response.raise_for_status()
        page = response.json()
        states |= {order["id"]: OrderState(order["state"]) for order in page}
        offset += len(page)
        if offset >= int(response.headers["X-Total-Count"]) or not page:
            return states


async def settled(work: DeskAtWork, states: dict[str, OrderState]) -> bool:
    """Every order ended or waits for the desk, and nobody means to act on any of them any more."""
    return all(states.get(order_id) in (*ENDED, *WAITING) for order_id in work.order_ids) and (
        await work.nobody_means_to_act()
    )


def _show(progress: Progress, stage_tasks: dict, state_tasks: dict, watcher, states: dict, *, total: int) -> None:
    for stage, task in stage_tasks.items():
        progress.update(task, completed=watcher.count_reached(stage), total=total)
    counted = Counter(states.values())
    shown = {
        "completed": counted[OrderState.COMPLETED] + counted[OrderState.PARTIAL],
        "cancelled": counted[OrderState.CANCELLED],
        "failed": counted[OrderState.FAILED],
        "waiting": counted[OrderState.HELD] + counted[OrderState.PENDING] + counted[OrderState.REJECTED],
    }
    for label, task in state_tasks.items():
        progress.update(task, completed=shown[label], total=total)


async def _console_agrees(
    console_api: httpx.AsyncClient, headers: dict, order_ids: list[str], states: dict[str, OrderState]
) -> tuple[int, dict[str, tuple[str, str]]]:
    """How many orders the console shows in the state TMF622 gives, and those it does not (after a grace period for
    the console to read the last events)."""
    slots = asyncio.Semaphore(16)

    async def shown(order_id: str) -> str:
        async with slots:
            response = await console_api.get(f"/console/orders/{order_id}", headers=headers)
        return response.json().get("state", "(not in the console)") if response.status_code == 200 else "(absent)"

    deadline = time.monotonic() + 15
    while True:
        seen = dict(zip(order_ids, await asyncio.gather(*(shown(order_id) for order_id in order_ids)), strict=True))
        disagreements = {
            order_id: (str(states.get(order_id)), seen[order_id])
            for order_id in order_ids
            if seen[order_id] != str(states.get(order_id))
        }
        if not disagreements or time.monotonic() > deadline:
            return len(order_ids) - len(disagreements), disagreements
        await asyncio.sleep(1.0)


def _stage_table(watcher: PipelineWatcher, order_ids: list[str], elapsed: float) -> Table:
    journeys = [watcher.journeys[order_id] for order_id in order_ids if order_id in watcher.journeys]
    table = Table(title=f"{len(order_ids)} orders in {elapsed:.1f} s")
    for column in ("stage", "orders", "p50 since submission", "p95 since submission"):
        table.add_column(column, justify="right" if column != "stage" else "left")
    for stage in Stage:
        latencies = [j.reached[stage] - j.submitted_at for j in journeys if stage in j.reached]
        table.add_row(
            stage.value, str(len(latencies)), _ms(percentile(latencies, 0.5)), _ms(percentile(latencies, 0.95))
        )
    ratified = [j.reached[Stage.RATIFIED] for j in journeys if Stage.RATIFIED in j.reached]
    if ratified:
        first_submitted = min(j.submitted_at for j in journeys)
        table.caption = f"throughput: {len(ratified) / (max(ratified) - first_submitted):.1f} orders/s ratified"
    return table


def _state_table(order_ids: list[str], states: dict[str, OrderState]) -> Table:
    counted = Counter(states.get(order_id) for order_id in order_ids)
    table = Table(title="Where the orders ended (TMF622 state)")
    table.add_column("state")
    table.add_column("orders", justify="right")
    table.add_column("meaning")
    meanings = {
        OrderState.COMPLETED: "installed by Operations",
        OrderState.PARTIAL: "some items installed, the others cancelled",
        OrderState.CANCELLED: "cancelled, before or after the hand-off",
        OrderState.REJECTED: "stopped for a wrong value: the rep corrects or cancels it",
        OrderState.FAILED: "the installation failed: the desk agrees the next step with Operations",
        OrderState.HELD: "held: a site survey, billing codes or a likely duplicate",
        OrderState.PENDING: "pending: information or a decision (an alternate bandwidth, an approval)",
    }
    for state, count in sorted(counted.items(), key=lambda pair: -pair[1]):
        table.add_row(str(state), str(count), meanings.get(state, "still in progress") if state else "not found")
    return table


def _people_table(people: People) -> Table:
    table = Table(title="What the desk and Operations did")
    table.add_column("action")
    table.add_column("times", justify="right")
    for action, count in sorted(people.done.items()):
        table.add_row(action, str(count))
    return table


def _ms(seconds: float) -> str:
    return "" if seconds != seconds else f"{seconds * 1000:.0f} ms"
