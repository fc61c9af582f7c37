"""A proposal a sales rep wrote themselves, reviewed by the desk in the running stack: for SIP trunking in Detroit,
whose market policy requires the VoIP emergency-calling clause, the rep's Word document quotes a wrong price and
leaves the clause out; the review lists both, the console's order page shows them, and the corrected version is
approved."""

import io

import docx
import httpx
import pytest

from console.pages import TOKEN_COOKIE
from orderdesk_shared.auth import Role
from orderdesk_stack.pipeline import PRODUCT_ORDER_PATH
from orderdesk_stack.testing import eventually
from tests.e2e.order_journeys import RENAISSANCE_CENTER_DETROIT, gigabit_internet_item, gigabit_internet_order

pytestmark = pytest.mark.e2e

# Market policy MI-VOIP-911's clause, as policies/market_policies.v1.toml words it.
VOIP_911_CLAUSE = (
    "Voice service over IP may not reach emergency services during a power or network outage; the customer keeps the"
    " registered location of each line current."
)
WORD_DOCUMENT = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _sip_trunking_in_detroit() -> dict:
    """A new client's order for SIP trunking, 23 channels for 36 months at the Renaissance Center: $423.20 a month
    ($460.00 listed, less the 8% term discount) and $350.00 activation."""
    body = gigabit_internet_order(discount_percent=0, seed=77)
    item = gigabit_internet_item([{"role": "serviceLocation", **RENAISSANCE_CENTER_DETROIT}], mrc=423.20, nrc=350)
    item["productOffering"] = {"id": "SIP-TRUNK"}
    item["product"]["productCharacteristic"] = [{"name": "channels", "value": 23}]
    body["productOrderItem"] = [item]
    return body


def _word_document(*paragraphs: str) -> bytes:
    document = docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


async def test_a_reps_proposal_with_a_wrong_price_and_no_voip_clause_is_reviewed_and_its_correction_approved(
    stack, intake, people
):
    rep, specialist = people["rep"], people["specialist"]
    created = await intake.post(PRODUCT_ORDER_PATH, json=_sip_trunking_in_detroit(), headers=rep)
    assert created.status_code == 201, created.text
    order_id = created.json()["id"]
    rep_proposals = f"/pricing/orders/{order_id}/rep-proposals"
    async with (
        httpx.AsyncClient(base_url=stack.service_url("pricing-approval"), timeout=30.0) as pricing,
        httpx.AsyncClient(
            base_url=stack.service_url("console"),
            cookies={TOKEN_COOKIE: stack.token_signer.mint("dana", [Role.SPECIALIST])},
            timeout=30.0,
            follow_redirects=True,
        ) as console,
    ):

        async def quote() -> int:
            return (await pricing.get(f"/pricing/orders/{order_id}", headers=rep)).status_code

        await eventually(quote, lambda status: status == 200, what=f"{order_id} to be priced")

        drafted = _word_document(
            "Proposal for your voice service",
            "Item 1: SIP trunking, 23 channels, 36-month term, MRC $399.00, activation $350.00",
            "Our standard terms and conditions apply.",
        )
        first = await pricing.post(rep_proposals, files={"file": ("voice.docx", drafted, WORD_DOCUMENT)}, headers=rep)
        assert first.status_code == 201, first.text
        listed = (await pricing.get(rep_proposals, headers=specialist)).json()
        [reviewed] = listed
        assert [(d["kind"], d["stated"], d["expected"], d["source"]) for d in reviewed["differences"]] == [
            ("mrc", "$399.00", "$423.20", "the order's priced quote (catalogue catalogue/1)"),
            ("legal-clause", "missing", VOIP_911_CLAUSE, "market policy MI-VOIP-911 (Detroit, Grand Rapids)"),
        ]
        page = (await console.get(f"/orders/{order_id}")).text
        assert 'id="rep-proposals"' in page and "<td>$399.00</td><td>$423.20</td>" in page and "MI-VOIP-911" in page
        refused = await pricing.post(f"{rep_proposals}/{reviewed['id']}/approve", headers=specialist)
        assert refused.status_code == 409

        corrected = _word_document(
            "Proposal for your voice service",
            "Item 1: SIP trunking, 23 channels, 36-month term, MRC $423.20, activation $350.00",
            f"Emergency calling. {VOIP_911_CLAUSE}",
        )
        second = await pricing.post(
            rep_proposals, files={"file": ("voice-v2.docx", corrected, WORD_DOCUMENT)}, headers=rep
        )
        assert second.status_code == 201, second.text
        assert (second.json()["version"], second.json()["differences"]) == (2, [])
        approved = await console.post(f"/orders/{order_id}/rep-proposals/{second.json()['id']}/approve")
        assert "Approved version 2 of the rep" in approved.text

        versions = (await pricing.get(rep_proposals, headers=rep)).json()
    assert [(v["version"], v["state"], v["approvedBy"]) for v in versions] == [
        (1, "superseded", None),
        (2, "approved", "dana"),
    ]
