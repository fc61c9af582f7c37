"""Fulfillment's data files: processing paths (policies/) and billing-code CSV (the markets are shared:
orderdesk_shared.markets).

Each is checked when read; a malformed file stops the service at start with the file, the place and the
field. The same CSV reader takes the seed map and the catalogue team's imports.
"""

import csv
import io
import string
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from fulfillment_handoff.domain.billing import BillingCode, CodeKey
from fulfillment_handoff.domain.paths import NOTE_PLACEHOLDERS, NoteRule, PathPolicy
from orderdesk_shared.csv_rows import CsvProblem, UnreadableCsv, csv_problems, read_csv_rows
from orderdesk_shared.events.fulfillment import ProcessingPath
from orderdesk_shared.field_problems import described
from orderdesk_shared.markets import Markets
from orderdesk_shared.toml_files import read_toml

SERVICE_DIRECTORY = Path(__file__).resolve().parents[2]
SEED_BILLING_CODES = SERVICE_DIRECTORY / "reference" / "billing_codes.v1.csv"
PATH_POLICY_FILE = SERVICE_DIRECTORY / "policies" / "processing_paths.v1.toml"
BILLING_CODE_COLUMNS = ("price_component", "billing_system", "market", "billing_code", "effective_from", "effective_to")


class ReferenceDataError(ValueError):
    """A data file is malformed; the message names the file, the place and the field."""


@dataclass(frozen=True)
class FulfillmentRules:
    markets: Markets
    paths: PathPolicy


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


# --- processing paths -----------------------------------------------------------------------------


class _NoteRow(_Strict):
    topic: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]*$")]
    text: Annotated[str, Field(min_length=1)]
    offerings: list[str] = []
    site_reach: list[Literal["on-net", "near-net", "off-net", "unknown"]] = []
    icb: bool = False

    @model_validator(mode="after")
    def _one_condition_and_known_placeholders(self) -> "_NoteRow":
        if sum((bool(self.offerings), bool(self.site_reach), self.icb)) != 1:
            raise ValueError("a note needs exactly one condition: offerings, site_reach or icb")
        used = {name for _, name, _, _ in string.Formatter().parse(self.text) if name is not None}
        if unknown := used - NOTE_PLACEHOLDERS:
            raise ValueError(f"unknown placeholders {sorted(unknown)}; known: {sorted(NOTE_PLACEHOLDERS)}")
        return self


class _Reach(_Strict):
    site_reach: list[Literal["on-net", "near-net", "off-net", "unknown"]]


class _Custom(_Strict):
    icb_price_components: list[str]


class _Complex(_Strict):
    offerings: list[str]
    bandwidth_above_mbps: Annotated[int, Field(gt=0)]
    more_than_one_site: bool


class _PathPolicyFile(_Strict):
    model_config = ConfigDict(extra="forbid", strict=False, populate_by_name=True)

    version: str
    precedence: list[ProcessingPath]
    custom: _Custom
    construction: _Reach
    off_net: _Reach = Field(alias="off-net")
    complex_engineering: _Complex = Field(alias="complex-engineering")
    notes: list[_NoteRow]

    @model_validator(mode="after")
    def _every_path_once_standard_last(self) -> "_PathPolicyFile":
        if sorted(self.precedence) != sorted(ProcessingPath) or self.precedence[-1] is not ProcessingPath.STANDARD:
            raise ValueError("precedence lists every path once, standard last (it matches every order)")
        return self


def load_path_policy(path: Path) -> PathPolicy:
    document = read_toml(path, _PathPolicyFile, error=ReferenceDataError)
    return PathPolicy(
        version=document.version,
        precedence=tuple(document.precedence),
        icb_price_components=frozenset(document.custom.icb_price_components),
        construction_reach=frozenset(document.construction.site_reach),
        off_net_reach=frozenset(document.off_net.site_reach),
        complex_offerings=frozenset(document.complex_engineering.offerings),
        complex_bandwidth_above_mbps=document.complex_engineering.bandwidth_above_mbps,
        complex_when_more_than_one_site=document.complex_engineering.more_than_one_site,
        notes=tuple(
            NoteRule(note.topic, note.text, frozenset(note.offerings), frozenset(note.site_reach), note.icb)
            for note in document.notes
        ),
    )


# --- billing codes as CSV -------------------------------------------------------------------------


class _BillingCodeRow(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    price_component: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9][A-Z0-9-]*$")]
    billing_system: Annotated[str, Field(min_length=1)]
    market: Annotated[str, Field(min_length=1)]
    billing_code: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9][A-Z0-9-]{1,19}$")]
    effective_from: date
    effective_to: date | None = None


def check_billing_code(code: BillingCode, markets: Markets) -> list[tuple[str, str]]:
    """What is wrong with an entry, as (field, reason): an unknown market, another market's system, dates."""
    problems = []
    market = markets.named(code.key.market)
    if market is None:
        known = ", ".join(m.code for m in markets.markets)
        problems.append(("market", f"{code.key.market} is not a market (known: {known})"))
    elif market.billing_system != code.key.billing_system:
        problems.append(("billing_system", f"{market.code} bills on {market.billing_system}"))
    if code.effective_to is not None and code.effective_to < code.effective_from:
        problems.append(("effective_to", "is before effective_from"))
    return problems


def read_billing_codes(text: str, markets: Markets) -> tuple[list[BillingCode], list[CsvProblem]]:
    """The entries of a billing-code CSV and, per line and column, everything wrong with it."""
    try:
        rows = read_csv_rows(text, _BillingCodeRow)
    except UnreadableCsv as error:
        return [], [error.problem]
    codes: list[BillingCode] = []
    problems = csv_problems(rows)
    lines_by_key: dict[CodeKey, list[tuple[int, BillingCode]]] = {}
    for line, row in ((row.line, row.value) for row in rows if row.value is not None):
        code = BillingCode(
            CodeKey(row.price_component, row.billing_system, row.market),
            row.billing_code,
            row.effective_from,
            row.effective_to,
        )
        problems += [
            CsvProblem(field=field, reason=reason, line=line) for field, reason in check_billing_code(code, markets)
        ]
        same_key = lines_by_key.setdefault(code.key, [])
        problems += [
            CsvProblem(
                field="effective_from", reason=f"overlaps the period on line {other_line} for this component", line=line
            )
            for other_line, other in same_key
            if other.overlaps(code)
        ]
        same_key.append((line, code))
        codes.append(code)
    return codes, sorted(problems, key=lambda problem: problem.line)


def write_billing_codes(codes: list[BillingCode]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(BILLING_CODE_COLUMNS)
    for code in codes:
        writer.writerow([*code.key, code.billing_code, code.effective_from.isoformat(), code.effective_to or ""])
    return out.getvalue()


def load_seed_billing_codes(markets: Markets, path: Path = SEED_BILLING_CODES) -> list[BillingCode]:
    codes, problems = read_billing_codes(path.read_text(encoding="utf-8"), markets)
    if problems:
        raise ReferenceDataError(f"{path.name} {described(problems[:10])}")
    return codes
