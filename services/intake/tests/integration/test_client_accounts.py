"""The desk's records of clients on the real schema: opened and numbered from the sequence as orders are stored,
reused by the client's next order, found by tax id and name."""

import asyncio

import pytest

from intake.domain.records import SubmittedOrder
from intake.handlers import submit_order
from intake.repository import ClientAccountRecords
from orderdesk_shared.billing_accounts import CSG, ICOMS, is_billing_account_number
from orderdesk_shared.events.order import Account, Address, ClientAccounts, OrderType, ProductOrder, ServiceLocation

from ..builders import NOW, SEED_RULES, generated_order

pytestmark = pytest.mark.integration

CHICAGO = Address(street="27 S Dearborn St Suite 7171", city="Chicago", state_or_province="IL", postcode="60603")
DETROIT = Address(street="306 W Fort St Suite 3920", city="Detroit", state_or_province="MI", postcode="48226")
CLIENT = Account(
    legal_name="Harbor Point Logistics LLC",
    tax_id="36-4829105",
    billing_address=Address(street="1500 W Fulton St", city="Chicago", state_or_province="IL", postcode="60607"),
)


def _new_order(order_id: str, *sites: Address, account: Account = CLIENT) -> ProductOrder:
    """A new order of the client, its items (as many as the sites given) at the sites."""
    order = generated_order(order_id)
    items = [
        item.model_copy(update={"location": ServiceLocation(address=site)})
        for item, site in zip(order.items, sites, strict=False)
    ]
    changes = {"account": account, "items": items, "external_id": f"OPP-{order_id}", "order_type": OrderType.NEW}
    return order.model_copy(update=changes)


async def _stored_accounts(database, order_id: str, *sites: Address) -> ClientAccounts:
    async with database.unit_of_work() as uow:
        new = await submit_order(SubmittedOrder(_new_order(order_id, *sites)), uow, rules=SEED_RULES, now=NOW)
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


async def test_a_new_client_opened_by_two_orders_at_once_is_opened_once(database):
    """The second transaction waits on the client the first recorded, then plans again and takes it as it is."""
    async with database.unit_of_work() as uow:
        order = _new_order("PO-1", CHICAGO)
        first = (await submit_order(SubmittedOrder(order), uow, rules=SEED_RULES, now=NOW)).order.accounts
        racing = asyncio.create_task(_stored_accounts(database, "PO-2", CHICAGO, DETROIT))
        await asyncio.sleep(0.5)
        assert not racing.done()
    second = await racing
    assert second.client_id == first.client_id
    assert second.service_accounts[0] == first.service_accounts[0].model_copy(update={"item_ids": ["1"]})
    async with database.engine.connect() as connection:
        [client] = await ClientAccountRecords(connection).search(tax_key="364829105", name_key=None)
        on_record = await ClientAccountRecords(connection).get(client.id)
    assert len(on_record.service_accounts) == 2 and len(on_record.billing_accounts) == 2


async def _submitted(database, order_id: str, account: Account):
    async with database.unit_of_work() as uow:
        return await submit_order(
            SubmittedOrder(_new_order(order_id, CHICAGO, account=account)), uow, rules=SEED_RULES, now=NOW
        )


async def test_namesakes_are_told_apart_by_tax_id_and_billing_address_however_many_share_the_name(database):
    """Many clients of one name, each with its own tax id elsewhere: a new one of that name opens its own client; one
    at a namesake's billing address with another tax id is held (a mistyped tax id?), and one without a tax id is
    held listing a few of them."""
    lakeshore = Account(legal_name="Lakeshore Freight LLC", billing_address=CHICAGO)
    namesakes = [
        lakeshore.model_copy(
            update={
                "tax_id": f"41-10000{n:02d}",
                "billing_address": DETROIT.model_copy(update={"street": f"{100 + n} W Fort St"}),
            }
        )
        for n in range(8)
    ]
    opened = [(await _submitted(database, f"PO-L{n}", account)).order.accounts for n, account in enumerate(namesakes)]
    assert len({accounts.client_id for accounts in opened}) == len(namesakes)

    mistyped = namesakes[3].model_copy(update={"tax_id": "41-9999999"})
    held = await _submitted(database, "PO-L-MISTYPED", mistyped)
    [finding] = held.status.findings
    assert (finding["reasonCode"], finding["fieldPath"]) == ("AMBIGUOUS_CLIENT", "account.taxId")
    assert f"at this billing address is client {opened[3].client_id} (tax id 41-1000003)" in finding["message"]

    unnamed = await _submitted(database, "PO-L-NO-TAX-ID", lakeshore)
    [finding] = unnamed.status.findings
    assert (finding["reasonCode"], finding["fieldPath"]) == ("AMBIGUOUS_CLIENT", "account.legalName")
    listed = sorted(accounts.client_id for accounts in opened)[:5]
    assert finding["message"] == (
        "more than one client is named Lakeshore Freight LLC: "
        + ", ".join(f"{client} (tax id 41-10000{opened_ids(opened).index(client):02d})" for client in listed)
        + ", and more"
    )


def opened_ids(opened: list[ClientAccounts]) -> list[str]:
    return [accounts.client_id for accounts in opened]
