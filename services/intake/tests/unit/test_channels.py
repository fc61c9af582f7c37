"""CRM and IVR samples become TMF622 requests and meet the documented validation outcome."""

import json
from datetime import date
from pathlib import Path

import pytest
from pydantic import ValidationError

from intake.channels import crm, ivr
from intake.channels.email import email_sender, parse_order_email
from intake.domain.validation import validate
from intake.tmf622 import ProductOrderCreate, spec_errors, to_canonical
from orderdesk_shared.events.channels import CrmOpportunitySubmitted, IvrCallReceived
from orderdesk_shared.events.order import OrderState

from ..builders import SEED_RULES

SAMPLES = Path(__file__).parents[1] / "samples"
EMAIL_SAMPLES = ("email_form_in_body.eml", "email_with_csv_form.eml", "email_with_xlsx_form.eml")


def _sample(name: str) -> dict:
    return json.loads((SAMPLES / name).read_text())


def _outcome(request: dict):
    order = to_canonical(ProductOrderCreate.model_validate(request), order_id="PO-1", submitted_by="crm")
    return validate(order, SEED_RULES, today=date(2026, 11, 28))


def test_a_new_logo_opportunity_is_a_complete_order():
    opportunity = CrmOpportunitySubmitted.model_validate(_sample("crm_opportunity_new_logo.json"))
    validation = _outcome(crm.to_order_request(opportunity))
    assert validation.findings == []
    order = validation.order
    assert (order.external_id, order.channel, order.account.legal_name) == (
        "0065e00000QxT9aAAF",
        "crm",
        "Lakeshore Dental Group LLC",
    )
    assert [(rep.rep_id, rep.split_percent) for rep in order.sales_reps] == [("rep-004", 70), ("rep-011", 30)]
    assert order.account.billing_address.street == "401 N MICHIGAN AVE STE 1200"
    assert opportunity.subject == "crm:0065e00000QxT9aAAF:v3"


def test_an_opportunity_for_an_unknown_product_is_rejected_with_that_finding():
    opportunity = CrmOpportunitySubmitted.model_validate(_sample("crm_opportunity_unknown_offering.json"))
    validation = _outcome(crm.to_order_request(opportunity))
    assert validation.state is OrderState.REJECTED
    assert [(f.reason_code, f.field_path) for f in validation.findings] == [
        ("UNKNOWN_OFFERING", "items[0].productOfferingId")
    ]


def test_an_ivr_disconnect_with_product_and_date_is_complete():
    call = IvrCallReceived.model_validate(_sample("ivr_call_disconnect.json"))
    validation = _outcome(ivr.to_order_request(call))
    assert validation.findings == []
    assert [(item.action, item.existing_product_id) for item in validation.order.items] == [("delete", "PRD-448812")]


def test_an_ivr_add_is_pending_until_the_desk_adds_a_rep_a_site_and_a_price():
    call = IvrCallReceived.model_validate(_sample("ivr_call_add_without_details.json"))
    validation = _outcome(ivr.to_order_request(call))
    assert validation.state is OrderState.PENDING
    assert {f.field_path for f in validation.findings} == {
        "salesReps",
        "agreement.termMonths",
        "contacts[primary].email",
        "items[0].location",
        "items[0].price.mrc",
    }


def test_an_ivr_menu_that_ends_elsewhere_is_refused_with_the_reason():
    call = _sample("ivr_call_disconnect.json") | {"menuPath": ["main", "billing", "balance"]}
    with pytest.raises(ValidationError, match="last menu step must be one of"):
        IvrCallReceived.model_validate(call)


def test_a_crm_opportunity_carries_its_promotions_its_ciac_and_a_transfer_s_new_owner():
    document = _sample("crm_opportunity_new_logo.json")
    document["lineItems"][1]["promotionCode"] = "VOICESWITCH"
    document["ciac"] = 20000
    order = _outcome(crm.to_order_request(CrmOpportunitySubmitted.model_validate(document))).order
    assert [item.promotion_code for item in order.items] == [None, "VOICESWITCH"]
    assert order.agreement.ciac == 20000

    transfer = document | {"orderType": "transfer", "transferTo": {"accountNumber": "ACC-10002"}}
    order = _outcome(crm.to_order_request(CrmOpportunitySubmitted.model_validate(transfer))).order
    assert order.transfer_to.id == "ACC-10002"


def test_an_ivr_add_carries_the_promotion_the_caller_read_out():
    call = IvrCallReceived.model_validate(
        _sample("ivr_call_add_without_details.json") | {"productCode": "HOSTED-VOICE", "promotionCode": "VOICESWITCH"}
    )
    [item] = _outcome(ivr.to_order_request(call)).order.items
    assert (item.product_offering_id, item.promotion_code) == ("HOSTED-VOICE", "VOICESWITCH")


def test_the_people_behind_channel_submissions_are_their_submitters():
    opportunity = CrmOpportunitySubmitted.model_validate(_sample("crm_opportunity_new_logo.json"))
    owner = max(opportunity.splits, key=lambda split: split.percent)
    call = IvrCallReceived.model_validate(_sample("ivr_call_disconnect.json"))
    mail = (SAMPLES / "email_form_in_body.eml").read_bytes()
    assert (crm.submitter(opportunity), ivr.submitter(call), email_sender(mail)) == (
        owner.rep_id,
        f"tel:{call.caller_number}",
        "daniel.reyes@telco.example",
    )
    assert crm.submitter(opportunity.model_copy(update={"splits": []})) is None


def _stored_document(request: dict) -> dict:
    """What intake stores of a channel's request, and reads back on GET."""
    return ProductOrderCreate.model_validate(request).model_dump(mode="json", exclude_none=True)


def test_every_channel_s_request_is_valid_under_the_published_tmf622():
    opportunity = _sample("crm_opportunity_new_logo.json")
    opportunity["lineItems"][0] |= {"promotionCode": "VOICESWITCH", "discountPercent": 5}
    opportunity["ciac"] = 20000
    requests = [
        crm.to_order_request(CrmOpportunitySubmitted.model_validate(opportunity)),
        ivr.to_order_request(
            IvrCallReceived.model_validate(
                _sample("ivr_call_add_without_details.json") | {"promotionCode": "VOICESWITCH"}
            )
        ),
        ivr.to_order_request(IvrCallReceived.model_validate(_sample("ivr_call_disconnect.json"))),
        *(parse_order_email((SAMPLES / name).read_bytes()).request for name in EMAIL_SAMPLES),
    ]
    for request in requests:
        assert spec_errors(_stored_document(request)) == [], request
