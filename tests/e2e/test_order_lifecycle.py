"""Everything off the straight path but cancels, corrections and Operations' reports, on the running stack and
through the public APIs only: repeats and likely duplicates, disconnects naming only the product, promotions and
CIAC, proposals, coaching, transfers and moves."""

import copy
import json
import secrets
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from orderdesk_shared.auth import Role
from orderdesk_shared.events.fulfillment import OrderHandedOff
from orderdesk_shared.events.order import Account, Channel, OrderItem, OrderType, ProductOrder
from orderdesk_shared.product_catalogue import Promotion, load_catalogue
from orderdesk_stack.pipeline import PRODUCT_ORDER_PATH
from orderdesk_stack.testing import eventually
from pricing_approval.domain.pricing import quote_order
from pricing_approval.rules_in_force import load_rules
from pricing_approval.settings import CATALOGUE_DIRECTORY
from pricing_approval.settings import Settings as PricingSettings
from tests.conftest import bearer, records_for
from tests.e2e.order_journeys import (
    gigabit_internet_order,
    operations_report,
    order_of,
    until_state,
    waiting_for_the_director,
)
from tests.e2e.test_serviceability import NEAR_NET_ORDER

pytestmark = pytest.mark.e2e

SAMPLES = Path(__file__).parents[2] / "services" / "intake" / "tests" / "samples"


async def test_the_same_order_sent_twice_is_one_order_and_a_likely_duplicate_waits_for_a_specialist(
    stack, intake, people
):
    body = gigabit_internet_order(discount_percent=5, seed=1406)
    first = await intake.post(PRODUCT_ORDER_PATH, json=body, headers=people["rep"])
    again = await intake.post(PRODUCT_ORDER_PATH, json=body, headers=people["rep"])
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]

    changed = copy.deepcopy(body)
    changed["productOrderItem"][0]["itemTerm"][0]["duration"]["amount"] = 60
    conflict = await intake.post(PRODUCT_ORDER_PATH, json=changed, headers=people["rep"])
    assert conflict.status_code == 409
    assert first.json()["id"] in conflict.json()["detail"]

    keyed_again = await intake.post(
        PRODUCT_ORDER_PATH, json=body | {"externalId": f"{body['externalId']}-B"}, headers=people["rep"]
    )
    assert keyed_again.status_code == 201
    held = keyed_again.json()
    assert (held["state"], held["findings"][0]["reasonCode"]) == ("held", "DUPLICATE_ORDER")
    assert first.json()["id"] in held["findings"][0]["message"]

    release = {"note": "a second circuit for redundancy"}
    refused = await intake.post(f"/intake/duplicates/{held['id']}/release", json=release, headers=people["rep"])
    assert refused.status_code == 403
    released = await intake.post(f"/intake/duplicates/{held['id']}/release", json=release, headers=people["specialist"])
    assert released.status_code == 200, released.text
    await until_state(intake, held["id"], people["rep"], "inProgress", stage="ratified")
    listed = (
        await intake.get(PRODUCT_ORDER_PATH, params={"externalId": body["externalId"]}, headers=people["rep"])
    ).json()
    assert [order["id"] for order in listed] == [first.json()["id"]]


async def test_a_disconnect_naming_only_the_product_is_handed_off_with_its_site(stack, intake, services, people):
    # PRD-440170 is ACC-10005's hosted voice at its Fulton Market office (LOC-CHI-0005), on record in intake's seed.
    disconnect = {
        "externalId": f"DISC-{secrets.token_hex(4)}",
        "orderType": "disconnect",
        "requestedCompletionDate": "2027-02-01",
        "relatedParty": [{"role": "customer", "id": "ACC-10005"}, {"role": "salesRep", "id": "rep-002"}],
        "productOrderItem": [{"id": "1", "action": "delete", "product": {"id": "PRD-440170"}}],
    }
    created = await intake.post(PRODUCT_ORDER_PATH, json=disconnect, headers=people["rep"])
    assert created.status_code == 201, created.text
    [item] = created.json()["productOrderItem"]
    assert (item["productOffering"]["id"], item["product"]["place"][0]["id"]) == ("HOSTED-VOICE", "LOC-CHI-0005")
    order_id = created.json()["id"]
    await until_state(intake, order_id, people["rep"], "inProgress", stage="ratified")
    handoff = (
        await services["fulfillment-handoff"].get(f"/fulfillment/orders/{order_id}", headers=people["rep"])
    ).json()
    assert handoff["state"] == "handed-off"
    assert {line["market"] for line in handoff["billingLines"]} == {"CHI"}

    # The caller keys in only the product: its internet access at the same office (PRD-440153).
    call = json.loads((SAMPLES / "ivr_call_disconnect.json").read_text()) | {
        "callId": f"IVR-{secrets.token_hex(6)}",
        "existingProductId": "PRD-440153",
    }
    by_phone = await intake.post("/intake/ivr/calls", json=call, headers=people["ivr"])
    assert by_phone.status_code == 201, by_phone.text
    [item] = by_phone.json()["productOrderItem"]
    assert (item["productOffering"]["id"], by_phone.json()["state"]) == ("DIA-FIBER", "inProgress")


def _promotion_valid_today() -> tuple[Promotion, str, int]:
    """A promotion of the shipped catalogue a new order may use today: the code, an offering and a term it fits."""
    catalogue, today = load_catalogue(CATALOGUE_DIRECTORY), datetime.now(UTC).date()
    for promotion in catalogue.promotion:
        eligible = promotion.eligibility
        if not (promotion.valid_from <= today <= promotion.valid_to and promotion.mrc_discount_percent):
            continue
        if eligible.order_types and "new" not in eligible.order_types:
            continue
        for offering in catalogue.product_offering:
            if (eligible.families is None or offering.family in eligible.families) and (
                eligible.offerings is None or offering.id in eligible.offerings
            ):
                return promotion, offering.id, next(t for t in sorted(offering.terms) if t >= eligible.min_term_months)
    raise AssertionError("the shipped catalogue has no MRC promotion for new orders valid today: publish one")


def _list_mrc(offering_id: str, term: int) -> Decimal:
    order = ProductOrder(
        id="PRICE-CHECK",
        channel=Channel.API,
        order_type=OrderType.NEW,
        account=Account(),
        items=[OrderItem(id="1", product_offering_id=offering_id, item_term_months=term)],
    )
    [line] = quote_order(
        order, catalogue=load_catalogue(CATALOGUE_DIRECTORY), order_date=datetime.now(UTC).date()
    ).lines
    return line.list_mrc


async def test_a_promotion_code_lowers_the_price_the_discount_is_measured_from(stack, intake, services, people):
    """The same net price, 15% under list: a manager's approval without the code; within the rep's reach with it."""
    pricing = services["pricing-approval"]
    promotion, offering_id, term = _promotion_valid_today()
    net_mrc = (_list_mrc(offering_id, term) * Decimal("0.85")).quantize(Decimal("0.01"))
    body = gigabit_internet_order(discount_percent=15, seed=1407)
    [item] = body["productOrderItem"]
    item["productOffering"] = {"id": offering_id}
    item["product"]["productCharacteristic"] = []
    item["itemTerm"] = [{"duration": {"amount": term, "units": "month"}}]
    item["itemPrice"] = [
        {"priceType": "recurring", "price": {"dutyFreeAmount": {"unit": "USD", "value": float(net_mrc)}}}
    ]
    promoted_body = copy.deepcopy(body) | {"externalId": f"{body['externalId']}-PROMO"}
    # Another customer: the same order for the same one would be held as a likely duplicate.
    promoted_body["relatedParty"][0] |= {"taxId": "36-7700001", "name": "Promoted Customer LLC"}
    promoted_body["productOrderItem"][0]["itemPrice"][0]["priceAlteration"] = [
        {"priceType": "promotion", "name": promotion.code}
    ]
    quotes = {}
    for name, order in (("plain", body), ("promoted", promoted_body)):
        created = await intake.post(PRODUCT_ORDER_PATH, json=order, headers=people["rep"])
        assert created.status_code == 201, created.text
        order_id = created.json()["id"]

        async def quote(order_id=order_id):
            response = await pricing.get(f"/pricing/orders/{order_id}", headers=people["rep"])
            return response.json() if response.status_code == 200 else None

        quotes[name] = await eventually(quote, lambda found: found is not None)
    [plain], [promoted] = quotes["plain"]["pricing"]["items"], quotes["promoted"]["pricing"]["items"]
    assert promoted["promotionCode"] == promotion.code
    assert Decimal(promoted["promotedMrc"]) < Decimal(plain["promotedMrc"]) == Decimal(plain["listMrc"])
    assert [a["role"] for a in quotes["plain"]["approvals"]] == ["sales_manager"]
    assert (quotes["promoted"]["status"], quotes["promoted"]["approvals"]) == ("approved", [])


def _near_net_build(account: str, *, ciac: int | None) -> dict:
    """1 Gbps Internet at ACC-10003's near-net building, for `account`, at $1,500 a month for 36 months."""
    body = copy.deepcopy(NEAR_NET_ORDER) | {"externalId": f"OPP-BUILD-{secrets.token_hex(4)}"}
    body["relatedParty"][0] = {"role": "customer", "id": account}
    body["productOrderItem"][0]["itemPrice"][0]["price"]["dutyFreeAmount"]["value"] = 1500
    if ciac:
        body["orderTotalPrice"] = [{"name": "CIAC", "price": {"dutyFreeAmount": {"unit": "USD", "value": ciac}}}]
    return body


async def test_a_ciac_changes_the_capital_decision(stack, intake, services, people):
    """A 990 ft build ($59,550) against $900 of monthly contribution pays back in 66 months: rejected; with a
    $20,000 CIAC it pays back in 44 and waits for finance and the VP instead."""
    surveyor = bearer(stack, "sam", Role.OPERATIONS)
    outcomes = {}
    async with httpx.AsyncClient(base_url=stack.service_url("serviceability"), timeout=30.0) as serviceability:
        for account, ciac in (("ACC-10006", None), ("ACC-10007", 20000)):
            order_id = (
                await intake.post(PRODUCT_ORDER_PATH, json=_near_net_build(account, ciac=ciac), headers=people["rep"])
            ).json()["id"]
            await until_state(intake, order_id, people["rep"], "held")

            async def survey_of(order_id=order_id):
                surveys = (await serviceability.get("/serviceability/siteSurveys", headers=surveyor)).json()
                return [survey for survey in surveys if survey["orderId"] == order_id]

            [survey] = await eventually(survey_of, lambda found: len(found) == 1)
            completion = {"distanceToFiberFt": 990, "notes": "along the rail spur", "photos": []}
            done = await serviceability.post(
                f"/serviceability/siteSurveys/{survey['surveyId']}/completion", json=completion, headers=surveyor
            )
            assert done.status_code == 200, done.text
            outcomes[ciac] = await eventually(
                lambda order_id=order_id: order_of(intake, order_id, people["rep"]), lambda o: o["stage"] == "priced"
            )
    assert (outcomes[None]["state"], outcomes[None]["findings"][0]["reasonCode"]) == ("rejected", "CAPITAL_POLICY")
    assert outcomes[20000]["state"] == "pending"
    quote = (
        await services["pricing-approval"].get(f"/pricing/orders/{outcomes[20000]['id']}", headers=people["rep"])
    ).json()
    assert Decimal(quote["pricing"]["capital"]["ciac"]) == 20000
    assert {approval["role"] for approval in quote["approvals"]} == {"finance", "vp_sales"}


async def test_an_unsigned_order_waits_for_the_accepted_proposal_whose_date_commission_counts(
    stack, intake, services, people
):
    pricing = services["pricing-approval"]
    body = gigabit_internet_order(discount_percent=5, seed=1409)
    del body["agreement"][0]["signedDate"]
    order_id = (await intake.post(PRODUCT_ORDER_PATH, json=body, headers=people["rep"])).json()["id"]
    waiting = await until_state(intake, order_id, people["rep"], "pending", stage="priced")
    assert [finding["reasonCode"] for finding in waiting["findings"]] == ["AGREEMENT_UNSIGNED"]

    sent = await pricing.post(f"/pricing/orders/{order_id}/proposal/send", json={}, headers=people["rep"])
    assert (sent.status_code, sent.json()["state"]) == (200, "sent"), sent.text
    # The day where the desk signs.
    today = str(datetime.now(load_rules(PricingSettings.model_construct()).calendar.zone).date())
    stranger = await pricing.post(
        f"/pricing/orders/{order_id}/proposal/accept",
        json={"signedBy": "Someone Else", "signedOn": today},
        headers=people["rep"],
    )
    assert stranger.status_code == 422
    contact = next(party["name"] for party in body["relatedParty"] if party["role"] == "contact")
    accepted = await pricing.post(
        f"/pricing/orders/{order_id}/proposal/accept",
        json={"signedBy": contact, "signedOn": today},
        headers=people["rep"],
    )
    assert (accepted.status_code, accepted.json()["state"]) == (200, "accepted"), accepted.text

    await until_state(intake, order_id, people["rep"], "inProgress", stage="ratified")
    ratified = (await services["commission"].get(f"/commission/orders/{order_id}", headers=people["analyst"])).json()
    assert any(today in line and "signed" in line for line in ratified["explanation"]), ratified["explanation"]


async def test_coaching_credits_the_rep_named_on_the_order_whatever_the_channel_and_stage(
    stack, intake, services, people
):
    opportunity = json.loads((SAMPLES / "crm_opportunity_unknown_offering.json").read_text())
    opportunity["opportunityId"] = f"006{secrets.token_hex(6)}"
    named = {split["repId"] for split in opportunity["splits"]}
    path, since = "/intake/coaching/findings", {"since": (datetime.now(UTC) - timedelta(minutes=1)).isoformat()}

    async def counts():
        found = (await intake.get(path, params=since, headers=people["specialist"])).json()
        return {(row["rep"], row["channel"], row["reasonCode"]): row["count"] for row in found}

    created = await intake.post("/intake/crm/opportunities", json=opportunity, headers=people["crm"])
    assert created.status_code == 201, created.text
    credited = await eventually(counts, lambda found: any(key[2] == "UNKNOWN_OFFERING" for key in found))
    assert {rep for rep, channel, code in credited if code == "UNKNOWN_OFFERING"} == named
    assert "crm" not in {rep for rep, _, _ in credited}

    # A denial at pricing is the rep's to learn from too.
    pricing = services["pricing-approval"]
    order_id, request = await waiting_for_the_director(intake, pricing, people, seed=1410)
    denied = await pricing.post(
        f"/pricing/approvals/{request['id']}/deny",
        json={"comment": "too deep for a one-site deal"},
        headers=people["director"],
    )
    assert denied.status_code == 200, denied.text
    reps = {
        party["id"]
        for party in (await order_of(intake, order_id, people["rep"]))["relatedParty"]
        if party["role"] == "salesRep"
    }
    after = await eventually(counts, lambda found: any(key[2] == "PRICING_UNAPPROVED" for key in found))
    assert {rep for rep, _, code in after if code == "PRICING_UNAPPROVED"} >= reps


async def test_a_transfer_moves_the_product_to_its_new_owner_and_a_move_hands_off_its_paired_items(
    stack, intake, services, people
):
    signed = [{"id": "MSA-4410", "termMonths": 36, "signedDate": "2026-11-02"}]
    transfer = {
        "externalId": f"XFER-{secrets.token_hex(4)}",
        "orderType": "transfer",
        "requestedCompletionDate": "2027-02-01",
        "agreement": signed,
        "relatedParty": [
            {"role": "customer", "id": "ACC-10011"},
            {"role": "newOwner", "id": "ACC-10012"},
            {"role": "salesRep", "id": "rep-002"},
        ],
        # ACC-10011's managed Wi-Fi at 1000 N Water St, on record in intake's seed: named by its id only.
        "productOrderItem": [{"id": "1", "action": "modify", "product": {"id": "PRD-440340"}}],
    }
    created = await intake.post(PRODUCT_ORDER_PATH, json=transfer, headers=people["rep"])
    assert created.status_code == 201, created.text
    parties = {party["role"]: party["id"] for party in created.json()["relatedParty"]}
    assert (parties["customer"], parties["newOwner"]) == ("ACC-10011", "ACC-10012")
    order_id = created.json()["id"]
    await until_state(intake, order_id, people["rep"], "inProgress", stage="ratified")
    today = str(datetime.now(UTC).date())
    installed = await operations_report(
        services["fulfillment-handoff"], order_id, people["operations"], "installed", effectiveDate=today
    )
    assert installed.status_code == 202, installed.text

    async def owned_by_the_new_owner():
        products = (await intake.get("/intake/accounts/ACC-10012/products", headers=people["rep"])).json()
        return {product["id"]: product["state"] for product in products}

    await eventually(owned_by_the_new_owner, lambda owned: owned.get("PRD-440340") == "installed")

    move = {
        "externalId": f"MOVE-{secrets.token_hex(4)}",
        "orderType": "move",
        "requestedCompletionDate": "2027-02-01",
        "agreement": signed,
        "relatedParty": [{"role": "customer", "id": "ACC-10013"}, {"role": "salesRep", "id": "rep-002"}],
        "productOrderItem": [
            # ACC-10013's hosted voice leaves 333 N Broadway for a lit building downtown Chicago.
            {"id": "1", "action": "delete", "product": {"id": "PRD-440408"}},
            {
                "id": "2",
                "action": "add",
                "productOffering": {"id": "HOSTED-VOICE"},
                "product": {
                    "productCharacteristic": [{"name": "seats", "value": 25}],
                    "place": [
                        {
                            "role": "serviceLocation",
                            "streetNr": "233",
                            "streetName": "S Wacker Dr",
                            "city": "Chicago",
                            "stateOrProvince": "IL",
                            "postcode": "60606",
                        }
                    ],
                },
            },
        ],
    }
    created = await intake.post(PRODUCT_ORDER_PATH, json=move, headers=people["rep"])
    assert created.status_code == 201, created.text
    assert [item.get("productOrderItemRelationship") for item in created.json()["productOrderItem"]] == [
        [{"id": "2", "relationshipType": "movedWith"}],
        [{"id": "1", "relationshipType": "movedWith"}],
    ]
    order_id = created.json()["id"]
    await until_state(intake, order_id, people["rep"], "inProgress", stage="ratified")
    [record] = await records_for(stack.kafka_admin, OrderHandedOff.topic, order_id, count=1)
    handed_off = OrderHandedOff.model_validate_json(record.value)
    assert [(item.action, item.linked_item_id) for item in handed_off.order.items] == [("delete", "2"), ("add", "1")]
    assert handed_off.order.items[0].location.location_id == "LOC-MKE-0003"
