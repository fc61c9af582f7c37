"""Files generated from the code: the event catalogue (`events snapshot`, `events catalogue`) and the Kubernetes
`manifests`."""

import typer

from orderdesk_stack.asyncapi import write_asyncapi
from orderdesk_stack.catalogue import write_catalogue, write_snapshots
from orderdesk_stack.cli.common import console
from orderdesk_stack.manifests import write_manifests
from orderdesk_stack.paths import repo_root

commands = typer.Typer()
events = typer.Typer(help="The event catalogue: schema snapshots, the generated catalogue and AsyncAPI document.")
commands.add_typer(events, name="events")


@events.command("snapshot")
def events_snapshot() -> None:
    """Rewrite the committed JSON-Schema snapshots from the event models (after an additive change)."""
    for path in write_snapshots():
        console.print(f"wrote {path.relative_to(repo_root())}")


@events.command("catalogue")
def events_catalogue() -> None:
    """Regenerate docs/events.md and the AsyncAPI document from the event models and the services' subscriptions."""
    for path in (write_catalogue(), write_asyncapi()):
        console.print(f"wrote {path.relative_to(repo_root())}")


@commands.command()
def manifests() -> None:
    """Regenerate deploy/kubernetes's base (the services, hardened, one shape for all) and production overlay (the
    operators' Kafka, topics, users, Postgres, autoscaling) from the services and the event catalogue."""
    for path in write_manifests():
        console.print(f"wrote {path.relative_to(repo_root())}")
