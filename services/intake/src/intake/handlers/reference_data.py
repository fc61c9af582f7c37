"""The reference data orders are checked against, as its owners announce it: the catalogue, the roster, the CRM's
accounts."""

from intake.domain.validation import IntakeRules
from intake.rules_in_force import IntakeContext, account_kind, account_version
from intake.unit_of_work import IntakeUnitOfWork
from orderdesk_shared.events.base import Fact
from orderdesk_shared.events.channels import CrmAccountUpdated
from orderdesk_shared.events.commission import RosterPublished
from orderdesk_shared.events.pricing_approval import CataloguePublished
from orderdesk_shared.logs import get_logger
from orderdesk_shared.reference import CATALOGUE, ROSTER, ReferenceBook

log = get_logger(__name__)


async def follow_catalogue(published: CataloguePublished, uow: IntakeUnitOfWork, context: IntakeContext) -> None:
    """Validate offerings against the catalogue pricing-approval announced, from now on."""
    await _keep_reference(uow, context.rules, CATALOGUE, published.version, published)


async def follow_roster(published: RosterPublished, uow: IntakeUnitOfWork, context: IntakeContext) -> None:
    """Check who sold an order against the roster commission announced, from now on."""
    await _keep_reference(uow, context.rules, ROSTER, published.version, published)


async def follow_crm_account(record: CrmAccountUpdated, uow: IntakeUnitOfWork, context: IntakeContext) -> bool:
    """Check orders against the account as the CRM now describes it. False when the CRM had changed the account
    again since this record (a record delivered late changes nothing)."""
    kind, version = account_kind(record.account_number), account_version(record.modified_at)
    document = record.model_dump(mode="json", by_alias=True)
    kept = await uow.reference.keep_if_later(context.rules, kind=kind, version=version, document=document)
    log.info(
        "account from the CRM" if kept else "older account record from the CRM ignored", kind=kind, version=version
    )
    return kept


async def _keep_reference(
    uow: IntakeUnitOfWork, rules: ReferenceBook[IntakeRules], kind: str, version: str, published: Fact
) -> None:
    document = published.model_dump(mode="json", by_alias=True)
    await uow.reference.keep(rules, kind=kind, version=version, document=document)
    log.info("reference data in force", kind=kind, version=version)
