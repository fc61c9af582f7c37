"""The decisions handlers act on, taken on their own: hand off or hold, what a cancel does, what a report does."""

from dataclasses import replace
from datetime import UTC, date, datetime

from fulfillment_handoff.domain.billing import CodeKey
from fulfillment_handoff.domain.fulfillment import Fulfillment, HandedOff, WaitingFor, decide_ops_report
from fulfillment_handoff.domain.handoff import PriorHandOff, decide_cancel, decide_hand_off, waiting_for
from fulfillment_handoff.reference import load_seed_billing_codes
from fulfillment_handoff.rules_in_force import load_rules
from fulfillment_handoff.settings import Settings
from orderdesk_shared.events.fallout import FalloutKind
from orderdesk_shared.events.operations import OpsOrderStatusChanged, OpsStatus
from orderdesk_shared.events.order import BillingAccount, ClientAccounts
from orderdesk_shared.order_versions import Standing

RULES = load_rules(Settings.model_construct())
NOW = datetime(2026, 12, 7, 15, 30, tzinfo=UTC)
SIP_IN_GRAND_RAPIDS = ("SIP-TRUNK", "grand-rapids")


def decide(approved, prior: PriorHandOff):
    return decide_hand_off(approved, [], markets=RULES.markets, paths=RULES.paths, prior=prior, now=NOW)


def test_a_hold_is_announced_for_a_new_version_and_not_again_for_the_same_findings(approved):
    order = approved("PO-1", SIP_IN_GRAND_RAPIDS)
    first = decide(order, PriorHandOff())
    [held] = first.events
    assert held.kind is FalloutKind.HELD
    assert first.hand_off is None and first.hold["held_at"] == NOW

    held_so = PriorHandOff(version=1, was_held=True, held_for=first.hold["findings"])
    again = decide(order, held_so)
    assert again.events == [] and again.hold == first.hold
    of_a_correction = decide(approved("PO-1", SIP_IN_GRAND_RAPIDS, version=2), held_so)
    assert [event.kind for event in of_a_correction.events] == [FalloutKind.HELD]


def test_an_order_in_no_market_is_held_on_no_ticket(approved):
    decision = decide(approved("PO-1", ("DIA-FIBER", "dallas")), PriorHandOff())
    assert decision.waits_on == []
    assert [finding["reasonCode"] for finding in decision.hold["findings"]] == ["INVALID_ADDRESS"]


def test_a_held_order_handed_off_is_released_first_and_replaces_what_operations_has(approved):
    order = approved("PO-1", ("DIA-FIBER", "chicago"), version=3)
    codes = load_seed_billing_codes(RULES.markets)
    decision = decide_hand_off(
        order,
        codes,
        markets=RULES.markets,
        paths=RULES.paths,
        prior=PriorHandOff(version=2, was_held=True, replaces_version=1),
        now=NOW,
    )
    released, handed_off = decision.events
    assert (released.kind, handed_off.replaces_version) == (FalloutKind.RELEASED, 1)
    assert decision.releases_waits
    assert (decision.hand_off["handed_off_at"], decision.hand_off["item_ids"]) == (NOW, ["1"])


HANDED_OFF = HandedOff(version=1, on=date(2026, 12, 1), item_ids=("1",))


def test_a_cancel_drops_a_hold_cancels_a_superseded_row_and_stops_unfinished_work_once():
    held = decide_cancel("held", None, order_id="PO-1", reason="r")
    assert (held.drops_hold, held.state, held.stop) == (True, "cancelled", None)
    superseded = decide_cancel("superseded", HANDED_OFF, order_id="PO-1", reason="r")
    assert (superseded.drops_hold, superseded.state, superseded.stop.order_version) == (False, "cancelled", 1)
    asked = replace(HANDED_OFF, cancel_sent=True)
    assert decide_cancel("handed-off", asked, order_id="PO-1", reason="r").stop is None
    installed = replace(HANDED_OFF, fulfillment=Fulfillment(OpsStatus.INSTALLED))
    assert decide_cancel("handed-off", installed, order_id="PO-1", reason="r").stop is None


def test_a_report_on_a_corrected_order_is_ignored_but_on_a_cancelled_one_it_counts():
    accepted = OpsOrderStatusChanged(order_id="PO-1", order_version=1, status=OpsStatus.ACCEPTED)
    corrected = decide_ops_report(accepted, HANDED_OFF, Standing("PO-1", 2, None), today=NOW.date())
    assert (corrected.outcome, corrected.fulfillment) == (
        "ignored: order PO-1 was corrected: version 2 replaces version 1",
        None,
    )
    cancelled = decide_ops_report(accepted, HANDED_OFF, Standing("PO-1", 1, "withdrawn"), today=NOW.date())
    assert (cancelled.outcome, cancelled.fulfillment.status, cancelled.ends_order) == (
        "applied",
        OpsStatus.ACCEPTED,
        False,
    )


def test_a_held_order_waits_for_the_catalogue_team_or_for_a_corrected_order_when_no_code_would_do():
    missing = [CodeKey("SIP-TRUNK", "ICOMS", "GRR"), CodeKey("DIA-FIBER", "ICOMS", "GRR")]
    assert waiting_for("held", None, missing_codes=missing, standing=None) == WaitingFor(
        "catalogue team", "billing codes for SIP-TRUNK in GRR (ICOMS), DIA-FIBER in GRR (ICOMS)"
    )
    assert waiting_for("held", None, missing_codes=[], standing=None).who == "sales desk"


def test_a_superseded_order_waits_for_its_correction_and_a_handed_off_one_for_operations():
    corrected = Standing("PO-1", 3, None)
    assert waiting_for("superseded", None, missing_codes=[], standing=corrected) == WaitingFor(
        "earlier stages", "the correction, version 3, to be approved and handed off"
    )
    assert waiting_for("handed-off", HANDED_OFF, missing_codes=[], standing=None) == WaitingFor(
        "operations", "accept the order"
    )
    installed = replace(HANDED_OFF, fulfillment=Fulfillment(OpsStatus.INSTALLED))
    assert waiting_for("handed-off", installed, missing_codes=[], standing=None) is None


def test_each_billing_line_names_the_clients_billing_account_in_its_system(approved):
    order = approved("PO-1", ("DIA-FIBER", "chicago"), ("DIA-FIBER", "grand-rapids"))
    accounts = ClientAccounts(
        client_id="CL-000001",
        legal_name="Acme",
        billing_accounts=[
            BillingAccount(number="8155000000000428", billing_system="CSG"),
            BillingAccount(number="ICM-000000422", billing_system="ICOMS"),
        ],
    )
    with_accounts = order.model_copy(update={"order": order.order.model_copy(update={"accounts": accounts})})
    decision = decide_hand_off(
        with_accounts,
        load_seed_billing_codes(RULES.markets),
        markets=RULES.markets,
        paths=RULES.paths,
        prior=PriorHandOff(),
        now=NOW,
    )
    [handed_off] = decision.events
    assert {(line.market, line.billing_account) for line in handed_off.billing_lines} == {
        ("CHI", "8155000000000428"),
        ("GRR", "ICM-000000422"),
    }
    assert handed_off.order.accounts == accounts
