"""The desk's records of clients: the clients, their service accounts per site and billing accounts per billing
system (intake.domain.accounts decides which; this keeps them and numbers them from one sequence)."""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from intake.domain.accounts import Client, ClientOnRecord, KeptAccounts, ToOpen, client_id
from intake.tables import account_serials, billing_accounts, clients, service_accounts
from orderdesk_shared.events.order import Address, BillingAccount, Contact, ServiceAccount

# A search answers at most this many clients.
SEARCH_LIMIT = 50


class ClientAccountRecords:
    """The clients and their accounts, in the unit of work's transaction."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def candidates(self, client: Client) -> list[Client]:
        """The clients on record the order's client may be: the same id, tax id or legal name."""
        alike = [clients.c.name_key == client.name_key]
        if client.id:
            alike.append(clients.c.id == client.id)
        if client.tax_key:
            alike.append(clients.c.tax_key == client.tax_key)
        rows = await self._connection.execute(sa.select(clients).where(sa.or_(*alike)).order_by(clients.c.id))
        return [_client(row) for row in rows]

    async def add_client(self, client: Client) -> Client:
        """The client on record: a new one gets its id; one added meanwhile (same id, tax id, or name without a tax
        id) is the one kept."""
        new_id = client.id or client_id(await self._serial())
        values = {
            "id": new_id,
            "legal_name": client.legal_name,
            "name_key": client.name_key,
            "tax_id": client.tax_id,
            "tax_key": client.tax_key,
            "addresses": [_json(address) for address in client.addresses],
            "contacts": [_json(contact) for contact in client.contacts],
        }
        await self._connection.execute(insert(clients).values(values).on_conflict_do_nothing())
        same = clients.c.tax_key == client.tax_key if client.tax_key else clients.c.id == new_id
        kept = (await self._connection.execute(sa.select(clients).where(same))).one_or_none()
        if kept is None:  # a client without a tax id, added meanwhile under another id
            condition = sa.and_(clients.c.name_key == client.name_key, clients.c.tax_key.is_(None))
            kept = (await self._connection.execute(sa.select(clients).where(condition))).one()
        return _client(kept)

    async def kept(self, client: str) -> KeptAccounts:
        """The client's service accounts by site and billing accounts by billing system."""
        services = await self._connection.execute(
            sa.select(service_accounts.c.site_key, service_accounts.c.number).where(
                service_accounts.c.client_id == client
            )
        )
        billing = await self._connection.execute(
            sa.select(billing_accounts.c.billing_system, billing_accounts.c.number).where(
                billing_accounts.c.client_id == client
            )
        )
        return KeptAccounts(dict(services.tuples().all()), dict(billing.tuples().all()))

    async def open(self, client: str, to_open: ToOpen) -> KeptAccounts:
        """Open the accounts, numbered from the sequence (those another transaction opened meanwhile are kept), and
        the client's accounts after."""
        service, billing = to_open.numbered(client, await self._serials(to_open.count))
        if service:
            rows = [row | {"site": _json(row["site"])} for row in service]
            await self._connection.execute(insert(service_accounts).on_conflict_do_nothing(), rows)
        if billing:
            await self._connection.execute(insert(billing_accounts).on_conflict_do_nothing(), billing)
        return await self.kept(client)

    async def get(self, client: str) -> ClientOnRecord | None:
        """A client with its service and billing accounts, in the order they were opened."""
        row = (await self._connection.execute(sa.select(clients).where(clients.c.id == client))).one_or_none()
        if row is None:
            return None
        sites = await self._connection.execute(
            sa.select(service_accounts)
            .where(service_accounts.c.client_id == client)
            .order_by(service_accounts.c.number)
        )
        billing = await self._connection.execute(
            sa.select(billing_accounts)
            .where(billing_accounts.c.client_id == client)
            .order_by(billing_accounts.c.number)
        )
        return ClientOnRecord(
            _client(row),
            tuple(ServiceAccount(number=site.number, site=Address.model_validate(site.site)) for site in sites),
            tuple(BillingAccount(number=bill.number, billing_system=bill.billing_system) for bill in billing),
        )

    async def search(self, *, tax_key: str | None, name_key: str | None) -> list[Client]:
        """The clients with the tax id, and those whose legal name contains the words given."""
        conditions = []
        if tax_key:
            conditions.append(clients.c.tax_key == tax_key)
        if name_key:
            conditions.append(clients.c.name_key.contains(name_key, autoescape=True))
        query = sa.select(clients).where(*conditions).order_by(clients.c.legal_name, clients.c.id).limit(SEARCH_LIMIT)
        return [_client(row) for row in await self._connection.execute(query)]

    async def _serial(self) -> int:
        return (await self._serials(1))[0]

    async def _serials(self, count: int) -> Sequence[int]:
        if not count:
            return []
        query = sa.select(account_serials.next_value()).select_from(sa.func.generate_series(1, count))
        return list((await self._connection.execute(query)).scalars())


def _json(value: Address | Contact) -> dict:
    return value.model_dump(mode="json", by_alias=True, exclude_none=True)


def _client(row: sa.Row) -> Client:
    return Client(
        id=row.id,
        legal_name=row.legal_name,
        tax_id=row.tax_id,
        addresses=tuple(Address.model_validate(address) for address in row.addresses),
        contacts=tuple(Contact.model_validate(contact) for contact in row.contacts),
    )
