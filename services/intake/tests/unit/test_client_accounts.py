"""The desk's records of clients, opened as valid orders are stored (on the in-memory unit of work): the client, a
service account per site and a billing account per billing system, reused by the client's later orders; a client
that could be either of two holds the order for the desk."""

from intake.domain.acceptance import assess
from intake.domain.records import SubmittedOrder
from intake.handlers import correct_order, store_new_orders, submit_order
from orderdesk_shared.billing_accounts import CSG, ICOMS, is_billing_account_number
from orderdesk_shared.events.fallout import FalloutKind, OrderFallout
from orderdesk_shared.events.intake import OrderValidated
from orderdesk_shared.events.order import Account, Address, OrderState, OrderType, ProductOrder, ServiceLocation
from orderdesk_shared.telemetry import Traced

from ..builders import NOW, SEED_RULES, generated_order

CHICAGO = Address(street="27 S Dearborn St Suite 7171", city="Chicago", state_or_province="IL", postcode="60603")
MILWAUKEE = Address(street="342 N Broadway Suite 2469", city="Milwaukee", state_or_province="WI", postcode="53202")
DETROIT = Address(street="306 W Fort St Suite 3920", city="Detroit", state_or_province="MI", postcode="48226")
BILLING = Address(street="1500 W Fulton St", city="Chicago", state_or_province="IL", postcode="60607")
NEW_CLIENT = Account(legal_name="Harbor Point Logistics LLC", tax_id="36-4829105", billing_address=BILLING)


def _order(order_id: str, *sites: Address, account: Account = NEW_CLIENT) -> ProductOrder:
    """A valid order of the account (new for a new client, else adding services), its items (as many as the sites
    given) at the sites."""
    order = generated_order(order_id)
    items = [
        item.model_copy(update={"location": ServiceLocation(address=site)})
        for item, site in zip(order.items, sites, strict=False)
    ]
    order_type = OrderType.ADD if account.id else OrderType.NEW
    changes = {"account": account, "items": items, "external_id": f"OPP-{order_id}", "order_type": order_type}
    return order.model_copy(update=changes)


async def _validated(uow, order: ProductOrder) -> OrderValidated:
    await submit_order(SubmittedOrder(order), uow, rules=SEED_RULES, now=NOW)
    [validated] = [event for event in uow.events if isinstance(event, OrderValidated) and event.order_id == order.id]
    return validated


async def test_a_new_clients_order_opens_the_client_a_service_account_per_site_and_a_billing_account_per_system(uow):
    validated = await _validated(uow, _order("PO-1", CHICAGO, DETROIT, CHICAGO))
    accounts = validated.order.accounts
    assert (accounts.client_id, accounts.legal_name, accounts.tax_id) == (
        "CL-000001",
        NEW_CLIENT.legal_name,
        "36-4829105",
    )
    sites = {account.site.state_or_province: account for account in accounts.service_accounts}
    assert sorted(sites) == ["IL", "MI"] and (sites["IL"].item_ids, sites["MI"].item_ids) == (["1", "3"], ["2"])
    assert sites["IL"].number != sites["MI"].number and sites["IL"].number.startswith("SA-")
    billing = {account.billing_system: account.number for account in accounts.billing_accounts}
    assert sorted(billing) == [CSG, ICOMS]
    assert is_billing_account_number(CSG, billing[CSG]) and is_billing_account_number(ICOMS, billing[ICOMS])
    stored = await uow.orders.get("PO-1")
    assert stored.order.accounts == accounts


async def test_the_clients_next_order_reuses_its_accounts_and_opens_one_for_a_new_site(uow):
    first = (await _validated(uow, _order("PO-1", CHICAGO))).order.accounts
    # The same client, its tax id typed without the dash: the same site keeps its account, a new one gets its own.
    again = NEW_CLIENT.model_copy(update={"tax_id": "364829105"})
    second = (await _validated(uow, _order("PO-2", CHICAGO, MILWAUKEE, account=again))).order.accounts
    assert second.client_id == first.client_id
    [chicago] = first.service_accounts
    assert second.service_accounts[0].number == chicago.number
    assert second.service_accounts[1].number not in (chicago.number, None)
    # Milwaukee bills on CSG too: the one CSG billing account serves both.
    assert second.billing_accounts == first.billing_accounts
    assert len(uow.accounts.clients) == 1


async def test_a_crm_account_is_its_own_client_and_a_new_client_with_its_tax_id_is_that_account(uow):
    crm = SEED_RULES.reference.accounts["ACC-10001"]
    by_id = (await _validated(uow, _order("PO-1", CHICAGO, account=Account(id="ACC-10001")))).order.accounts
    assert (by_id.client_id, by_id.legal_name, by_id.tax_id) == ("ACC-10001", crm.legal_name, crm.tax_id)
    by_tax_id = Account(legal_name="Lakeshore Freight", tax_id=crm.tax_id, billing_address=BILLING)
    again = (await _validated(uow, _order("PO-2", CHICAGO, account=by_tax_id))).order.accounts
    assert again.client_id == "ACC-10001" and again.billing_accounts == by_id.billing_accounts


async def test_the_same_name_at_the_same_billing_address_with_another_tax_id_is_held_for_the_desk(uow):
    await _validated(uow, _order("PO-1", CHICAGO))
    mistyped = NEW_CLIENT.model_copy(update={"tax_id": "36-4829150"})
    await submit_order(SubmittedOrder(_order("PO-2", DETROIT, account=mistyped)), uow, rules=SEED_RULES, now=NOW)
    stored = await uow.orders.get("PO-2")
    [finding] = stored.findings
    assert stored.state is OrderState.HELD and finding["reasonCode"] == "AMBIGUOUS_CLIENT"
    assert "CL-000001 (tax id 36-4829105)" in finding["message"] and "Correct the tax id" in finding["fix"]
    fallout = uow.events[-1]
    assert isinstance(fallout, OrderFallout) and (fallout.order_id, fallout.kind) == ("PO-2", FalloutKind.HELD)
    assert stored.order.accounts is None and len(uow.accounts.clients) == 1

    corrected = _order("PO-2", DETROIT)
    status = await correct_order(stored, SubmittedOrder(corrected), uow, rules=SEED_RULES, now=NOW, actor="dana")
    assert status.state is OrderState.IN_PROGRESS
    assert (await uow.orders.get("PO-2")).order.accounts.client_id == "CL-000001"


async def test_the_same_name_elsewhere_with_another_tax_id_is_another_client(uow):
    await _validated(uow, _order("PO-1", CHICAGO))
    elsewhere = NEW_CLIENT.model_copy(update={"tax_id": "83-1111111", "billing_address": DETROIT})
    other = (await _validated(uow, _order("PO-2", DETROIT, account=elsewhere))).order.accounts
    assert other.client_id == "CL-000004"  # serials 2 and 3 numbered the first client's accounts


async def test_a_name_two_clients_share_is_held_when_the_order_gives_no_tax_id(uow):
    await _validated(uow, _order("PO-1", CHICAGO))
    elsewhere = NEW_CLIENT.model_copy(update={"tax_id": "83-1111111", "billing_address": DETROIT})
    await _validated(uow, _order("PO-2", DETROIT, account=elsewhere))
    by_name = NEW_CLIENT.model_copy(update={"tax_id": None})
    await submit_order(SubmittedOrder(_order("PO-3", CHICAGO, account=by_name)), uow, rules=SEED_RULES, now=NOW)
    [finding] = (await uow.orders.get("PO-3")).findings
    assert (finding["reasonCode"], finding["fieldPath"]) == ("AMBIGUOUS_CLIENT", "account.legalName")
    assert "more than one client is named Harbor Point Logistics LLC: CL-" in finding["message"]


async def test_a_new_clients_two_orders_stored_together_open_it_and_its_site_once(uow):
    first, second = (
        Traced.here(assess(SubmittedOrder(order), SEED_RULES, now=NOW, installed=[]))
        for order in (_order("PO-1", CHICAGO), _order("PO-2", DETROIT, CHICAGO))
    )
    stored = await store_new_orders(uow, [first, second])
    one, other = (new.order.accounts for new in stored)
    assert one.client_id == other.client_id == "CL-000001" and len(uow.accounts.clients) == 1
    assert other.service_accounts[1].number == one.service_accounts[0].number
    assert [account.billing_system for account in other.billing_accounts] == [CSG, ICOMS]
