"""Operating the servers and their data: the invariant `check`, `provision`, a service's next `migration`, `purge`,
and Kafka logins (`kafka-login`, `kafka-principals`)."""

import asyncio
import dataclasses
import json
import shlex
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer
from rich.table import Table

from orderdesk_shared.db import DEFAULT_RETENTION, Retention
from orderdesk_stack.cli.common import console, or_exit, running_stack
from orderdesk_stack.invariants import check_invariants
from orderdesk_stack.kafka_access import ADMIN, principal_named, principals
from orderdesk_stack.migrations import write_next_migration
from orderdesk_stack.paths import repo_root
from orderdesk_stack.postgres_server import running_postgres
from orderdesk_stack.processes import server_home
from orderdesk_stack.purge import purge_services
from orderdesk_stack.services import SERVICES, service_named
from orderdesk_stack.stack import Stack

commands = typer.Typer()


@commands.command()
def check(
    orders_since: Annotated[
        str | None,
        typer.Option(help="only orders intake created from this ISO 8601 time on (UTC unless it says); default: all"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
    drain_timeout: Annotated[float, typer.Option(help="seconds to wait for lag and outbox backlog to drain")] = 60.0,
) -> None:
    """The invariant checker: every order ended or waits with a reason, no effect twice, states only moved forward,
    nothing left in flight. Exits 1 on any violation."""
    since = _instant(orders_since) if orders_since else None
    stack = running_stack()
    with console.status("draining, then reading every service and topic"):
        report = asyncio.run(check_invariants(stack, orders_since=since, drain_timeout=drain_timeout))
    if as_json:
        print(json.dumps({"ok": report.ok, **dataclasses.asdict(report)}, indent=2))
    else:
        console.print(report.render())
    if not report.ok:
        raise typer.Exit(1)


@commands.command()
def provision(
    kafka_acls: Annotated[
        bool,
        typer.Option(
            "--kafka-acls",
            help="Also grant each principal its ACLs (`kafka-principals`), logged in as the KAFKA_* super user.",
        ),
    ] = False,
    topics: Annotated[
        bool,
        typer.Option(
            help="Create the topics; --no-topics where an operator owns them (Strimzi's KafkaTopic resources).",
        ),
    ] = True,
) -> None:
    """Create roles, schemas, migrations and topics on the servers in DATABASE_URL and KAFKA_BOOTSTRAP_SERVERS."""
    stack = Stack.from_env()
    needs_kafka = topics or kafka_acls
    if not (stack.database_url and (stack.kafka_bootstrap_servers or not needs_kafka)):
        console.print(
            "[red]Set DATABASE_URL (a superuser URL) and KAFKA_BOOTSTRAP_SERVERS;"
            " `orderdesk up` provisions local servers itself.[/red]"
        )
        raise typer.Exit(2)
    with console.status("provisioning") as spinner:
        stack.provision(progress=spinner.update, grant_kafka_acls=kafka_acls, with_topics=topics)
    console.print("Provisioned.")


@commands.command()
def migration(
    service: Annotated[str, typer.Argument(help="the service whose tables.py changed, e.g. intake")],
    message: Annotated[str, typer.Argument(help="what the migration does; also its file name")],
) -> None:
    """Write SERVICE's next migration: what its tables.py holds beyond its migrations' head, as alembic's
    autogenerate finds it against a temporary Postgres. Read it before committing: renames and data are yours."""
    chosen = or_exit(lambda: service_named(service))
    with (
        console.status("migrating a temporary Postgres to head, comparing with the tables"),
        server_home("migration") as home,
        running_postgres(home) as admin_url,
    ):
        written = write_next_migration(chosen, message, admin_url=admin_url)
    console.print(f"Wrote {written.relative_to(repo_root())}")


@commands.command()
def purge(
    service: Annotated[
        str | None, typer.Option("--service", help="one service (default: every service)", show_default=False)
    ] = None,
    older_than: Annotated[
        float | None,
        typer.Option(
            "--older-than",
            help="days; rows older than this go from every table (default: each table's default retention)",
            min=0,
            show_default=False,
        ),
    ] = None,
) -> None:
    """Delete inbox, dead-letter and published outbox rows past their retention; print how many per table.

    The services' relays purge the same rows once a minute; this is for an operator who cannot wait, or wants
    a shorter retention once.
    """
    stack = Stack.from_env()
    if stack.database_url is None and not stack.is_up():
        console.print("Not running: `orderdesk up` first (or set DATABASE_URL to the servers to purge).")
        raise typer.Exit(3)
    services = [or_exit(lambda: service_named(service))] if service else list(SERVICES)
    age = None if older_than is None else timedelta(days=older_than)
    retention = DEFAULT_RETENTION if age is None else Retention(published_outbox=age, inbox=age, dead_letters=age)
    with console.status("purging"):
        deleted = asyncio.run(purge_services(stack.admin_database_url, services, retention))
    table = Table(title="Rows purged")
    for column in ("service", "table", "rows"):
        table.add_column(column, justify="right" if column == "rows" else "left")
    for service_name, by_table in deleted.items():
        for table_name, rows in by_table.items():
            table.add_row(service_name, table_name, str(rows))
    console.print(table)


@commands.command("kafka-login")
def kafka_login(
    principal: Annotated[str, typer.Argument(help="a service, crm, ivr, mail-gateway, operations or orderdesk-admin")],
    prefix: Annotated[str, typer.Option(help="the variables' prefix, e.g. INTAKE_KAFKA_ for a service")] = "KAFKA_",
) -> None:
    """Print `export` lines that log a Kafka client in to this stack as `principal`."""
    if principal != ADMIN:
        or_exit(lambda: principal_named(principal))
    for name, value in Stack.from_env().kafka_connection_for(principal).env(prefix).items():
        typer.echo(f"export {name}={shlex.quote(value)}")


@commands.command("kafka-principals")
def kafka_principals() -> None:
    """Every Kafka principal with the topics it writes and reads and its consumer groups, as JSON.

    What a platform's own users and ACLs (e.g. Strimzi KafkaUser manifests) are made from; a group ending in "-"
    is a prefix.
    """
    typer.echo(json.dumps([dataclasses.asdict(principal) for principal in principals()], indent=2))


def _instant(text: str) -> datetime:
    try:
        instant = datetime.fromisoformat(text)
    except ValueError as error:
        raise typer.BadParameter(f"{text!r} is not an ISO 8601 time, e.g. 2026-12-06T09:00:00Z") from error
    return instant if instant.tzinfo else instant.replace(tzinfo=UTC)
