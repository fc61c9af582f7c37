"""The desk's records of clients: the clients, their service accounts per site and billing accounts per billing
system (intake.domain.accounts decides which; this keeps them and numbers them from one sequence)."""

from collections.abc import Collection, Sequence

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.ext.asyncio import AsyncConnection

from intake.domain.accounts import NAMESAKES_LISTED, Client, ClientOnRecord, KeptAccounts, NumberedPlan
from intake.tables import BILLING_ADDRESS, account_serials, billing_accounts, clients, service_accounts
from orderdesk_shared.db import json_text
from orderdesk_shared.db.arrays import as_arrays, insert_arrays
from orderdesk_shared.events.order import Address, BillingAccount, Contact, ServiceAccount

# A search answers at most this many clients.
SEARCH_LIMIT = 50

# Built once, each of one shape whatever the batch, its values bound as arrays: a statement whose text varies with
# the batch (a condition per client, an IN list per value) is compiled again by SQLAlchemy and prepared again on each
# pooled connection, and both keep every text they met (a hundred prepared statements a connection), which grew
# intake's memory with the orders it had seen.
_TEXT_ARRAYS = {
    name: sa.bindparam(name, type_=ARRAY(sa.Text))
    for name in ("client_ids", "site_keys", "names", "ids", "tax_keys", "billed_names", "billing_addresses", "untaxed")
}
_KEPT = sa.union_all(
    sa.select(
        service_accounts.c.client_id,
        sa.literal("site").label("kind"),
        service_accounts.c.site_key.label("key"),
        service_accounts.c.number,
    ).where(
        service_accounts.c.client_id == sa.any_(_TEXT_ARRAYS["client_ids"]),
        service_accounts.c.site_key == sa.any_(_TEXT_ARRAYS["site_keys"]),
    ),
    sa.select(
        billing_accounts.c.client_id,
        sa.literal("system"),
        billing_accounts.c.billing_system,
        billing_accounts.c.number,
    ).where(billing_accounts.c.client_id == sa.any_(_TEXT_ARRAYS["client_ids"])),
)
_SERIALS = sa.select(account_serials.next_value()).select_from(
    sa.func.generate_series(1, sa.bindparam("count", type_=sa.Integer))
)
# A taxed client's legal name beside its billing address (as JSON text), one pair a row.
_BILLED = (
    sa.func.unnest(_TEXT_ARRAYS["billed_names"], _TEXT_ARRAYS["billing_addresses"])
    .table_valued("name_key", "address")
    .render_derived()
)
_UNTAXED = sa.func.unnest(_TEXT_ARRAYS["untaxed"]).table_valued("name_key").render_derived()
_NAMESAKES = (
    sa.select(clients)
    .where(clients.c.name_key == _UNTAXED.c.name_key)
    .order_by(clients.c.id)
    .limit(NAMESAKES_LISTED + 1)
    .lateral("namesakes")
)
_CANDIDATES = sa.union(
    sa.select(clients).where(
        sa.or_(
            sa.and_(clients.c.name_key == sa.any_(_TEXT_ARRAYS["names"]), clients.c.tax_key.is_(None)),
            clients.c.id == sa.any_(_TEXT_ARRAYS["ids"]),
            clients.c.tax_key == sa.any_(_TEXT_ARRAYS["tax_keys"]),
        )
    ),
    sa.select(clients).join(
        _BILLED,
        sa.and_(clients.c.name_key == _BILLED.c.name_key, sa.cast(_BILLED.c.address, JSONB) == BILLING_ADDRESS),
    ),
    sa.select(_NAMESAKES).select_from(_UNTAXED).join(_NAMESAKES, sa.true()),
).order_by("id")
_RECORDED_COLUMNS = {
    clients: ("id", "legal_name", "name_key", "tax_id", "tax_key", "addresses", "contacts"),
    service_accounts: ("number", "client_id", "site_key", "site"),
    billing_accounts: ("number", "client_id", "billing_system"),
}
_RECORD = {
    table: insert_arrays(table, columns, on_conflict="DO NOTHING", returning=table.primary_key.columns[0].name)
    for table, columns in _RECORDED_COLUMNS.items()
}


class ClientAccountRecords:
    """The clients and their accounts, in the unit of work's transaction."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def candidates(self, wanted: Sequence[Client]) -> list[Client]:
        """The clients on record the orders' clients may be (intake.domain.accounts.match_client): the same id or
        tax id; the one with the legal name and no tax id; those with the name at the billing address; and for a
        client without a tax id, a few of those with its name. Each read by index: as many clients as share a name,
        a lookup reads a handful of rows."""
        billed = [client for client in wanted if client.tax_key and client.addresses]
        rows = await self._connection.execute(
            _CANDIDATES,
            {
                "names": sorted({client.name_key for client in wanted}),
                "ids": sorted({client.id for client in wanted if client.id}),
                "tax_keys": sorted({client.tax_key for client in wanted if client.tax_key}),
                "billed_names": [client.name_key for client in billed],
                "billing_addresses": [json_text(_json(client.addresses[0])) for client in billed],
                "untaxed": sorted({client.name_key for client in wanted if not client.tax_key}),
            },
        )
        return [_client(row) for row in rows]

    async def kept(self, client_ids: Collection[str], site_keys: Collection[str]) -> dict[str, KeptAccounts]:
        """The clients' service accounts at these sites, by site, and their billing accounts by billing system (not
        every site a client has: a client with thousands of sites would be read whole for each order)."""
        if not client_ids:
            return {}
        sites: dict[str, dict[str, str]] = {client: {} for client in client_ids}
        systems: dict[str, dict[str, str]] = {client: {} for client in client_ids}
        for client, kind, key, number in await self._connection.execute(
            _KEPT, {"client_ids": list(client_ids), "site_keys": list(site_keys)}
        ):
            (sites if kind == "site" else systems)[client][key] = number
        return {client: KeptAccounts(sites[client], systems[client]) for client in client_ids}

    async def serials(self, count: int) -> list[int]:
        """Serials from the one sequence client ids and account numbers are made of."""
        if not count:
            return []
        return list((await self._connection.execute(_SERIALS, {"count": count})).scalars())

    async def record(self, plan: NumberedPlan) -> bool:
        """Record the plan's clients, then its accounts: False (and its accounts not opened) when another transaction
        recorded one of them first (its client, its site, its billing system), so the plan is made again."""
        client_rows = [
            {
                "id": client.id,
                "legal_name": client.legal_name,
                "name_key": client.name_key,
                "tax_id": client.tax_id,
                "tax_key": client.tax_key,
                "addresses": [_json(address) for address in client.addresses],
                "contacts": [_json(contact) for contact in client.contacts],
            }
            for client in plan.clients
        ]
        service_rows = [
            {"number": number, "client_id": client, "site_key": site.key, "site": _json(site.address)}
            for number, client, site in plan.service_accounts
        ]
        billing_rows = [
            {"number": number, "client_id": client, "billing_system": system}
            for number, client, system in plan.billing_accounts
        ]
        for table, rows in ((clients, client_rows), (service_accounts, service_rows), (billing_accounts, billing_rows)):
            if rows and not await self._inserted_all(table, rows):
                return False
        return True

    async def _inserted_all(self, table: sa.Table, rows: list[dict]) -> bool:
        inserted = await self._connection.execute(_RECORD[table], as_arrays(rows))
        return len(inserted.all()) == len(rows)

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
