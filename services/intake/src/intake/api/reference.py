"""Which reference data orders are checked against."""

from fastapi import APIRouter

from intake.api.dependencies import Reader, Rules
from intake.rules_in_force import ACCOUNT_KIND_PREFIX
from orderdesk_shared.context import ContextDep
from orderdesk_shared.reference import CATALOGUE, ROSTER

reference_router = APIRouter(prefix="/intake", tags=["reference data"])


@reference_router.get("/reference")
async def reference_in_use(_: Reader, rules: Rules, context: ContextDep) -> dict:
    """Which reference data orders are checked against: the versions announced by their owners, and the seed files."""
    versions = context.rules.versions
    return {
        "catalogueVersion": versions.get(CATALOGUE),
        "rosterVersion": versions.get(ROSTER),
        "accountsFromCrm": sum(kind.startswith(ACCOUNT_KIND_PREFIX) for kind in versions),
        "seedReferenceVersion": rules.reference.version,
        "offerings": sorted(offering.id for offering in rules.reference.offerings.values() if offering.active),
    }
