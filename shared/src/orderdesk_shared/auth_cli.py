"""`orderdesk-token`: mint a local bearer token for a person in some roles."""

import os
from datetime import timedelta
from typing import Annotated

import typer

from orderdesk_shared.auth import LOCAL_DEVELOPMENT_SECRET, Role, mint_token

app = typer.Typer(add_completion=False, help=__doc__)


@app.command()
def mint(
    subject: Annotated[str, typer.Argument(help="who the token is for, e.g. a user id")],
    role: Annotated[list[Role], typer.Option("--role", "-r", help="a role; repeat for several")],
    hours: Annotated[float, typer.Option(help="lifetime in hours")] = 8.0,
) -> None:
    """Print a signed HS256 token (secret from ORDERDESK_JWT_SECRET, or the local default)."""
    secret = os.environ.get("ORDERDESK_JWT_SECRET") or LOCAL_DEVELOPMENT_SECRET
    typer.echo(mint_token(secret=secret, subject=subject, roles=role, ttl=timedelta(hours=hours)))
