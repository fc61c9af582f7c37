"""The desk's records of clients on the running stack: a new client's order in a CSG market and another's in an
ICOMS market are handed off with a billing account in each system's format and a service account per site; the
first client's next order reuses its accounts."""

import copy
import secrets

import pytest

from orderdesk_shared.billing_accounts import CSG, ICOMS, is_billing_account_number
from orderdesk_shared.events.fulfillment import OrderHandedOff
from orderdesk_stack.pipeline import PRODUCT_ORDER_PATH
from orderdesk_stack.testing import eventually
from tests.conftest import first_record_for

from .order_journeys import gigabit_internet_order, order_of

pytestmark = pytest.mark.e2e

# Lit buildings of the seed inventory: Chicago bills on CSG, Columbus on ICOMS (shared/policies/markets.v1.toml).
CHICAGO = {"role": "serviceLocation", "streetNr": "222", "streetName": "W Adams St Suite 810", "city": "Chicago",
           "stateOrProvince": "IL", "postcode": "60606"}  # fmt: skip
COLUMBUS = {"role": "serviceLocation", "streetNr": "41", "streetName": "S High St Suite 2200", "city": "Columbus",
            "stateOrProvince": "OH", "postcode": "43215"}  # fmt: skip


def _new_client() -> dict:
    """A client new to the desk: a legal name and tax id of the test's own."""
    return {
        "name": f"Test Client {secrets.token_hex(3).upper()} LLC",
        "taxId": f"9{secrets.randbelow(10)}-{secrets.randbelow(10**7):07d}",
    }


def _order(client: dict, *places: dict, seed: int) -> dict:
    """1 Gbps Internet at 5% off list for the client, an item at each place."""
    body = gigabit_internet_order(discount_percent=5, seed=seed)
    [customer] = [party for party in body["relatedParty"] if party["role"] == "customer"]
    customer |= client
    [item] = body["productOrderItem"]
    body["productOrderItem"] = [
        copy.deepcopy(item) | {"id": str(n), "product": item["product"] | {"place": [place]}}
        for n, place in enumerate(places, start=1)
    ]
    return body


async def _handed_off(stack, intake, people, body: dict) -> OrderHandedOff:
    """The hand-off package Operations reads of the order, once intake says it was handed off."""
    created = await intake.post(PRODUCT_ORDER_PATH, json=body, headers=people["rep"])
    assert created.status_code == 201, created.text
    order_id = created.json()["id"]
    await eventually(
        lambda: order_of(intake, order_id, people["rep"]),
        lambda order: order["stage"] in ("handed-off", "ratified"),
        what=f"{order_id} to be handed off",
        timeout=90.0,
    )
    return OrderHandedOff.model_validate_json(
        (await first_record_for(stack.kafka_admin, "orders.handed-off", order_id)).value
    )


def _billing_accounts(package: OrderHandedOff) -> dict[str, str]:
    """The order's billing accounts by system; each billing line is billed on the one of its system."""
    accounts = {account.billing_system: account.number for account in package.order.accounts.billing_accounts}
    assert {(line.billing_system, line.billing_account) for line in package.billing_lines} <= set(accounts.items())
    return accounts


async def test_new_clients_are_handed_off_with_their_accounts_and_a_clients_next_order_reuses_them(
    stack, intake, people
):
    first_client, second_client = _new_client(), _new_client()
    in_chicago = await _handed_off(stack, intake, people, _order(first_client, CHICAGO, seed=7))
    in_columbus = await _handed_off(stack, intake, people, _order(second_client, COLUMBUS, seed=7))

    csg = _billing_accounts(in_chicago)
    assert list(csg) == [CSG] and is_billing_account_number(CSG, csg[CSG])
    icoms = _billing_accounts(in_columbus)
    assert list(icoms) == [ICOMS] and is_billing_account_number(ICOMS, icoms[ICOMS])
    [chicago_site] = in_chicago.order.accounts.service_accounts
    [columbus_site] = in_columbus.order.accounts.service_accounts
    assert (chicago_site.site.city, chicago_site.item_ids, columbus_site.site.city) == ("CHICAGO", ["1"], "COLUMBUS")
    assert in_chicago.order.accounts.client_id != in_columbus.order.accounts.client_id

    # The first client again, at its Chicago site and a new one in Columbus.
    again = await _handed_off(stack, intake, people, _order(first_client, CHICAGO, COLUMBUS, seed=7))
    accounts = again.order.accounts
    assert accounts.client_id == in_chicago.order.accounts.client_id
    chicago_again, columbus_new = accounts.service_accounts
    assert chicago_again.number == chicago_site.number and columbus_new.number not in (
        chicago_site.number,
        columbus_site.number,
    )
    both = _billing_accounts(again)
    assert both[CSG] == csg[CSG] and is_billing_account_number(ICOMS, both[ICOMS]) and both[ICOMS] != icoms[ICOMS]

    # What the desk and the console look up: one client with the tax id, with every account it has.
    [found] = (
        await intake.get("/intake/accounts", params={"taxId": first_client["taxId"]}, headers=people["specialist"])
    ).json()
    client = (await intake.get(f"/intake/accounts/{found['id']}", headers=people["specialist"])).json()
    assert (client["id"], client["legalName"]) == (accounts.client_id, first_client["name"])
    assert sorted(account["number"] for account in client["serviceAccounts"]) == sorted(
        [chicago_site.number, columbus_new.number]
    )
    assert {account["billingSystem"]: account["number"] for account in client["billingAccounts"]} == both
    of_order = await intake.get(f"/intake/orders/{again.order_id}/accounts", headers=people["rep"])
    assert of_order.json() == accounts.model_dump(mode="json", by_alias=True, exclude_none=True)
    # A rep sees the accounts of their own orders, not the desk's directory of clients (tax ids, contacts).
    for directory in ("/intake/accounts", f"/intake/accounts/{found['id']}"):
        refused = await intake.get(directory, params={"taxId": first_client["taxId"]}, headers=people["rep"])
        assert refused.status_code == 403, refused.text
