"""TMF645 checkServiceQualification as a TMF client sees it, on the real schema and the seed inventory: every
spec-valid request answered (201, per item qualified / alternate / unqualified with the reasons), every answer
conformant to the published CheckServiceQualification, and only what the specification refuses a 400."""

import copy
import json

import pytest

from orderdesk_shared.auth import Role
from orderdesk_shared.published_specs import STANDARDS, TMF645, PublishedSpec
from serviceability.rules_in_force import load_seed_rules
from serviceability.settings import Settings
from services.serviceability.tests.integration.conftest import bearer

pytestmark = pytest.mark.integration

CHECK = "/tmf-api/serviceQualificationManagement/v4/checkServiceQualification"
QUERY = "/tmf-api/serviceQualificationManagement/v4/queryServiceQualification"
SPEC = PublishedSpec.named(TMF645)
EXAMPLE = json.loads((STANDARDS / "CheckServiceQualification.example.json").read_text())
# What the published CheckServiceQualification_Create leaves to the server ("Skipped properties").
SERVER_SET = ("id", "href", "state", "effectiveQualificationDate", "qualificationResult", "expirationDate",
              "checkServiceQualificationDate", "estimatedResponseDate")  # fmt: skip
ITEM_SERVER_SET = ("alternateServiceProposal", "state", "qualificationResult")
# The fields the published example answers with, which every answer carries.
ANSWER_FIELDS = {
    "id", "href", "@type", "checkServiceQualificationDate", "effectiveQualificationDate", "instantSyncQualification",
    "provideAlternative", "provideUnavailabilityReason", "qualificationResult", "serviceQualificationItem", "state",
}  # fmt: skip
REP = bearer("rep-001", Role.SALES_REP)
OPS = bearer("sam", Role.OPERATIONS)


def place(street_nr: str, street_name: str, city: str, state: str, postcode: str) -> dict:
    return {"role": "installationPlace", "streetNr": street_nr, "streetName": street_name, "city": city,
            "stateOrProvince": state, "postcode": postcode, "@type": "GeographicAddress"}  # fmt: skip


ON_NET = place("233", "S Wacker Dr", "Chicago", "IL", "60606")
NEAR_NET = place("2900", "E 106th St", "Chicago", "IL", "60617")
AT_MOST_1000_MBPS = place("1342", "University Ave SE", "Minneapolis", "MN", "55414")
OFF_NET_NO_MEDIUM = {"role": "installationPlace", "id": "LOC-CHI-0026"}
NOT_IN_INVENTORY = place("1", "Nowhere Ln", "Chicago", "IL", "60601")


def item(item_id: str | None, offering: str, site: dict | None, bandwidth: object = None) -> dict:
    service: dict = {"serviceSpecification": {"id": offering}}
    if site:
        service["place"] = [site]
    if bandwidth is not None:
        service["serviceCharacteristic"] = [{"name": "bandwidth_mbps", "valueType": "integer", "value": bandwidth}]
    return {"service": service} | ({"id": item_id} if item_id else {})


async def checked(api, body: dict) -> dict:
    """POST the check: 201, and the answer conforms to the published CheckServiceQualification."""
    answered = await api.post(CHECK, json=body, headers=REP)
    assert answered.status_code == 201, answered.text
    check = answered.json()
    assert [error.field for error in SPEC.errors("CheckServiceQualification", check, answer=True)] == []
    assert set(check) >= ANSWER_FIELDS
    return check


def without(document: dict, name: str) -> dict:
    return {key: value for key, value in document.items() if key != name}


def results(check: dict) -> list[tuple[str, str, list[str]]]:
    return [
        (i["id"], i["qualificationResult"], [r["code"] for r in i.get("eligibilityUnavailabilityReason", [])])
        for i in check["serviceQualificationItem"]
    ]


async def test_the_published_example_is_answered_and_reads_back_conformant(api):
    body = {name: value for name, value in EXAMPLE.items() if name not in SERVER_SET}
    body["serviceQualificationItem"] = [
        {name: value for name, value in asked.items() if name not in ITEM_SERVER_SET}
        for asked in EXAMPLE["serviceQualificationItem"]
    ]
    check = await checked(api, body)
    # Service specification 23 (TVAccess) at GeographicSite 11: neither is OrderDesk's.
    assert (check["state"], check["qualificationResult"]) == ("done", "unqualified")
    assert results(check) == [("1", "unqualified", ["UNKNOWN_SERVICE_SPECIFICATION"])]
    for name in ("externalId", "description", "expectedQualificationDate", "instantSyncQualification",
                 "provideAlternative", "provideUnavailabilityReason", "@type"):  # fmt: skip
        assert check[name] == EXAMPLE[name], name
    # Two of the example's hrefs that the spec types as URIs are none ("string", "http://serverlocation:port/..."):
    # the answer leaves them out. The place's href is a plain string in the spec: kept.
    assert check["relatedParty"] == [without(party, "href") for party in EXAMPLE["relatedParty"]]
    [answered] = check["serviceQualificationItem"]
    asked = EXAMPLE["serviceQualificationItem"][0]["service"]
    assert answered["service"] == asked | {"serviceSpecification": without(asked["serviceSpecification"], "href")}
    assert answered["expectedActivationDate"] == EXAMPLE["serviceQualificationItem"][0]["expectedActivationDate"]
    assert "alternateServiceProposal" not in answered

    again = await api.get(f"{CHECK}/{check['id']}", headers=bearer("sre-1", Role.SRE))
    assert again.status_code == 200
    assert again.json() == check
    assert check["href"].endswith(f"/checkServiceQualification/{check['id']}")


async def test_what_a_client_sends_in_server_set_fields_is_answered_by_the_server(api):
    check = await checked(api, copy.deepcopy(EXAMPLE))
    assert check["id"] != EXAMPLE["id"]
    assert check["qualificationResult"] == "unqualified"  # the example claims "alternate"
    [answered] = check["serviceQualificationItem"]
    assert answered["qualificationResult"] == "unqualified"
    assert [r["code"] for r in answered["eligibilityUnavailabilityReason"]] == ["UNKNOWN_SERVICE_SPECIFICATION"]
    assert "alternateServiceProposal" not in answered
    assert check["checkServiceQualificationDate"] != EXAMPLE["checkServiceQualificationDate"]


async def test_a_rep_checks_sites_before_ordering_each_item_answered_as_the_standard_does(api):
    body = {
        "externalId": "CSQ-1",
        "provideAlternative": True,
        "serviceQualificationItem": [
            item("1", "DIA-FIBER", place("233", "South Wacker Drive, Suite 4400", "Chicago", "IL", "60606"), 1000),
            item("2", "EPL", AT_MOST_1000_MBPS, 10000),
            item("3", "SIP-TRUNK", OFF_NET_NO_MEDIUM),
            item("4", "DIA-FIBER", NEAR_NET, 500),
        ],
    }
    check = await checked(api, body)
    assert (check["state"], check["qualificationResult"], check["externalId"]) == ("done", "unqualified", "CSQ-1")
    on_net, short, off_net, near_net = check["serviceQualificationItem"]
    assert (on_net["qualificationResult"], on_net["networkReach"], on_net["locationId"]) == (
        "qualified",
        "on-net",
        "LOC-CHI-0001",
    )
    assert "eligibilityUnavailabilityReason" not in on_net
    assert short["qualificationResult"] == "alternate"
    assert [r["code"] for r in short["eligibilityUnavailabilityReason"]] == ["BANDWIDTH_ALTERNATE"]
    [proposal] = short["alternateServiceProposal"]
    assert proposal["alternateService"]["serviceSpecification"] == {"id": "EPL"}
    assert proposal["alternateService"]["serviceCharacteristic"][-1] | {"@type": None} == {
        "name": "bandwidth_mbps",
        "valueType": "integer",
        "value": 1000,
        "@type": None,
    }
    assert (off_net["qualificationResult"], off_net["eligibilityUnavailabilityReason"][0]["code"]) == (
        "unqualified",
        "NOT_SERVICEABLE",
    )
    # Near-net is served (a build after a site survey): qualified, the build in OrderDesk's extensions.
    assert (near_net["qualificationResult"], near_net["networkReach"], near_net["siteSurveyRequired"]) == (
        "qualified",
        "near-net",
        True,
    )
    assert near_net["constructionEstimate"] == {"unit": "USD", "value": "57750.00"}
    assert "eligibilityUnavailabilityReason" not in near_net


async def test_the_checks_result_is_unqualified_if_any_item_is_else_alternate_if_any_is(api):
    qualified = item("1", "DIA-FIBER", ON_NET, 1000)
    alternate = item("2", "EPL", AT_MOST_1000_MBPS, 10000)
    unqualified = item("3", "SIP-TRUNK", OFF_NET_NO_MEDIUM)
    for items, expected in [
        ([qualified], "qualified"),
        ([qualified, alternate], "alternate"),
        ([qualified, alternate, unqualified], "unqualified"),
        ([unqualified, qualified], "unqualified"),
    ]:
        check = await checked(api, {"provideAlternative": True, "serviceQualificationItem": items})
        assert check["qualificationResult"] == expected, [i["id"] for i in items]


async def test_a_slower_tier_not_asked_for_leaves_the_item_unqualified_naming_it(api):
    check = await checked(api, {"serviceQualificationItem": [item("1", "EPL", AT_MOST_1000_MBPS, 10000)]})
    assert check["provideAlternative"] is False  # the spec's default
    [answered] = check["serviceQualificationItem"]
    assert (answered["qualificationResult"], "alternateServiceProposal" in answered) == ("unqualified", False)
    [reason] = answered["eligibilityUnavailabilityReason"]
    assert reason["code"] == "BANDWIDTH_ALTERNATE"
    assert "1,000 Mbps is the fastest tier of EPL that fits" in reason["label"]


async def test_an_item_that_cannot_be_checked_is_unqualified_with_the_reason(api):
    body = {
        "serviceQualificationItem": [
            item("unknown-spec", "TVAccess", ON_NET),
            item("no-site-offering", "CLOUD-IAAS", ON_NET),
            {"id": "no-service"},
            item("no-place", "DIA-FIBER", None),
            item("role-only", "DIA-FIBER", {"role": "installationPlace"}),
            item("po-box", "DIA-FIBER", place("", "PO Box 12", "Chicago", "IL", "60606")),
            item("unknown-location", "DIA-FIBER", {"role": "installationPlace", "id": "LOC-NOWHERE"}),
            item("not-a-number", "DIA-FIBER", ON_NET, "fast"),
            item("superscript", "DIA-FIBER", ON_NET, "\u00b2"),
            item("not-in-inventory", "DIA-FIBER", NOT_IN_INVENTORY),
            {"id": "everything", "service": {"place": [{"role": "installationPlace", "streetName": [1], "city": "X"}]}},
        ]
    }
    check = await checked(api, body)
    assert check["qualificationResult"] == "unqualified"
    assert results(check) == [
        ("unknown-spec", "unqualified", ["UNKNOWN_SERVICE_SPECIFICATION"]),
        ("no-site-offering", "unqualified", ["UNKNOWN_SERVICE_SPECIFICATION"]),
        ("no-service", "unqualified", ["SERVICE_SPECIFICATION_REQUIRED", "PLACE_REQUIRED"]),
        ("no-place", "unqualified", ["PLACE_REQUIRED"]),
        ("role-only", "unqualified", ["PLACE_REQUIRED"]),
        ("po-box", "unqualified", ["INVALID_ADDRESS"]),
        ("unknown-location", "unqualified", ["UNKNOWN_PLACE"]),
        ("not-a-number", "unqualified", ["INVALID_VALUE"]),
        ("superscript", "unqualified", ["INVALID_VALUE"]),
        # An address OrderDesk has no record of: a site survey decides (as for an order).
        ("not-in-inventory", "unqualified", ["SITE_SURVEY_REQUIRED"]),
        ("everything", "unqualified", ["SERVICE_SPECIFICATION_REQUIRED", "INVALID_ADDRESS"]),
    ]
    reasons = {i["id"]: i["eligibilityUnavailabilityReason"][0] for i in check["serviceQualificationItem"]}
    assert reasons["unknown-spec"]["@type"] == "ServiceEligibilityUnavailabilityReason"
    assert "TVAccess is not an offering delivered at a site" in reasons["unknown-spec"]["label"]
    assert "LOC-NOWHERE" in reasons["unknown-location"]["label"]
    assert check["serviceQualificationItem"][9]["siteSurveyRequired"] is True


async def test_items_need_no_id_nor_distinct_ids_and_the_installation_place_is_the_site(api):
    elsewhere = {"role": "billingPlace", "id": "LOC-CHI-0026"}
    installed = item(None, "DIA-FIBER", ON_NET, 1000)
    installed["service"]["place"] = [elsewhere, ON_NET | {"role": "Installation place"}]
    body = {"serviceQualificationItem": [installed, item("1", "DIA-FIBER", NEAR_NET), item("7", "EPL", ON_NET)]}
    body["serviceQualificationItem"].append(item("7", "EVPL", ON_NET))
    check = await checked(api, body)
    assert [(i["id"], i["qualificationResult"]) for i in check["serviceQualificationItem"]] == [
        ("2", "qualified"),
        ("1", "qualified"),
        ("7", "qualified"),
        ("7", "qualified"),
    ]
    assert check["serviceQualificationItem"][0]["locationId"] == "LOC-CHI-0001"


async def test_reasons_are_left_out_when_the_client_asks_for_none(api):
    off_net = item("1", "SIP-TRUNK", OFF_NET_NO_MEDIUM)
    body = {"provideUnavailabilityReason": False, "serviceQualificationItem": [off_net]}
    check = await checked(api, body)
    [answered] = check["serviceQualificationItem"]
    assert (answered["qualificationResult"], "eligibilityUnavailabilityReason" in answered) == ("unqualified", False)


async def test_a_subclassed_check_keeps_its_type_base_type_and_schema_location(api):
    subclass = {"@type": "OrderDeskCheck", "@baseType": "CheckServiceQualification",
                "@schemaLocation": "https://example.com/schemas/OrderDeskCheck.json"}  # fmt: skip
    asked = item("1", "DIA-FIBER", ON_NET) | {"@type": "ServiceQualificationItem", "@baseType": "Item"}
    check = await checked(api, subclass | {"serviceQualificationItem": [asked]})
    assert {name: check[name] for name in subclass} == subclass
    assert (check["serviceQualificationItem"][0]["@type"], check["serviceQualificationItem"][0]["@baseType"]) == (
        "ServiceQualificationItem",
        "Item",
    )
    plain = await checked(api, {"@type": "CheckServiceQualification_Create", "serviceQualificationItem": [asked]})
    assert plain["@type"] == "CheckServiceQualification"


async def test_properties_of_later_versions_or_other_apis_are_accepted_and_left_out_of_the_answer(api):
    later = {"channel": {"id": "web"}, "provideOnlyAvailable": True, "provideResultReason": True, "note": [{"x": 1}]}
    check = await checked(api, later | {"serviceQualificationItem": [item("1", "DIA-FIBER", ON_NET)]})
    assert check["qualificationResult"] == "qualified"
    assert not set(later) & set(check)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "serviceQualificationItem"),
        ({"serviceQualificationItem": []}, "serviceQualificationItem"),
        ({"serviceQualificationItem": {"id": "1"}}, "serviceQualificationItem"),
        ({"serviceQualificationItem": [{"service": {"place": [{"id": "LOC-CHI-0001"}]}}]},
         "serviceQualificationItem.0.service.place.0.role"),
        ({"serviceQualificationItem": [{"service": {"serviceCharacteristic": [{"name": "bandwidth_mbps"}]}}]},
         "serviceQualificationItem.0.service.serviceCharacteristic.0.value"),
        ({"serviceQualificationItem": [{"service": {"serviceSpecification": {"name": "DIA"}}}]},
         "serviceQualificationItem.0.service.serviceSpecification.id"),
        ({"serviceQualificationItem": [{"id": 1}]}, "serviceQualificationItem.0.id"),
        ({"serviceQualificationItem": [{}], "expectedQualificationDate": "2026-04-10"}, "expectedQualificationDate"),
        ({"serviceQualificationItem": [{}], "relatedParty": [{"id": "P-1"}]}, "relatedParty.0.@referredType"),
        ({"serviceQualificationItem": [{}], "provideAlternative": "yes"}, "provideAlternative"),
        ({"serviceQualificationItem": [{}] * 101}, "serviceQualificationItem"),
        ([{"serviceQualificationItem": [{}]}], "(request)"),
    ],
)  # fmt: skip
async def test_only_what_the_specification_refuses_is_a_400_naming_the_field(api, body, field):
    response = await api.post(CHECK, json=body, headers=REP)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()
    assert [problem["field"] for problem in error["invalid_params"]] == [field]
    assert [e.field for e in SPEC.errors("Error", error)] == []
    assert (error["@type"], error["code"], error["status"]) == ("Error", "400", "400")


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ('{"name": "bandwidth_mbps", "value": NaN}', "serviceCharacteristic.0.value"),
        ('{"name": "bandwidth_mbps", "value": 1e400}', "serviceCharacteristic.0.value"),
        ('{"name": "a\\u0000b", "value": 1}', "serviceCharacteristic.0.name"),
    ],
)
async def test_what_python_reads_but_json_does_not_have_is_a_400_not_a_failure(api, text, field):
    body = '{"serviceQualificationItem": [{"service": {"serviceCharacteristic": [' + text + "]}}]}"
    response = await api.post(CHECK, content=body, headers=REP | {"Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    assert [p["field"] for p in response.json()["invalid_params"]] == [f"serviceQualificationItem.0.service.{field}"]


async def test_a_check_is_for_the_roles_that_sell(api):
    body = {"serviceQualificationItem": [item("1", "DIA-FIBER", ON_NET)]}
    assert (await api.post(CHECK, json=body, headers=OPS)).status_code == 403
    assert (await api.get(f"{CHECK}/no-such-check", headers=REP)).status_code == 404


async def queried(api, search: dict) -> dict:
    """POST the query: 201, and the answer conforms to the published QueryServiceQualification."""
    answered = await api.post(QUERY, json={"searchCriteria": search}, headers=REP)
    assert answered.status_code == 201, answered.text
    query = answered.json()
    assert [error.field for error in SPEC.errors("QueryServiceQualification", query, answer=True)] == []
    assert (query["state"], query["searchCriteria"]) == ("done", search)
    return query


def offerings_found(query: dict) -> dict[str, int | None]:
    return {
        i["service"]["serviceSpecification"]["id"]: next(
            (c["value"] for c in i["service"].get("serviceCharacteristic", []) if c["name"] == "bandwidth_mbps"), None
        )
        for i in query["serviceQualificationItem"]
    }


async def test_a_query_lists_the_offerings_served_at_a_place_at_the_fastest_tier_it_carries(api):
    on_net = await queried(api, {"service": {"place": [ON_NET]}})
    assert set(offerings_found(on_net)) == set(load_seed_rules(Settings.model_construct()).offerings)
    assert offerings_found(on_net)["DIA-FIBER"] == 10000
    assert {i["networkReach"] for i in on_net["serviceQualificationItem"]} == {"on-net"}
    assert "eligibilityUnavailabilityReason" not in on_net

    off_net = await queried(api, {"service": {"place": [OFF_NET_NO_MEDIUM]}})
    # Only internet and ethernet offerings ride Type-2 access; the building carries at most 1000 Mbps.
    assert offerings_found(off_net) == {"DIA-COPPER": 20, "DIA-FIBER": 1000, "EPL": 1000, "EVPL": 1000}

    again = await api.get(f"{QUERY}/{off_net['id']}", headers=REP)
    assert (again.status_code, again.json()) == (200, off_net)
    listed = await api.get(QUERY, params={"fields": "searchCriteria", "limit": 1}, headers=REP)
    assert listed.json() == [{name: off_net[name] for name in ("id", "href", "@type", "searchCriteria")}]
    assert int(listed.headers["X-Result-Count"]) == 1 < int(listed.headers["X-Total-Count"])
    assert off_net["href"].endswith(f"/queryServiceQualification/{off_net['id']}")
    assert (await api.get(f"{QUERY}/no-such-query", headers=REP)).status_code == 404


async def test_a_query_naming_an_offering_and_a_bandwidth_finds_it_only_where_it_fits(api):
    epl = {"serviceSpecification": {"id": "EPL"}}
    fast = {"serviceCharacteristic": [{"name": "bandwidth_mbps", "value": 10000}]}
    found = await queried(api, {"service": epl | fast | {"place": [ON_NET]}})
    assert offerings_found(found) == {"EPL": 10000}
    too_fast = await queried(api, {"service": epl | fast | {"place": [AT_MOST_1000_MBPS]}})
    assert too_fast["serviceQualificationItem"] == []
    assert [r["code"] for r in too_fast["eligibilityUnavailabilityReason"]] == ["BANDWIDTH_ALTERNATE"]


async def test_a_query_without_a_place_it_can_read_finds_nothing_and_says_why(api):
    nowhere = await queried(api, {"service": {}})
    assert (nowhere["serviceQualificationItem"], [r["code"] for r in nowhere["eligibilityUnavailabilityReason"]]) == (
        [],
        ["PLACE_REQUIRED"],
    )
    unknown = await queried(api, {"service": {"place": [{"role": "installationPlace", "id": "LOC-NOWHERE"}]}})
    assert [r["code"] for r in unknown["eligibilityUnavailabilityReason"]] == ["UNKNOWN_PLACE"]


async def test_a_query_the_specification_refuses_is_a_400(api):
    for body, field in [({}, "searchCriteria"), ({"searchCriteria": {"service": []}}, "searchCriteria.service")]:
        response = await api.post(QUERY, json=body, headers=REP)
        assert response.status_code == 400, response.text
        assert [problem["field"] for problem in response.json()["invalid_params"]] == [field]
