"""Whether and how each site can be served (DOMAIN.md, "Serviceability"), and what that means for the order.

Per site: on-net (building lit), near-net (not lit, within the policy distance of our plant: build,
after a site survey confirms the distance), off-net (farther, or no medium: Type-2 third-party access
for the offering families that allow it, else not serviceable), or unknown (not in the inventory:
a site survey decides). A bandwidth above the location's maximum gets the fastest tier that fits as
a TMF645 alternate. The order is qualified only when every site is.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from enum import StrEnum

from orderdesk_shared.events.fallout import Finding
from orderdesk_shared.events.order import Address, ItemAction, ProductOrder
from orderdesk_shared.events.serviceability import NetworkReach, QualificationResult, SiteQualification
from serviceability.domain.inventory import AccessMedium, Location
from serviceability.domain.rules import BANDWIDTH, Rules

SITE_SURVEY_REQUIRED = "SITE_SURVEY_REQUIRED"
NOT_SERVICEABLE = "NOT_SERVICEABLE"
BANDWIDTH_ALTERNATE = "BANDWIDTH_ALTERNATE"
# Why a TMF645 check's item cannot be checked (OrderDesk's codes for its eligibilityUnavailabilityReason).
SERVICE_SPECIFICATION_REQUIRED = "SERVICE_SPECIFICATION_REQUIRED"
UNKNOWN_SERVICE_SPECIFICATION = "UNKNOWN_SERVICE_SPECIFICATION"
PLACE_REQUIRED = "PLACE_REQUIRED"
UNKNOWN_PLACE = "UNKNOWN_PLACE"
INVALID_ADDRESS = "INVALID_ADDRESS"
INVALID_VALUE = "INVALID_VALUE"


@dataclass(frozen=True)
class SiteRequest:
    """One item to be served at one site, as an order or a TMF645 check asks for it."""

    item_id: str
    field_path: str  # where the site is on the request, for findings
    offering_id: str
    bandwidth_mbps: int | None = None
    list_mrc: Decimal | None = None
    location_id: str | None = None
    address: Address | None = None

    @property
    def place(self) -> str:
        """The site in words, for people."""
        if self.address:
            address = self.address
            where = f"{address.street}, {address.city} {address.state_or_province} {address.postcode}"
            return f"{where} ({self.location_id})" if self.location_id else where
        return self.location_id or "no address given"


@dataclass(frozen=True)
class SurveyFindings:
    """What a surveyor confirmed on site."""

    survey_id: str
    distance_to_fiber_ft: int


@dataclass(frozen=True)
class SiteDecision:
    request: SiteRequest
    reach: NetworkReach
    result: QualificationResult
    location: Location | None = None
    access_medium: AccessMedium | None = None
    distance_to_fiber_ft: int | None = None
    construction_estimate: Decimal | None = None
    vendor_mrc_cost: Decimal | None = None
    alternate_bandwidth_mbps: int | None = None
    survey_required: bool = False
    survey: SurveyFindings | None = None
    findings: tuple[Finding, ...] = ()

    @property
    def max_bandwidth_mbps(self) -> int | None:
        return self.location.max_bandwidth_mbps if self.location else None

    def reason_codes(self) -> list[str]:
        return [finding.reason_code for finding in self.findings]

    def summary(self) -> dict:
        """The decision as people and the order view read it (camelCase, amounts as strings)."""
        event = self.to_event().model_dump(mode="json", by_alias=True, exclude_none=True)
        return event | {
            "offeringId": self.request.offering_id,
            "site": self.request.place,
            "requestedBandwidthMbps": self.request.bandwidth_mbps,
            "alternateBandwidthMbps": self.alternate_bandwidth_mbps,
            "siteSurveyRequired": self.survey_required,
            "reasonCodes": self.reason_codes(),
        }

    def to_event(self) -> SiteQualification:
        return SiteQualification(
            item_id=self.request.item_id,
            location_id=self.location.location_id if self.location else None,
            reach=self.reach,
            result=self.result,
            access_medium=self.access_medium,
            max_bandwidth_mbps=self.max_bandwidth_mbps,
            construction_estimate=self.construction_estimate,
            vendor_mrc_cost=self.vendor_mrc_cost,
            market=self.location.market if self.location else None,
            distance_to_fiber_ft=self.distance_to_fiber_ft,
            site_survey_id=self.survey.survey_id if self.survey else None,
        )


class Outcome(StrEnum):
    """What the decision means for the order; the strongest wins, in this order."""

    REJECTED = "rejected"  # a site cannot be served at all
    HELD = "held"  # a site survey must come first
    PENDING = "pending"  # the rep must accept an alternate bandwidth, or cancel
    QUALIFIED = "qualified"


@dataclass(frozen=True)
class OrderDecision:
    sites: list[SiteDecision] = field(default_factory=list)

    @property
    def outcome(self) -> Outcome:
        codes = {code for site in self.sites for code in site.reason_codes()}
        if NOT_SERVICEABLE in codes:
            return Outcome.REJECTED
        if any(site.survey_required for site in self.sites):
            return Outcome.HELD
        if BANDWIDTH_ALTERNATE in codes:
            return Outcome.PENDING
        return Outcome.QUALIFIED

    @property
    def findings(self) -> list[Finding]:
        return [finding for site in self.sites for finding in site.findings]


def site_requests(order: ProductOrder, rules: Rules) -> list[SiteRequest]:
    """The order's items that need a site: offerings delivered on site, being added or changed (not removed)."""
    return [
        SiteRequest(
            item_id=item.id,
            field_path=f"items[{index}].location",
            offering_id=item.product_offering_id,
            bandwidth_mbps=_bandwidth(item.characteristics.get(BANDWIDTH)),
            list_mrc=item.price.mrc * item.quantity if item.price and item.price.mrc is not None else None,
            location_id=item.location.location_id if item.location else None,
            address=item.location.address if item.location else None,
        )
        for index, item in enumerate(order.items)
        if item.product_offering_id in rules.offerings and item.action in (ItemAction.ADD, ItemAction.MODIFY)
    ]


def _bandwidth(value: object) -> int | None:
    try:
        return int(value) if value is not None and not isinstance(value, bool) else None
    except ValueError:
        return None


def decide_order(
    requests: Sequence[SiteRequest],
    locations: Mapping[str, Location],
    rules: Rules,
    *,
    surveys: Mapping[str, SurveyFindings] | None = None,
) -> OrderDecision:
    """Decide every site; `locations` and `surveys` are keyed by item id."""
    surveys = surveys or {}
    return OrderDecision(
        sites=[
            decide_site(request, locations.get(request.item_id), rules, survey=surveys.get(request.item_id))
            for request in requests
        ]
    )


def decide_site(
    request: SiteRequest, location: Location | None, rules: Rules, *, survey: SurveyFindings | None = None
) -> SiteDecision:
    """How one site is served: reach from the inventory (or the survey's confirmed distance), then bandwidth."""
    policy = rules.policy
    if location is None and survey is None:
        return SiteDecision(
            request=request,
            reach=NetworkReach.UNKNOWN,
            result=QualificationResult.UNQUALIFIED,
            survey_required=True,
            findings=(
                Finding(
                    reason_code=SITE_SURVEY_REQUIRED,
                    field_path=request.field_path,
                    message=f"{request.place} is not in the location inventory: a site survey decides how it is served",
                    fix="Nothing to do unless the address is wrong; the order continues once the survey is done.",
                ),
            ),
        )
    distance = survey.distance_to_fiber_ft if survey else location.distance_to_fiber_ft
    if location is not None and location.building_lit:
        decision = SiteDecision(
            request=request,
            reach=NetworkReach.ON_NET,
            result=QualificationResult.QUALIFIED,
            location=location,
            access_medium=location.access_medium,
            distance_to_fiber_ft=0,
        )
    elif (location is None or location.access_medium is not AccessMedium.NONE) and (
        distance <= policy.near_net.max_distance_to_fiber_ft
    ):
        decision = _near_net(request, location, distance, rules, survey=survey)
    else:
        decision = _off_net(request, location, distance, rules, survey=survey)
    if decision.result is QualificationResult.QUALIFIED:
        return _fit_bandwidth(decision, rules)
    return decision


def _near_net(
    request: SiteRequest, location: Location | None, distance: int, rules: Rules, *, survey: SurveyFindings | None
) -> SiteDecision:
    estimate = rules.policy.construction.estimate(distance)
    findings = ()
    if survey is None:
        findings = (
            Finding(
                reason_code=SITE_SURVEY_REQUIRED,
                field_path=request.field_path,
                message=(
                    f"{request.place} is near-net, {distance:,} ft from our fiber: construction is estimated at "
                    f"${estimate:,}; a site survey confirms the distance before capital review"
                ),
                fix="Nothing to do; the order continues once the survey is done.",
            ),
        )
    return SiteDecision(
        request=request,
        reach=NetworkReach.NEAR_NET,
        result=QualificationResult.QUALIFIED,
        location=location,
        access_medium=AccessMedium.FIBER,
        distance_to_fiber_ft=distance,
        construction_estimate=estimate,
        survey_required=survey is None,
        survey=survey,
        findings=findings,
    )


def _off_net(
    request: SiteRequest, location: Location | None, distance: int, rules: Rules, *, survey: SurveyFindings | None
) -> SiteDecision:
    off_net = rules.policy.off_net
    family = rules.offerings[request.offering_id].family
    if family in off_net.offering_families:
        return SiteDecision(
            request=request,
            reach=NetworkReach.OFF_NET,
            result=QualificationResult.QUALIFIED,
            location=location,
            distance_to_fiber_ft=distance,
            vendor_mrc_cost=off_net.vendor_cost(request.list_mrc) if request.list_mrc is not None else None,
            survey=survey,
        )
    families = " and ".join(sorted(off_net.offering_families))
    return SiteDecision(
        request=request,
        reach=NetworkReach.OFF_NET,
        result=QualificationResult.UNQUALIFIED,
        location=location,
        distance_to_fiber_ft=distance,
        survey=survey,
        findings=(
            Finding(
                reason_code=NOT_SERVICEABLE,
                field_path=request.field_path,
                message=(
                    f"{request.place} is off-net ({distance:,} ft from our plant) and {request.offering_id} "
                    f"({family}) cannot ride third-party access; only {families} offerings can"
                ),
                fix="Remove this site from the order, or sell an offering that third-party access can carry.",
            ),
        ),
    )


def _fit_bandwidth(decision: SiteDecision, rules: Rules) -> SiteDecision:
    requested, most = decision.request.bandwidth_mbps, decision.max_bandwidth_mbps
    if requested is None or most is None or requested <= most:
        return decision
    request = decision.request
    alternate = rules.offerings[request.offering_id].highest_tier_within(most)
    if alternate is None:
        return _with(
            decision,
            result=QualificationResult.UNQUALIFIED,
            finding=Finding(
                reason_code=NOT_SERVICEABLE,
                field_path=request.field_path,
                message=f"{request.place} carries at most {most:,} Mbps, less than any tier of {request.offering_id}",
                fix="Remove this site from the order, or sell an offering with a slower tier.",
            ),
        )
    return _with(
        decision,
        result=QualificationResult.ALTERNATE,
        alternate_bandwidth_mbps=alternate,
        finding=Finding(
            reason_code=BANDWIDTH_ALTERNATE,
            field_path=request.field_path,
            message=(
                f"{request.place} carries at most {most:,} Mbps; {requested:,} Mbps was asked, "
                f"{alternate:,} Mbps is the fastest tier of {request.offering_id} that fits"
            ),
            fix=f"Change the bandwidth to {alternate:,} Mbps to accept the alternate, or cancel the order.",
        ),
    )


def _with(decision: SiteDecision, *, finding: Finding, **changes) -> SiteDecision:
    return replace(decision, findings=(*decision.findings, finding), **changes)


@dataclass(frozen=True)
class CheckItem:
    """One item of a TMF645 check: the site it asks about, and why it cannot be checked, if it cannot."""

    request: SiteRequest
    problems: tuple[Finding, ...] = ()


def decide_check(
    items: Sequence[CheckItem], locations: Mapping[str, Location], rules: Rules, *, alternates_wanted: bool
) -> list[SiteDecision]:
    """Each item of a TMF645 check, as the standard answers it.

    An item that cannot be checked is unqualified, with its problems as reasons. A location id the
    inventory does not know, with no address to survey, is an unknown place. Every other item is
    decided as an order's site is; an alternate the client did not ask for (`provideAlternative`)
    leaves the item unqualified, the reason naming the alternate.
    """
    decisions = []
    for item in items:
        request, location = item.request, locations.get(item.request.item_id)
        if item.problems:
            decision = _cannot_check(request, item.problems)
        elif location is None and request.address is None:
            decision = _cannot_check(
                request,
                (
                    Finding(
                        reason_code=UNKNOWN_PLACE,
                        field_path=request.field_path,
                        message=f"{request.location_id} is not a location of the inventory",
                        fix="Give the site's address (street with its number, city, state and ZIP) instead.",
                    ),
                ),
            )
        else:
            decision = decide_site(request, location, rules)
        if decision.result is QualificationResult.ALTERNATE and not alternates_wanted:
            decision = replace(decision, result=QualificationResult.UNQUALIFIED)
        decisions.append(decision)
    return decisions


def _cannot_check(request: SiteRequest, problems: tuple[Finding, ...]) -> SiteDecision:
    return SiteDecision(
        request=request, reach=NetworkReach.UNKNOWN, result=QualificationResult.UNQUALIFIED, findings=problems
    )


def check_result(sites: Sequence[SiteDecision]) -> QualificationResult:
    """TMF645's result of a whole check: unqualified when any item is, else alternate when any is, else qualified."""
    results = {site.result for site in sites}
    return next(
        (result for result in (QualificationResult.UNQUALIFIED, QualificationResult.ALTERNATE) if result in results),
        QualificationResult.QUALIFIED,
    )
