"""`orderdesk`: run the local stack (up, down, status, logs, restart, stop, kill, pause, resume), the demo, the
benchmark, the scale-out rehearsal, the invariant checker and the chaos run; purge expired bookkeeping rows;
write a service's next migration; download the console's reports."""

import typer

from orderdesk_stack.cli import administration, generated_files, lifecycle, reports, runs

app = typer.Typer(
    help="The local OrderDesk stack: real Postgres and Kafka, every service, under supervisord.", no_args_is_help=True
)
# Each group's commands join the top level (no group name), listed in this order.
for group in (lifecycle, administration, runs, reports, generated_files):
    app.add_typer(group.commands)
