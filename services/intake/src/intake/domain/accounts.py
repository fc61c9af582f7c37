"""The desk's records of a valid order's client: the client (a CRM account, or a new client opened from the order),
a service account per site and a billing account per billing system its sites' markets bill on. A later order of
the same client reuses them; a new client that could be either of two (its legal name at its billing address with
another tax id; or, without a tax id, a name two clients share) is held for the desk rather than merged."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property

from intake.domain.client_keys import name_key, tax_key
from intake.reference import Account, ReferenceData
from orderdesk_shared.billing_accounts import billing_account_number
from orderdesk_shared.events.fallout import Finding
from orderdesk_shared.events.order import (
    Address,
    BillingAccount,
    ClientAccounts,
    Contact,
    ProductOrder,
    ServiceAccount,
)
from orderdesk_shared.markets import Markets

AMBIGUOUS_CLIENT = "AMBIGUOUS_CLIENT"
# A new client without a tax id whose name other clients have is held: its finding lists at most this many of them
# (so a lookup reads at most one more client a name, however many share it).
NAMESAKES_LISTED = 5


def client_id(serial: int) -> str:
    """A new client's id (a CRM account keeps its own)."""
    return f"CL-{serial:06d}"


def service_account_number(serial: int) -> str:
    return f"SA-{serial:08d}"


def site_key(address: Address) -> str:
    """Where a site is, as its service account is kept: the normalized address validation left on the order."""
    parts = (address.street, address.city, address.state_or_province, address.postcode, address.country)
    return "|".join(" ".join(part.upper().split()) for part in parts)


@dataclass(frozen=True)
class Client:
    id: str
    legal_name: str
    tax_id: str | None = None
    addresses: tuple[Address, ...] = ()
    contacts: tuple[Contact, ...] = ()

    # Each asked for many times as a batch's orders are matched with the clients on record.
    @cached_property
    def name_key(self) -> str:
        return name_key(self.legal_name)

    @cached_property
    def tax_key(self) -> str | None:
        return tax_key(self.tax_id)


@dataclass(frozen=True)
class ClientOnRecord:
    """A client as the desk and the console look it up: with every service and billing account it has."""

    client: Client
    service_accounts: tuple[ServiceAccount, ...]
    billing_accounts: tuple[BillingAccount, ...]


@dataclass(frozen=True)
class Site:
    key: str
    address: Address
    item_ids: tuple[str, ...]


@dataclass(frozen=True)
class AccountsWanted:
    """What a valid order needs of the desk's records: its client (a CRM account, by its id; else the new client the
    order describes), a service account per site and a billing account per billing system its sites bill on."""

    client: Client
    crm_account: bool
    sites: tuple[Site, ...]
    billing_systems: tuple[str, ...]
    # The CRM accounts a new client may be (same tax id or legal name): clients already, recorded or not.
    crm_alike: tuple[Client, ...] = ()


@dataclass(frozen=True)
class KeptAccounts:
    """A client's service accounts (by site key) and billing accounts (by billing system) on record."""

    service_accounts: Mapping[str, str]
    billing_accounts: Mapping[str, str]


NO_ACCOUNTS = KeptAccounts({}, {})
# A client the plan opens goes by this stand-in id until the plan is numbered.
_STAND_IN = "new-client-"


@dataclass
class AccountsPlan:
    """What a batch of valid orders needs of the desk's records, order by order: the client each is for (or the
    finding that holds it), and the clients, service accounts (by client and site key) and billing accounts (by
    client and billing system) to open for them, besides those `kept` on record."""

    kept: Mapping[str, KeptAccounts]
    decided: list[tuple[AccountsWanted, Client] | Finding] = field(default_factory=list)
    clients: list[Client] = field(default_factory=list)
    sites: dict[tuple[str, str], Site] = field(default_factory=dict)
    systems: list[tuple[str, str]] = field(default_factory=list)

    @property
    def serials_needed(self) -> int:
        """One serial for each client the plan opens under a stand-in id, then each account."""
        return sum(client.id.startswith(_STAND_IN) for client in self.clients) + len(self.sites) + len(self.systems)

    def numbered(self, serials: Sequence[int]) -> "NumberedPlan":
        """The plan's new clients and accounts numbered from the serials, and what each order carries."""
        serial = iter(serials)
        ids = {client.id: client_id(next(serial)) for client in self.clients if client.id.startswith(_STAND_IN)}
        service = {
            (ids.get(owner, owner), key): (service_account_number(next(serial)), site)
            for (owner, key), site in self.sites.items()
        }
        billing = {
            (ids.get(owner, owner), system): billing_account_number(system, next(serial))
            for owner, system in self.systems
        }
        outcomes: list[ClientAccounts | Finding] = []
        for decided in self.decided:
            if isinstance(decided, Finding):
                outcomes.append(decided)
                continue
            wanted, client = decided
            client = replace(client, id=ids.get(client.id, client.id))
            kept = self.kept.get(client.id, NO_ACCOUNTS)
            numbers = KeptAccounts(
                {
                    **kept.service_accounts,
                    **{key: number for (owner, key), (number, _) in service.items() if owner == client.id},
                },
                {
                    **kept.billing_accounts,
                    **{system: number for (owner, system), number in billing.items() if owner == client.id},
                },
            )
            outcomes.append(order_accounts(wanted, client, numbers))
        return NumberedPlan(
            clients=[replace(client, id=ids.get(client.id, client.id)) for client in self.clients],
            service_accounts=[(number, owner, site) for (owner, _), (number, site) in service.items()],
            billing_accounts=[(number, owner, system) for (owner, system), number in billing.items()],
            outcomes=outcomes,
        )


@dataclass(frozen=True)
class NumberedPlan:
    """The clients to record, the service accounts (number, client id, site) and billing accounts (number, client id,
    billing system) to open, and each order's client accounts, or the finding that holds it."""

    clients: list[Client]
    service_accounts: list[tuple[str, str, Site]]
    billing_accounts: list[tuple[str, str, str]]
    outcomes: list[ClientAccounts | Finding]


def accounts_wanted(order: ProductOrder, *, reference: ReferenceData, markets: Markets) -> AccountsWanted:
    """The client, sites and billing systems a valid order needs accounts for. A site is an item's service address;
    an order naming none is billed in its billing address's market."""
    crm = reference.accounts.get(order.account.id) if order.account.id else None
    if crm is not None:
        client = _crm_client(crm)
    else:
        billing_address = order.account.billing_address
        client = Client(
            "",
            order.account.legal_name or "",
            order.account.tax_id,
            (billing_address,) if billing_address else (),
            tuple(order.contacts),
        )
    by_key: dict[str, tuple[Address, list[str]]] = {}
    for item in order.items:
        if item.location and item.location.address:
            address = item.location.address
            by_key.setdefault(site_key(address), (address, []))[1].append(item.id)
    sites = tuple(Site(key, address, tuple(item_ids)) for key, (address, item_ids) in by_key.items())
    placed = [site.address for site in sites] or list(client.addresses)
    systems = {market.billing_system for address in placed if (market := markets.market_for(address)) is not None}
    alike = () if crm is not None else _crm_alike(client, reference)
    return AccountsWanted(client, crm is not None, sites, tuple(sorted(systems)), alike)


def _crm_client(account: Account) -> Client:
    return Client(account.id, account.legal_name, account.tax_id, (account.billing_address,))


def _crm_alike(client: Client, reference: ReferenceData) -> tuple[Client, ...]:
    """The active CRM accounts with the client's tax id or legal name, in the CRM's order."""
    alike = {account.id for account in reference.active_accounts_by_name_key.get(client.name_key, ())}
    if client.tax_key:
        alike.update(account.id for account in reference.active_accounts_by_tax_key.get(client.tax_key, ()))
    return tuple(_crm_client(account) for account in reference.accounts.values() if account.id in alike)


def match_client(wanted: AccountsWanted, recorded: Sequence[Client]) -> Client | Finding | None:
    """The client the order is for among those recorded and the CRM's (None: a client new to the desk), or a
    finding when it could be either of two. A CRM account is its own client. A new client is the one with its tax
    id; else the one with its legal name, unless two have the name, or one has it with another tax id at the same
    billing address (the same company, its tax id mistyped?). The same name with another tax id elsewhere is another
    company: names are registered per state, the tax id tells companies apart."""
    client = wanted.client
    known = list({other.id: other for other in (*wanted.crm_alike, *recorded)}.values())
    if wanted.crm_account:
        return next((other for other in known if other.id == client.id), None)
    if client.tax_key and (same := next((other for other in known if other.tax_key == client.tax_key), None)):
        return same
    named = [other for other in known if other.name_key == client.name_key]
    if client.tax_key:
        at_address = [other for other in named if client.addresses and other.addresses[:1] == client.addresses[:1]]
        if mistyped := [other for other in at_address if other.tax_key]:
            return _ambiguous(
                "account.taxId",
                f"{client.legal_name} at this billing address is client {_listed(mistyped)}; this order gives tax id "
                f"{client.tax_id}",
                "Correct the tax id if it is the same company; if it is another, correct its legal name as registered.",
            )
        named = [other for other in named if not other.tax_key]
    if len(named) > 1:
        more = ", and more" if len(named) > NAMESAKES_LISTED else ""
        return _ambiguous(
            "account.legalName",
            f"more than one client is named {client.legal_name}: {_listed(named[:NAMESAKES_LISTED])}{more}",
            "Give the client's tax id, so the desk knows which one the order is for.",
        )
    return named[0] if named else None


def _listed(clients: Sequence[Client]) -> str:
    return ", ".join(f"{client.id} (tax id {client.tax_id or 'none'})" for client in clients)


def _ambiguous(field_path: str, message: str, fix: str) -> Finding:
    return Finding(reason_code=AMBIGUOUS_CLIENT, field_path=field_path, message=message, fix=fix)


def plan_accounts(
    wanted: Sequence[AccountsWanted], recorded: Sequence[Client], kept: Mapping[str, KeptAccounts]
) -> AccountsPlan:
    """Each order's client in turn (a later order of a client an earlier one opens finds it) among the clients
    `recorded` (those the orders may be, with their accounts `kept`), and the accounts each client lacks for the
    orders' sites and billing systems."""
    plan = AccountsPlan(kept)
    known = list(recorded)
    for each in wanted:
        match = match_client(each, known)
        if isinstance(match, Finding):
            plan.decided.append(match)
            continue
        client = match or replace(each.client, id=each.client.id or f"{_STAND_IN}{len(plan.clients)}")
        if all(other.id != client.id for other in known):  # new to the desk, or a CRM account's first order
            plan.clients.append(client)
            known.append(client)
        on_record = kept.get(client.id, NO_ACCOUNTS)
        for site in each.sites:
            if site.key not in on_record.service_accounts:
                plan.sites.setdefault((client.id, site.key), site)
        for system in each.billing_systems:
            if system not in on_record.billing_accounts and (client.id, system) not in plan.systems:
                plan.systems.append((client.id, system))
        plan.decided.append((each, client))
    return plan


def order_accounts(wanted: AccountsWanted, client: Client, kept: KeptAccounts) -> ClientAccounts:
    """What the order carries of its client's accounts: those of its own sites and billing systems."""
    return ClientAccounts(
        client_id=client.id,
        legal_name=client.legal_name,
        tax_id=client.tax_id,
        service_accounts=[
            ServiceAccount(number=kept.service_accounts[site.key], site=site.address, item_ids=list(site.item_ids))
            for site in wanted.sites
        ],
        billing_accounts=[
            BillingAccount(number=kept.billing_accounts[system], billing_system=system)
            for system in wanted.billing_systems
        ],
    )
