"""`orderdesk profile`: flame graphs of every service program while the pipeline works, recorded with py-spy.

One SVG per service for a pipeline round (orders POSTed to intake and followed to orders.ratified), and one of
intake during a burst of POSTs with the rest of the stack running. py-spy samples each process from outside (it
needs ptrace: root, or CAP_SYS_PTRACE); it is in the dev dependency group.
"""

import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from orderdesk_stack.bench import INTAKE, pipeline, post_burst
from orderdesk_stack.order_generator import generate_orders
from orderdesk_stack.stack import Stack

# Samples a second: enough for a readable graph, little enough that py-spy's pauses barely slow the services.
SAMPLE_RATE = 100
STOP_TIMEOUT_SECONDS = 60.0


def py_spy() -> str:
    """The py-spy executable beside this Python (the dev dependency group), or on PATH."""
    beside = Path(sys.executable).with_name("py-spy")
    found = str(beside) if beside.is_file() else shutil.which("py-spy")
    if found is None:
        raise RuntimeError("py-spy is not installed: it is in the dev dependency group (`uv sync`)")
    return found


@contextmanager
def flame_graphs(pids: dict[str, int], outputs: dict[str, Path], *, rate: int = SAMPLE_RATE) -> Iterator[None]:
    """py-spy records each program (name: pid) to its SVG in `outputs` while the block runs."""
    recorders = [
        subprocess.Popen(
            # --gil: only samples holding the GIL, i.e. Python at work; without it the services' idle executor
            # threads, waiting on their queues, read as busy and fill most of each graph.
            [py_spy(), "record", "--gil", "--rate", str(rate), "--pid", str(pid), "--output", str(outputs[name])],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for name, pid in pids.items()
    ]
    try:
        yield
    finally:
        # py-spy writes its graph when interrupted, as after Ctrl-C.
        for recorder in recorders:
            recorder.send_signal(signal.SIGINT)
        failures = []
        for name, recorder in zip(pids, recorders, strict=True):
            _, errors = recorder.communicate(timeout=STOP_TIMEOUT_SECONDS)
            if not outputs[name].is_file():
                failures.append(f"{name}: {errors.decode(errors='replace').strip()[-500:]}")
        if failures:
            raise RuntimeError("py-spy wrote no flame graph for " + "; ".join(failures))


async def record_profiles(
    stack: Stack, *, orders: int, acceptance_orders: int, seed: int, timeout: float, directory: Path, rate: int
) -> list[Path]:
    """Flame graphs of every service during a pipeline round of `orders`, and of intake during a burst of
    `acceptance_orders` POSTs; the SVGs' paths."""
    directory.mkdir(parents=True, exist_ok=True)
    services = {service.name for service in stack.services}
    pids = {program.name: program.pid for program in stack.status() if program.name in services and program.pid}
    pipeline_graphs = {name: directory / f"pipeline-{name}.svg" for name in pids}
    # Warm the path first so start-up costs (connections, first imports) stay out of the graphs.
    await pipeline(stack, orders=10, seed=seed - 1, timeout=timeout)
    with flame_graphs(pids, pipeline_graphs, rate=rate):
        await pipeline(stack, orders=orders, seed=seed, timeout=timeout)
    burst_graph = {INTAKE: directory / "acceptance-intake.svg"}
    batch = generate_orders(acceptance_orders, seed=seed + 1000, invalid_share=0.0)
    with flame_graphs({INTAKE: pids[INTAKE]}, burst_graph, rate=rate):
        await post_burst(stack.service_url(INTAKE), batch, signer=stack.token_signer, name="intake acceptance")
    return [*pipeline_graphs.values(), *burst_graph.values()]
