"""The data files: the shipped ones load; a bad billing-code CSV is refused line by line, field by field."""

from fulfillment_handoff.domain.billing import CodeKey
from fulfillment_handoff.reference import (
    BILLING_CODE_COLUMNS,
    load_seed_billing_codes,
    read_billing_codes,
    write_billing_codes,
)
from fulfillment_handoff.rules_in_force import load_rules
from fulfillment_handoff.settings import Settings

MARKETS = load_rules(Settings.model_construct()).markets
HEADER = ",".join(BILLING_CODE_COLUMNS)


def test_the_seed_map_deliberately_lacks_voice_and_tv_in_the_newly_acquired_market():
    keys = {code.key for code in load_seed_billing_codes(MARKETS)}
    assert CodeKey("EPL", "ICOMS", "GRR") in keys
    assert CodeKey("SIP-TRUNK", "ICOMS", "GRR") not in keys
    assert CodeKey("BUSINESS-TV-NRC-INSTALL", "ICOMS", "GRR") not in keys
    assert CodeKey("SIP-TRUNK", "ICOMS", "DET") in keys


def test_an_export_reads_back_as_the_same_map():
    seed = load_seed_billing_codes(MARKETS)
    codes, problems = read_billing_codes(write_billing_codes(seed), MARKETS)
    assert (codes, problems) == (seed, [])


def test_every_bad_cell_is_named_by_line_and_field():
    text = "\n".join(
        [
            HEADER,
            "SIP-TRUNK,ICOMS,GRR,GRRB187,2026-12-01,",
            "SIP-TRUNK,CSG,GRR,GRRB188,2026-12-01,",
            "SIP-TRUNK,ICOMS,XYZ,GRRB189,2026-12-01,",
            "SIP-TRUNK,ICOMS,DET,DETB190,2026-13-01,",
            "SIP-TRUNK,ICOMS,GRR,GRRB191,2027-01-01,2026-12-31",
            "SIP-TRUNK,ICOMS,GRR,GRRB192,2027-02-01,",
        ]
    )
    _, problems = read_billing_codes(text, MARKETS)
    assert [(problem.line, problem.field) for problem in problems] == [
        (3, "billing_system"),
        (4, "market"),
        (5, "effective_from"),
        (6, "effective_to"),
        (6, "effective_from"),
        (7, "effective_from"),
    ]


def test_a_csv_with_other_columns_is_refused_at_its_header():
    _, problems = read_billing_codes("component,code\nEPL,X1\n", MARKETS)
    assert [str(problem) for problem in problems] == [
        "line 1: the header lacks the column(s) price_component, billing_system, market, billing_code, effective_from;"
        " expected price_component,billing_system,market,billing_code,effective_from,effective_to"
    ]
