"""The TMF645 CheckServiceQualification resource: what a rep asks before ordering, and the answer.

The shape follows TMF645 v4 (../shared/standards). A qualification item names the offering as its
`service.serviceSpecification.id` (e.g. `DIA-FIBER`), the bandwidth as the `bandwidth_mbps`
`serviceCharacteristic`, and the site as a `service.place`: a known location id, or a
GeographicAddress value. OrderDesk extensions on each answered item, allowed by TMF's polymorphism:
`networkReach`, `accessMedium`, `maxBandwidthMbps`, `distanceToFiberFt`, `constructionEstimate`,
`market`, `locationId` and `siteSurveyRequired`.
"""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from orderdesk_shared.addresses import UnreadableAddress, normalize_address
from orderdesk_shared.events.order import Address
from orderdesk_shared.events.serviceability import QualificationResult
from orderdesk_shared.limits import CHARACTERISTICS, REQUEST_LIMITS, Identifier, Note
from serviceability.domain.qualification import OrderDecision, SiteDecision, SiteRequest
from serviceability.domain.rules import BANDWIDTH, Rules

API_ROOT = "/tmf-api/serviceQualificationManagement/v4"


class _TmfModel(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True, **REQUEST_LIMITS)


class Characteristic(_TmfModel):
    name: str
    value: str | int | float | bool


class ServiceSpecificationRef(_TmfModel):
    id: str
    name: str | None = None


class Place(_TmfModel):
    """A RelatedPlaceRefOrValue: a known location id, or a GeographicAddress value."""

    id: str | None = None
    role: str = "installationPlace"
    streetNr: str | None = None
    streetName: str | None = None
    city: str | None = None
    stateOrProvince: str | None = None
    postcode: str | None = None
    country: str = "US"


class Service(_TmfModel):
    serviceSpecification: ServiceSpecificationRef
    serviceCharacteristic: list[Characteristic] = Field(default_factory=list, max_length=CHARACTERISTICS)
    place: list[Place] = Field(min_length=1, max_length=1)


class CheckServiceQualificationItem(_TmfModel):
    id: str = Field(min_length=1)
    service: Service


class CheckServiceQualificationCreate(_TmfModel):
    """CheckServiceQualification_Create: what a client POSTs."""

    description: Note | None = None
    externalId: Identifier | None = None
    provideAlternative: bool = True
    provideUnavailabilityReason: bool = True
    instantSyncQualification: bool = True
    serviceQualificationItem: list[CheckServiceQualificationItem] = Field(min_length=1, max_length=100)


class InvalidCheck(ValueError):
    """Items that cannot be checked: each error has the `loc` of its field in the request and a `msg`."""

    def __init__(self, errors: list[dict]) -> None:
        super().__init__(f"{len(errors)} field(s) need fixing")
        self.errors = errors


def site_requests(check: CheckServiceQualificationCreate, rules: Rules) -> list[SiteRequest]:
    """One site request per item; raises InvalidCheck naming every item that cannot be checked."""
    requests, errors = [], []

    def invalid(index: int, *path: str | int, msg: str) -> None:
        errors.append({"loc": ("body", "serviceQualificationItem", index, *path), "msg": msg, "type": "value_error"})

    for index, item in enumerate(check.serviceQualificationItem):
        service, place = item.service, item.service.place[0]
        if item.id in {request.item_id for request in requests}:
            invalid(index, "id", msg=f"item id {item.id!r} is used twice")
        offering_id = service.serviceSpecification.id
        if offering_id not in rules.offerings:
            served = ", ".join(sorted(rules.offerings))
            invalid(
                index,
                "service",
                "serviceSpecification",
                "id",
                msg=f"{offering_id!r} is not served at a site ({served})",
            )
        bandwidth = next((c.value for c in service.serviceCharacteristic if c.name == BANDWIDTH), None)
        if bandwidth is not None and (isinstance(bandwidth, bool) or not str(bandwidth).isdigit()):
            invalid(index, "service", "serviceCharacteristic", msg=f"{BANDWIDTH} {bandwidth!r} is not a whole number")
            bandwidth = None
        address = _address(place)
        if address is not None:
            try:
                address = normalize_address(address)
            except UnreadableAddress as error:
                invalid(index, "service", "place", 0, msg=f"the address cannot be read: {error.reason}")
        elif place.id is None:
            invalid(
                index,
                "service",
                "place",
                0,
                msg="give a location id, or the street with its number, city, state and ZIP",
            )
        requests.append(
            SiteRequest(
                item_id=item.id,
                field_path=f"serviceQualificationItem[{index}].service.place",
                offering_id=offering_id,
                bandwidth_mbps=int(bandwidth) if bandwidth is not None else None,
                location_id=place.id,
                address=address,
            )
        )
    if errors:
        raise InvalidCheck(errors)
    return requests


def _address(place: Place) -> Address | None:
    if not (place.streetName and place.city):
        return None
    return Address(
        street=" ".join(part for part in (place.streetNr, place.streetName) if part),
        city=place.city,
        state_or_province=place.stateOrProvince or "",
        postcode=place.postcode or "",
        country=place.country,
    )


def to_resource(
    check_id: str, check: CheckServiceQualificationCreate, decision: OrderDecision, *, checked_at: datetime
) -> dict:
    """The answered CheckServiceQualification, every item decided at once (instant, synchronous)."""
    results = {site.result for site in decision.sites}
    overall = next(
        (r for r in (QualificationResult.UNQUALIFIED, QualificationResult.ALTERNATE) if r in results),
        QualificationResult.QUALIFIED,
    )
    items = {item.id: item for item in check.serviceQualificationItem}
    resource = {
        "id": check_id,
        "href": f"{API_ROOT}/checkServiceQualification/{check_id}",
        "@type": "CheckServiceQualification",
        "checkServiceQualificationDate": checked_at.isoformat(),
        "effectiveQualificationDate": checked_at.isoformat(),
        "description": check.description,
        "externalId": check.externalId,
        "instantSyncQualification": check.instantSyncQualification,
        "provideAlternative": check.provideAlternative,
        "provideUnavailabilityReason": check.provideUnavailabilityReason,
        "state": "done",
        "qualificationResult": overall,
        "serviceQualificationItem": [_item(site, items[site.request.item_id], check) for site in decision.sites],
    }
    return {name: value for name, value in resource.items() if value is not None}


def _item(site: SiteDecision, asked: CheckServiceQualificationItem, check: CheckServiceQualificationCreate) -> dict:
    item: dict = {
        "id": asked.id,
        "@type": "ServiceQualificationItem",
        "state": "done",
        "qualificationResult": site.result,
        "service": asked.service.model_dump(exclude_none=True) | {"@type": "Service"},
        "networkReach": site.reach,
        "siteSurveyRequired": site.survey_required,
    }
    extensions = {
        "locationId": site.location.location_id if site.location else None,
        "market": site.location.market if site.location else None,
        "accessMedium": site.access_medium,
        "maxBandwidthMbps": site.max_bandwidth_mbps,
        "distanceToFiberFt": site.distance_to_fiber_ft,
        "constructionEstimate": {"unit": "USD", "value": str(site.construction_estimate)}
        if site.construction_estimate is not None
        else None,
    }
    item |= {name: value for name, value in extensions.items() if value is not None}
    if check.provideUnavailabilityReason and site.findings:
        item["eligibilityUnavailabilityReason"] = [
            {"code": finding.reason_code, "label": finding.message, "@type": "ServiceEligibilityUnavailabilityReason"}
            for finding in site.findings
        ]
    if check.provideAlternative and site.alternate_bandwidth_mbps is not None:
        item["alternateServiceProposal"] = [
            {
                "id": "1",
                "@type": "AlternateServiceProposal",
                "alternateService": {
                    "@type": "Service",
                    "serviceSpecification": asked.service.serviceSpecification.model_dump(exclude_none=True),
                    "serviceCharacteristic": [
                        {"name": BANDWIDTH, "valueType": "integer", "value": site.alternate_bandwidth_mbps}
                    ],
                },
            }
        ]
    return item
