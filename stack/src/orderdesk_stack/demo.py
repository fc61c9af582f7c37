"""The main job: start the stack, send a realistic stream of orders, show them flow, sum up."""

import asyncio
import time

from rich.console import Console
from rich.live import Live
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from orderdesk_shared.events.order import Stage
from orderdesk_stack.order_generator import generate_orders
from orderdesk_stack.pipeline import OrderSubmitter, PipelineWatcher, percentile
from orderdesk_stack.stack import Stack


async def run_demo(stack: Stack, *, orders: int, seed: int, timeout: float, console: Console) -> bool:
    """Submit `orders` generated orders and follow each to ratification, rejection, or a wait for people
    (held for a site survey, pending the rep's answer); True when all settled."""
    batch = generate_orders(orders, seed=seed, on_net_only=False)
    progress = Progress(
        TextColumn("{task.description:>12}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
    )
    submitted = progress.add_task("submitted", total=orders)
    stage_tasks = {stage: progress.add_task(stage.value, total=orders) for stage in Stage}
    stopped_task = progress.add_task("fell out", total=orders)
    waiting_task = progress.add_task("waiting", total=orders)

    async with (
        PipelineWatcher(stack.kafka_bootstrap) as watcher,
        OrderSubmitter(stack.service_url("intake"), jwt_secret=stack.jwt_secret) as submitter,
    ):
        started = time.monotonic()

        async def submit(order) -> str:
            order_id = await submitter.submit(order, watcher)
            progress.advance(submitted)
            return order_id

        with Live(progress, console=console, refresh_per_second=8):
            submission = asyncio.gather(*(submit(order) for order in batch))
            order_ids: list[str] = []
            while time.monotonic() - started < timeout:
                for stage, task in stage_tasks.items():
                    progress.update(task, completed=watcher.count_reached(stage))
                progress.update(stopped_task, completed=watcher.count_stopped())
                progress.update(waiting_task, completed=watcher.count_waiting())
                if submission.done():
                    order_ids = submission.result()
                    if watcher.settled(order_ids):
                        break
                await asyncio.sleep(0.25)
        elapsed = time.monotonic() - started
    if not submission.done():
        submission.cancel()
    settled = bool(order_ids) and watcher.settled(order_ids)
    console.print(_outcome_table(watcher, order_ids, elapsed))
    if watcher.fallout_reasons:
        console.print(
            "Fallout reasons: " + ", ".join(f"{code} x{n}" for code, n in watcher.fallout_reasons.most_common())
        )
    if not settled:
        console.print(f"[yellow]Not every order settled within {timeout:.0f} s; see `orderdesk logs`.[/yellow]")
    return settled


def _outcome_table(watcher: PipelineWatcher, order_ids: list[str], elapsed: float) -> Table:
    journeys = [watcher.journeys[order_id] for order_id in order_ids]
    table = Table(title=f"{len(journeys)} orders in {elapsed:.1f} s")
    for column in ("stage", "orders", "p50 since submission", "p95 since submission"):
        table.add_column(column, justify="right" if column != "stage" else "left")
    for stage in Stage:
        latencies = [j.reached[stage] - j.submitted_at for j in journeys if stage in j.reached]
        table.add_row(
            stage.value, str(len(latencies)), _ms(percentile(latencies, 0.5)), _ms(percentile(latencies, 0.95))
        )
    table.add_row("fell out", str(sum(1 for j in journeys if j.stopped)), "", "")
    table.add_row("waiting (held, pending)", str(sum(1 for j in journeys if j.waiting)), "", "")
    ratified = [j.reached[Stage.RATIFIED] for j in journeys if Stage.RATIFIED in j.reached]
    if ratified:
        first_submitted = min(j.submitted_at for j in journeys)
        table.caption = f"throughput: {len(ratified) / (max(ratified) - first_submitted):.1f} orders/s ratified"
    return table


def _ms(seconds: float) -> str:
    return "" if seconds != seconds else f"{seconds * 1000:.0f} ms"
