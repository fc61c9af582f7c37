"""Proposals reps wrote, through pricing-approval's API on its real schema: a PDF with a wrong price and without the
clause Detroit requires is listed with both differences and cannot be approved; the corrected Word version has none
and is approved; a file the desk cannot read, or a step by the wrong person, is refused saying why."""

import pytest

from orderdesk_shared.auth import Role
from orderdesk_shared.events.order import OrderItem
from pricing_approval.handlers import price_order

from ..builders import internet_order, qualified
from ..documents import docx_of, pdf_of
from .conftest import CONTEXT, RULES, signed_in

pytestmark = pytest.mark.integration

ORDER = "PO-REP-PROPOSAL"
PATH = f"/pricing/orders/{ORDER}/rep-proposals"
VOIP_CLAUSE = RULES.markets.legal_clauses[0].text
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


async def _price_sip_trunking_in_detroit(database) -> None:
    """SIP trunking, 23 channels for 36 months in Detroit: $423.20 a month, $350.00 once; sold by rep-007."""
    order = internet_order(ORDER).model_copy(
        update={"items": [OrderItem(id="1", product_offering_id="SIP-TRUNK", characteristics={"channels": 23})]}
    )
    event = qualified(order)
    event = event.model_copy(update={"sites": [event.sites[0].model_copy(update={"market": "DET"})]})
    async with database.unit_of_work() as uow:
        await price_order(event, uow, CONTEXT)


async def test_a_wrong_price_and_a_missing_clause_are_listed_and_the_corrected_version_is_approved(api, database):
    await _price_sip_trunking_in_detroit(database)
    rep, specialist = signed_in(api, "rep-007", Role.SALES_REP), signed_in(api, "kim-specialist", Role.SPECIALIST)
    drafted = pdf_of(
        ["Proposal for Lakeshore Logistics LLC", "Item 1: SIP trunking, 36 months, MRC $399.00, NRC $350.00"]
    )

    first = await api.post(PATH, files={"file": ("offer.docx", drafted, DOCX_TYPE)}, headers=rep)

    assert first.status_code == 201, first.text
    assert (first.json()["mediaType"], first.json()["version"], first.json()["openDifferences"]) == (
        "application/pdf",
        1,
        2,
    )
    price, clause = first.json()["differences"]
    assert (price["kind"], price["where"], price["stated"], price["expected"]) == (
        "mrc",
        "line 2, item 1",
        "$399.00",
        "$423.20",
    )
    assert (clause["kind"], clause["expected"], clause["source"]) == (
        "legal-clause",
        VOIP_CLAUSE,
        "market policy MI-VOIP-911 (Detroit, Grand Rapids)",
    )
    refused = await api.post(f"{PATH}/{first.json()['id']}/approve", headers=specialist)
    assert refused.status_code == 409
    assert "open differences (1, 2)" in refused.json()["detail"]

    corrected = docx_of(
        ["Proposal for Lakeshore Logistics LLC", "Terms", VOIP_CLAUSE],
        table=[["Item 1:", "SIP-TRUNK, 23 channels", "36 months", "MRC $423.20", "NRC $350.00"]],
    )
    second = await api.post(PATH, files={"file": ("offer-v2.docx", corrected, DOCX_TYPE)}, headers=rep)
    assert second.status_code == 201, second.text
    assert (second.json()["version"], second.json()["differences"]) == (2, [])

    approved = await api.post(f"{PATH}/{second.json()['id']}/approve", headers=specialist)

    assert approved.status_code == 200, approved.text
    listed = (await api.get(PATH, headers=rep)).json()
    assert [(p["version"], p["state"], p["approvedBy"]) for p in listed] == [
        (1, "superseded", None),
        (2, "approved", "kim-specialist"),
    ]
    kept = await api.get(f"{PATH}/{first.json()['id']}/document", headers=rep)
    assert (kept.content, kept.headers["content-type"]) == (drafted, "application/pdf")


async def test_a_difference_accepted_with_a_reason_no_longer_stops_the_approval(api, database):
    await _price_sip_trunking_in_detroit(database)
    rep, specialist = signed_in(api, "rep-007", Role.SALES_REP), signed_in(api, "kim-specialist", Role.SPECIALIST)
    # The clause wraps onto a second line, as a PDF's lines do.
    wrap = VOIP_CLAUSE.index(" ", 80)
    text = pdf_of(["Item 1: SIP-TRUNK, 24 months, MRC $423.20, NRC $350.00", VOIP_CLAUSE[:wrap], VOIP_CLAUSE[wrap:]])
    uploaded = (await api.post(PATH, files={"file": ("offer.pdf", text)}, headers=rep)).json()
    [term] = uploaded["differences"]
    assert (term["kind"], term["stated"], term["expected"]) == ("term", "24 months", "36 months")

    accepted = await api.post(
        f"{PATH}/{uploaded['id']}/differences/{term['number']}/accept",
        json={"reason": "a typo the customer saw corrected in the MSA"},
        headers=specialist,
    )
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["openDifferences"] == 0
    assert (await api.post(f"{PATH}/{uploaded['id']}/approve", headers=specialist)).status_code == 200


async def test_a_file_the_desk_cannot_read_or_a_step_by_the_wrong_person_is_refused(api, database):
    await _price_sip_trunking_in_detroit(database)
    rep = signed_in(api, "rep-007", Role.SALES_REP)

    not_a_pdf = await api.post(PATH, files={"file": ("offer.pdf", b"Item 1: MRC $1", "application/pdf")}, headers=rep)
    assert not_a_pdf.status_code == 422
    assert not_a_pdf.headers["content-type"] == "application/problem+json"
    [problem] = not_a_pdf.json()["invalid_params"]
    assert problem["field"] == "file" and "neither a PDF nor a Word" in problem["reason"]

    document = pdf_of([f"Item 1: SIP-TRUNK, 36 months, MRC $423.20, NRC $350.00 {VOIP_CLAUSE}"])
    other_rep = signed_in(api, "rep-999", Role.SALES_REP)
    assert (await api.post(PATH, files={"file": ("x.pdf", document)}, headers=other_rep)).status_code == 404
    uploaded = (await api.post(PATH, files={"file": ("x.pdf", document)}, headers=rep)).json()
    submitter = signed_in(api, "sam-specialist", Role.SPECIALIST)
    assert (await api.post(f"{PATH}/{uploaded['id']}/approve", headers=submitter)).status_code == 403
    assert (await api.post(f"{PATH}/{uploaded['id']}/approve", headers=rep)).status_code == 403
