"""Who may call intake's routes, and what the routes take from FastAPI: the caller in a role, the database, the
rules in force."""

from typing import Annotated

from fastapi import Depends

from intake.domain.validation import IntakeRules
from orderdesk_shared.app import DatabaseDep
from orderdesk_shared.auth import Principal, Role, SignedIn, require_roles
from orderdesk_shared.context import ContextDep

SUBMITTERS = (Role.SALES_REP, Role.SPECIALIST)
Submitter = Annotated[Principal, Depends(require_roles(*SUBMITTERS))]
# Who may relay the CRM's account records: the CRM integration, and the desk's specialists.
AccountKeeper = Annotated[Principal, Depends(require_roles(Role.CRM_SYSTEM, Role.SPECIALIST))]
# The upstream systems sending orders through the channels, each with its own credential (never a person's token).
Crm = Annotated[Principal, Depends(require_roles(Role.CRM_SYSTEM))]
Ivr = Annotated[Principal, Depends(require_roles(Role.IVR_SYSTEM))]
MailGateway = Annotated[Principal, Depends(require_roles(Role.MAIL_GATEWAY))]
DeskSpecialist = Annotated[Principal, Depends(require_roles(Role.SPECIALIST))]
# Who looks clients up across accounts (their tax ids and contacts): the desk and the departments that serve clients;
# a sales rep sees the accounts of their own orders only.
ClientDirectoryReader = Annotated[
    Principal,
    Depends(
        require_roles(
            Role.SPECIALIST,
            Role.SALES_MANAGER,
            Role.SALES_DIRECTOR,
            Role.VP_SALES,
            Role.FINANCE,
            Role.OPERATIONS,
            Role.COMMISSION_ANALYST,
        )
    ),
]
Coach = Annotated[Principal, Depends(require_roles(Role.SPECIALIST, Role.SALES_MANAGER, Role.SALES_DIRECTOR))]
Reader = SignedIn
Db = DatabaseDep


async def loaded_rules(db: DatabaseDep, context: ContextDep) -> IntakeRules:
    """FastAPI dependency: the entry matrix and reference data, with the offerings of the catalogue in force."""
    return await context.rules.through(db)


Rules = Annotated[IntakeRules, Depends(loaded_rules)]
