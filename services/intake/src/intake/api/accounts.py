"""The desk's records of clients, as the desk and the console look them up: a client with its service accounts per
site and billing accounts per billing system, and the accounts an order carries."""

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from intake.api.dependencies import ClientDirectoryReader, Db, Reader
from intake.api.stored_orders import stored_or_404
from intake.domain.accounts import Client, ClientOnRecord
from intake.domain.client_keys import name_key, tax_key
from intake.repository import ClientAccountRecords, Orders

accounts_router = APIRouter(prefix="/intake", tags=["the desk"])


@accounts_router.get("/accounts")
async def find_clients(
    _: ClientDirectoryReader,
    db: Db,
    tax_id: Annotated[str | None, Query(alias="taxId", max_length=40)] = None,
    name: Annotated[str | None, Query(max_length=200)] = None,
) -> list[dict]:
    """The clients with the tax id (any punctuation), and those whose legal name contains the words given."""
    async with db.engine.connect() as connection:
        found = await ClientAccountRecords(connection).search(
            tax_key=tax_key(tax_id), name_key=name_key(name) if name else None
        )
    return [_client(client) for client in found]


@accounts_router.get("/accounts/{client_id}")
async def client_accounts(client_id: str, _: ClientDirectoryReader, db: Db) -> dict:
    """A client (a CRM account's id, or a CL- id) with every service and billing account it has."""
    async with db.engine.connect() as connection:
        on_record = await ClientAccountRecords(connection).get(client_id)
    if on_record is None:
        raise HTTPException(404, f"there is no client {client_id}")
    return _client(on_record.client) | _accounts(on_record)


@accounts_router.get("/orders/{order_id}/accounts")
async def accounts_of_order(order_id: str, caller: Reader, db: Db) -> dict | None:
    """The client accounts the order carries to the hand-off (null until a version of it passed validation)."""
    async with db.engine.connect() as connection:
        stored = await stored_or_404(Orders(connection), order_id, caller)
    accounts = stored.order.accounts
    return accounts.model_dump(mode="json", by_alias=True, exclude_none=True) if accounts else None


def _client(client: Client) -> dict:
    return {
        "id": client.id,
        "legalName": client.legal_name,
        "taxId": client.tax_id,
        "addresses": [address.model_dump(mode="json", by_alias=True) for address in client.addresses],
        "contacts": [contact.model_dump(mode="json", by_alias=True, exclude_none=True) for contact in client.contacts],
    }


def _accounts(on_record: ClientOnRecord) -> dict:
    return {
        "serviceAccounts": [
            account.model_dump(mode="json", by_alias=True, exclude={"item_ids"})
            for account in on_record.service_accounts
        ],
        "billingAccounts": [account.model_dump(mode="json", by_alias=True) for account in on_record.billing_accounts],
    }
