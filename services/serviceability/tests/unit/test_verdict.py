"""The verdict on a decision: what is announced, and which surveys open, as the outcome changes."""

from datetime import UTC, datetime
from decimal import Decimal

from orderdesk_shared.events.fallout import FalloutKind
from orderdesk_shared.events.order import Account, Address, Channel, ItemPrice, OrderItem, OrderType, ProductOrder
from orderdesk_shared.events.serviceability import ServiceabilityQualified
from serviceability.domain.inventory import AccessMedium, Location
from serviceability.domain.qualification import OrderDecision, Outcome, SiteRequest, SurveyFindings, decide_order
from serviceability.domain.verdict import verdict_on
from serviceability.rules_in_force import load_seed_rules
from serviceability.settings import Settings

RULES = load_seed_rules(Settings.model_construct())
NOW = datetime(2026, 12, 21, 16, 30, tzinfo=UTC)
ORDER = ProductOrder(
    id="PO-1",
    channel=Channel.API,
    order_type=OrderType.ADD,
    account=Account(id="ACC-10001"),
    items=[OrderItem(id="1", product_offering_id="DIA-FIBER", price=ItemPrice(mrc=Decimal("1000")))],
)
NEAR_NET = Location(
    location_id="LOC-1",
    address=Address(street="2900 E 106th St", city="Chicago", state_or_province="IL", postcode="60617"),
    latitude=Decimal("41.7"),
    longitude=Decimal("-87.5"),
    building_lit=False,
    distance_to_fiber_ft=950,
    access_medium=AccessMedium.FIBER,
    max_bandwidth_mbps=10000,
    market="CHI",
)
REQUEST = SiteRequest(
    item_id="1",
    field_path="items[0].location",
    offering_id="DIA-FIBER",
    bandwidth_mbps=500,
    list_mrc=None,
    location_id="LOC-1",
    address=None,
)


def decided(surveys: dict[str, SurveyFindings] | None = None) -> OrderDecision:
    return decide_order([REQUEST], {"1": NEAR_NET}, RULES, surveys=surveys or {})


def verdict(decision: OrderDecision, *, before: Outcome | None, surveys_open_for=()):
    return verdict_on(
        ORDER,
        order_id="PO-1",
        order_version=1,
        decision=decision,
        before=before,
        rules=RULES,
        now=NOW,
        surveys_open_for=surveys_open_for,
    )


def test_a_held_order_gets_a_survey_for_its_site_unless_one_is_open():
    first = verdict(decided(), before=None)
    assert [event.kind for event in first.events] == [FalloutKind.HELD]
    [survey] = first.surveys_to_open
    assert (survey.item_id, survey.location_id, survey.opened_at) == ("1", "LOC-1", NOW)
    assert verdict(decided(), before=None, surveys_open_for={"1"}).surveys_to_open == ()


def test_an_outcome_as_it_was_announces_nothing():
    assert verdict(decided(), before=Outcome.HELD).events == ()


def test_a_held_order_qualified_by_its_survey_is_released_before_it_is_announced_qualified():
    surveyed = decided({"1": SurveyFindings(survey_id="SRV-1", distance_to_fiber_ft=640)})
    released, qualified = verdict(surveyed, before=Outcome.HELD).events
    assert released.kind is FalloutKind.RELEASED
    assert "site survey SRV-1 confirmed 640 ft" in released.findings[0].message
    assert isinstance(qualified, ServiceabilityQualified)
    assert verdict(surveyed, before=None).events == (qualified,)  # first decided: nothing to release
