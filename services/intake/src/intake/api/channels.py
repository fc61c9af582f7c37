"""The channels over HTTP: CRM opportunities and accounts, IVR calls, order emails, Salesforce Outbound Messages."""

from fastapi import APIRouter, HTTPException, Request, Response, status

from intake.api.dependencies import AccountKeeper, Crm, Db, Ivr, MailGateway
from intake.api.stored_orders import order_resource, stored_or_404
from intake.channels import salesforce
from intake.handlers import (
    SourceConflict,
    UnreadableSubmission,
    accept_crm_opportunity,
    accept_ivr_call,
    accept_order_email,
    follow_crm_account,
)
from intake.rules_in_force import IntakeContext
from intake.settings import Settings
from intake.tmf622 import API_ROOT
from orderdesk_shared.context import ContextDep
from orderdesk_shared.db import Database
from orderdesk_shared.events.channels import CrmAccountUpdated, CrmOpportunitySubmitted, EmailReceived, IvrCallReceived

channels_router = APIRouter(prefix="/intake", tags=["channels"])
# A raw email carries its attachments: it may be larger than other bodies (the max_upload_bytes setting).
UPLOAD_PATHS = ("/intake/email",)


@channels_router.post("/crm/opportunities", status_code=status.HTTP_201_CREATED)
async def receive_crm_opportunity(
    opportunity: CrmOpportunitySubmitted, _: Crm, db: Db, context: ContextDep, response: Response
) -> dict:
    """A won CRM opportunity becomes an order (as on topic intake.crm.v1); a resend returns the same order."""
    return await _accept(accept_crm_opportunity, opportunity, db, context, response)


@channels_router.post("/crm/accounts")
async def receive_crm_account(record: CrmAccountUpdated, _: AccountKeeper, db: Db, context: ContextDep) -> dict:
    """The CRM's record of an account (as on topic intake.crm.v1): orders are checked against it from now on,
    unless the CRM has sent a later record of the account already."""
    async with db.unit_of_work() as uow:
        in_force = await follow_crm_account(record, uow, context)
    return {"accountNumber": record.account_number, "modifiedAt": record.modified_at, "inForce": in_force}


@channels_router.post("/ivr/calls", status_code=status.HTTP_201_CREATED)
async def receive_ivr_call(call: IvrCallReceived, _: Ivr, db: Db, context: ContextDep, response: Response) -> dict:
    """An IVR call record becomes an order (as on topic intake.ivr.v1); a resend returns the same order."""
    return await _accept(accept_ivr_call, call, db, context, response)


@channels_router.post(
    "/email",
    status_code=status.HTTP_201_CREATED,
    openapi_extra={"requestBody": {"content": {"message/rfc822": {"schema": {"type": "string"}}}, "required": True}},
)
async def receive_order_email(
    request: Request, _: MailGateway, db: Db, context: ContextDep, response: Response
) -> dict:
    """A raw RFC 5322 order email (as on topic intake.email.v1); a resend (same Message-ID) is the same order."""
    raw = await request.body()
    if not raw.strip():
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "the body must be an RFC 5322 message")
    email = EmailReceived(message=raw.decode("utf-8", errors="replace"))
    return await _accept(accept_order_email, email, db, context, response)


@channels_router.post("/crm/salesforce", response_class=Response)
async def receive_salesforce_outbound_message(request: Request, db: Db, context: ContextDep) -> Response:
    """A Salesforce Outbound Message: each notified Opportunity becomes an order; answers with the SOAP ack."""
    org_secrets = {org: secret.get_secret_value() for org, secret in _settings(request).salesforce_org_secrets.items()}
    sender = salesforce.authenticated_org(request.headers.get("Authorization"), org_secrets)
    if sender is None:
        return _salesforce_fault(
            "sign in with HTTP Basic: the org id as user name, its secret as password",
            status.HTTP_401_UNAUTHORIZED,
            headers={"WWW-Authenticate": 'Basic realm="salesforce"'},
        )
    try:
        organization_id, opportunities = salesforce.parse_outbound_message(await request.body())
    except salesforce.MalformedMessage as error:
        return _salesforce_fault(str(error), status.HTTP_400_BAD_REQUEST)
    if organization_id != sender:
        return _salesforce_fault(f"signed in as {sender}, the message is from {organization_id}", 403)
    try:
        async with db.unit_of_work() as uow:
            for opportunity in opportunities:
                await accept_crm_opportunity(opportunity, uow, context)
    except SourceConflict as conflict:
        return _salesforce_fault(str(conflict), status.HTTP_409_CONFLICT)
    return Response(salesforce.ACK, media_type=salesforce.CONTENT_TYPE)


def _salesforce_fault(reason: str, status_code: int, headers: dict[str, str] | None = None) -> Response:
    return Response(
        salesforce.fault(reason), status_code=status_code, media_type=salesforce.CONTENT_TYPE, headers=headers
    )


def _settings(request: Request) -> Settings:
    return request.app.state.runtime.settings


async def _accept(accept, submission, db: Database, context: IntakeContext, response: Response) -> dict:
    async with db.unit_of_work() as uow:
        emitted_before = len(uow.emitted)
        try:
            order_id = await accept(submission, uow, context)
        except UnreadableSubmission as error:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(error)) from error
        except SourceConflict as error:
            raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from error
        created = len(uow.emitted) > emitted_before
        stored = await stored_or_404(uow.orders, order_id)
    if not created:
        response.status_code = status.HTTP_200_OK
    response.headers["Location"] = f"{API_ROOT}/productOrder/{order_id}"
    return order_resource(stored)
