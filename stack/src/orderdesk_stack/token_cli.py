"""`orderdesk-token`: mint a bearer token the local stack's services take, signed with the stack's own key.

For a person in some roles, or for an upstream system in its channel role (crm_system, ivr_system, mail_gateway).
"""

from datetime import timedelta
from typing import Annotated

import typer

from orderdesk_shared.auth import Role
from orderdesk_stack.stack import Stack

app = typer.Typer(add_completion=False, help=__doc__)


@app.command()
def mint(
    subject: Annotated[str, typer.Argument(help="who the token is for, e.g. a user id")],
    role: Annotated[list[Role], typer.Option("--role", "-r", help="a role; repeat for several")],
    hours: Annotated[float, typer.Option(help="lifetime in hours")] = 8.0,
    audience: Annotated[
        list[str] | None,
        typer.Option("--audience", "-a", help="e.g. orderdesk-intake; repeat; every service's if none"),
    ] = None,
) -> None:
    """Print an ES256 token signed with the key pair in the run dir (ORDERDESK_RUN_DIR, default .run)."""
    signer = Stack.from_env().token_signer
    typer.echo(signer.mint(subject, role, audience=audience or None, ttl=timedelta(hours=hours)))
