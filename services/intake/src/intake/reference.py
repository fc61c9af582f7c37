"""Reference data intake validates against: offerings, accounts, sales reps and the products accounts had before
OrderDesk (see reference/README.md).

Loaded once at start from versioned seed files; anything malformed stops the service with an error
naming the file, the line (or offering) and the field.
"""

import json
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    ValidationError,
    field_validator,
)

from intake.domain.client_keys import name_key, tax_key
from intake.domain.installed_base import InstalledProduct
from orderdesk_shared.csv_rows import UnreadableCsv, csv_problems, read_csv_rows
from orderdesk_shared.events.channels import CrmAccountUpdated
from orderdesk_shared.events.commission import RosterRep
from orderdesk_shared.events.order import Address, ServiceLocation
from orderdesk_shared.events.pricing_approval import CatalogueOffering
from orderdesk_shared.field_problems import described, field_path, field_problems
from orderdesk_shared.roster import read_roster

DEFAULT_DIRECTORY = Path(__file__).resolve().parents[2] / "reference"
_FILES = ("offerings.v{n}.json", "accounts.v{n}.csv", "reps.v{n}.csv", "installed_products.v{n}.csv")
_R = TypeVar("_R", bound=BaseModel)


class ReferenceDataError(ValueError):
    """A reference file is missing or malformed; the message names the file, line and field."""


@dataclass(frozen=True)
class Offering:
    id: str
    name: str
    family: str
    active: bool
    characteristics: dict[str, tuple[str | int, ...]]
    terms: tuple[int, ...]
    requires_service_location: bool


@dataclass(frozen=True)
class Account:
    id: str
    legal_name: str
    billing_address: Address
    tax_id: str
    market: str
    active: bool


@dataclass(frozen=True)
class ReferenceData:
    offerings: dict[str, Offering]
    accounts: dict[str, Account]
    reps: dict[str, RosterRep]
    version: str
    # Products accounts had before OrderDesk kept their records, by product id.
    installed_products: dict[str, InstalledProduct]

    # A new client is matched with the CRM's active accounts by these keys, once per order: indexed once a version.
    @cached_property
    def active_accounts_by_name_key(self) -> dict[str, list[Account]]:
        return _indexed(self._active_accounts, lambda account: name_key(account.legal_name))

    @cached_property
    def active_accounts_by_tax_key(self) -> dict[str | None, list[Account]]:
        return _indexed(self._active_accounts, lambda account: tax_key(account.tax_id))

    @property
    def _active_accounts(self) -> list[Account]:
        return [account for account in self.accounts.values() if account.active]


def _indexed(accounts: list[Account], key: Callable[[Account], str | None]) -> dict:
    by_key: defaultdict[str | None, list[Account]] = defaultdict(list)
    for account in accounts:
        by_key[key(account)].append(account)
    return dict(by_key)


# --- file formats, validated with pydantic ------------------------------------------------------

_Text = Annotated[str, Field(min_length=1)]
_Value = StrictInt | Annotated[StrictStr, Field(min_length=1)]
_AccountId = Annotated[str, Field(pattern=r"^ACC-\d{5}$")]
_StateCode = Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
_Postcode = Annotated[str, Field(pattern=r"^\d{5}$")]


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class _OfferingRow(_Row):
    model_config = ConfigDict(strict=True)  # JSON types as written: no "true" for true, no "12" for 12

    id: _Text
    name: _Text
    family: Literal["internet", "ethernet", "managed-network", "voice", "tv", "managed-apps", "cloud", "hosting"]
    active: bool
    characteristics: dict[_Text, Annotated[list[_Value], Field(min_length=1)]]
    terms: Annotated[list[Literal[12, 24, 36, 60]], Field(min_length=1)]
    requires_service_location: bool = Field(alias="requiresServiceLocation")

    @field_validator("terms")
    @classmethod
    def _no_repeated_terms(cls, terms: list[int]) -> list[int]:
        if len(set(terms)) != len(terms):
            raise ValueError("a term is listed twice")
        return terms

    @field_validator("characteristics")
    @classmethod
    def _no_repeated_values(cls, characteristics: dict[str, list[Any]]) -> dict[str, list[Any]]:
        for name, values in characteristics.items():
            if len(set(values)) != len(values):
                raise ValueError(f"{name} lists a value twice")
        return characteristics


class _OfferingsFile(_Row):
    offerings: list[dict[str, Any]]


class _AccountRow(_Row):
    account_id: _AccountId
    legal_name: _Text
    billing_street: _Text
    billing_city: _Text
    billing_state: _StateCode
    billing_postcode: _Postcode
    tax_id: Annotated[str, Field(pattern=r"^\d{2}-\d{7}$")]
    market: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    status: Literal["active", "closed"]


class _InstalledProductRow(_Row):
    product_id: Annotated[str, Field(pattern=r"^PRD-[0-9A-Z-]+$")]
    account_id: _AccountId
    offering_id: _Text
    # name=value pairs separated by ";", e.g. "bandwidth_mbps=500"
    characteristics: Annotated[str, Field(pattern=r"^([a-z_]+=[^;=]+)(;[a-z_]+=[^;=]+)*$")]
    location_id: _Text
    street: _Text
    city: _Text
    state: _StateCode
    postcode: _Postcode
    mrc: Decimal = Field(ge=0)
    term_months: Annotated[int, Field(ge=1, le=120)]


# --- loading ------------------------------------------------------------------------------------


def load_reference_data(directory: Path | None = None) -> ReferenceData:
    """The newest complete set of reference files in `directory` (default: the service's `reference/`)."""
    directory = directory or DEFAULT_DIRECTORY
    n = _latest_version(directory)
    offerings_file, accounts_file, reps_file, products_file = (directory / name.format(n=n) for name in _FILES)
    return ReferenceData(
        offerings=_load_offerings(offerings_file),
        accounts=_load_accounts(accounts_file),
        reps=_load_reps(reps_file),
        version=f"v{n}",
        installed_products=_load_installed_products(products_file),
    )


def _latest_version(directory: Path) -> int:
    found = {
        int(m[1])
        for p in directory.glob("offerings.v*.json")
        if (m := re.fullmatch(r"offerings\.v(\d+)\.json", p.name))
    }
    complete = [n for n in found if all((directory / name.format(n=n)).is_file() for name in _FILES)]
    if not complete:
        expected = ", ".join(name.format(n="N") for name in _FILES)
        raise ReferenceDataError(f"no complete set of reference files ({expected}) in {directory}")
    return max(complete)


def _load_offerings(path: Path) -> dict[str, Offering]:
    try:
        document = _OfferingsFile.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except json.JSONDecodeError as error:
        raise ReferenceDataError(f"{path.name} line {error.lineno}: not valid JSON: {error.msg}") from error
    except ValidationError as error:
        raise ReferenceDataError(f"{path.name}: {described(field_problems(error, quoting=True))}") from error
    offerings: dict[str, Offering] = {}
    for index, raw in enumerate(document.offerings):
        where = f"{path.name} {field_path(('offerings', index), document.model_dump())}"
        try:
            row = _OfferingRow.model_validate(raw)
        except ValidationError as error:
            raise ReferenceDataError(f"{where}: {described(field_problems(error, quoting=True))}") from error
        if row.id in offerings:
            raise ReferenceDataError(f"{where}, field 'id': offering {row.id} is listed twice")
        offerings[row.id] = Offering(
            id=row.id,
            name=row.name,
            family=row.family,
            active=row.active,
            characteristics={name: tuple(values) for name, values in row.characteristics.items()},
            terms=tuple(row.terms),
            requires_service_location=row.requires_service_location,
        )
    return offerings


def _load_accounts(path: Path) -> dict[str, Account]:
    return {
        account_id: Account(
            id=account_id,
            legal_name=row.legal_name,
            billing_address=Address(
                street=row.billing_street,
                city=row.billing_city,
                state_or_province=row.billing_state,
                postcode=row.billing_postcode,
            ),
            tax_id=row.tax_id,
            market=row.market,
            active=row.status == "active",
        )
        for account_id, row in _read_csv(path, _AccountRow, key="account_id").items()
    }


def _load_installed_products(path: Path) -> dict[str, InstalledProduct]:
    return {
        product_id: InstalledProduct(
            product_id=product_id,
            account_id=row.account_id,
            offering_id=row.offering_id,
            characteristics={
                name: int(value) if value.isdigit() else value
                for name, value in (pair.split("=") for pair in row.characteristics.split(";"))
            },
            location=ServiceLocation(
                location_id=row.location_id,
                address=Address(street=row.street, city=row.city, state_or_province=row.state, postcode=row.postcode),
            ),
            mrc=row.mrc,
            term_months=row.term_months,
        )
        for product_id, row in _read_csv(path, _InstalledProductRow, key="product_id").items()
    }


def account_from_crm(record: CrmAccountUpdated) -> Account:
    """An account as the CRM describes it, in the shape the seed file gives."""
    address = record.billing_address
    return Account(
        id=record.account_number,
        legal_name=record.legal_name,
        billing_address=Address(
            street=address.street, city=address.city, state_or_province=address.state, postcode=address.postal_code
        ),
        tax_id=record.tax_id,
        market=record.market,
        active=record.status == "active",
    )


def _load_reps(path: Path) -> dict[str, RosterRep]:
    try:
        reps, problems = read_roster(path.read_text(encoding="utf-8"))
    except UnreadableCsv as error:
        raise ReferenceDataError(f"{path.name} {error}") from error
    if problems:
        raise ReferenceDataError(f"{path.name} {described(problems)}")
    return reps


def _read_csv(path: Path, model: type[_R], *, key: str) -> dict[str, _R]:
    """Each validated data row by its `key` field, which no two rows may share."""
    try:
        rows = read_csv_rows(path.read_text(encoding="utf-8"), model)
    except UnreadableCsv as error:
        raise ReferenceDataError(f"{path.name} {error}") from error
    if problems := csv_problems(rows):
        raise ReferenceDataError(f"{path.name} {described(problems)}")
    keyed: dict[str, _R] = {}
    for row in rows:
        if row.value is None:
            continue
        value = getattr(row.value, key)
        if value in keyed:
            raise ReferenceDataError(f"{path.name} line {row.line}, field '{key}': {value} is listed twice")
        keyed[value] = row.value
    return keyed


def offerings_from_catalogue(offerings: list[CatalogueOffering]) -> dict[str, Offering]:
    """The offerings of a catalogue pricing-approval published, as intake checks orders against them."""
    return {
        offering.id: Offering(
            id=offering.id,
            name=offering.name,
            family=offering.family,
            active=offering.active,
            characteristics={c.name: tuple(c.values) for c in offering.characteristics},
            terms=tuple(offering.terms_months),
            requires_service_location=offering.requires_service_location,
        )
        for offering in offerings
    }
