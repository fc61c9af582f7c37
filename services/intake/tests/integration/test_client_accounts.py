"""The desk's records of clients on the real schema: opened and numbered from the sequence as orders are stored,
reused by the client's next order, found by tax id and name."""

import pytest

from intake.domain.accounts import Client
from intake.domain.records import SubmittedOrder
from intake.handlers import submit_order
from intake.repository import ClientAccountRecords
from orderdesk_shared.billing_accounts import CSG, ICOMS, is_billing_account_number
from orderdesk_shared.events.order import Account, Address, OrderType, ServiceLocation

from ..builders import NOW, SEED_RULES, generated_order

pytestmark = pytest.mark.integration

CHICAGO = Address(street="27 S Dearborn St Suite 7171", city="Chicago", state_or_province="IL", postcode="60603")
DETROIT = Address(street="306 W Fort St Suite 3920", city="Detroit", state_or_province="MI", postcode="48226")
CLIENT = Account(
    legal_name="Harbor Point Logistics LLC",
    tax_id="36-4829105",
    billing_address=Address(street="1500 W Fulton St", city="Chicago", state_or_province="IL", postcode="60607"),
)


async def _stored_accounts(database, order_id: str, *sites: Address):
    order = generated_order(order_id)
    items = [
        item.model_copy(update={"location": ServiceLocation(address=site)})
        for item, site in zip(order.items, sites, strict=False)
    ]
    changes = {"account": CLIENT, "items": items, "external_id": f"OPP-{order_id}", "order_type": OrderType.NEW}
    async with database.unit_of_work() as uow:
        new = await submit_order(SubmittedOrder(order.model_copy(update=changes)), uow, rules=SEED_RULES, now=NOW)
    return new.order.accounts


async def test_a_clients_orders_open_its_accounts_once_and_the_desk_finds_them(database):
    first = await _stored_accounts(database, "PO-1", CHICAGO, DETROIT)
    second = await _stored_accounts(database, "PO-2", DETROIT)
    billing = {account.billing_system: account.number for account in first.billing_accounts}
    assert is_billing_account_number(CSG, billing[CSG]) and is_billing_account_number(ICOMS, billing[ICOMS])
    assert second.client_id == first.client_id and second.service_accounts[0].number == first.service_accounts[1].number
    assert second.billing_accounts == [account for account in first.billing_accounts if account.billing_system == ICOMS]

    async with database.engine.connect() as connection:
        records = ClientAccountRecords(connection)
        [found] = await records.search(tax_key="364829105", name_key=None)
        assert [client.id for client in await records.search(tax_key=None, name_key="POINT LOGISTICS")] == [found.id]
        on_record = await records.get(found.id)
    # As validation normalized them.
    assert [address.street for address in on_record.client.addresses] == ["1500 W FULTON ST"]
    assert [account.site.city for account in on_record.service_accounts] == ["CHICAGO", "DETROIT"]
    assert {account.number for account in on_record.billing_accounts} == set(billing.values())


async def test_a_client_added_twice_is_kept_once(database):
    by_tax_id = Client("", "Northwind Foods LLC", "41-1917602")
    by_name = Client("", "Pioneer Title LLC")
    async with database.unit_of_work() as uow:
        kept = [await uow.accounts.add_client(client) for client in (by_tax_id, by_name, by_tax_id, by_name)]
    assert kept[0] == kept[2] and kept[1] == kept[3] and kept[0].id != kept[1].id
