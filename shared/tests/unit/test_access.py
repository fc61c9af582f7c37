import pytest

from orderdesk_shared.access import OrderAction, OrderPeople, own_orders_only, refusal
from orderdesk_shared.auth import Principal, Role

ORDER = OrderPeople(order_id="ORD-1", submitted_by="rep-a", corrected_by=frozenset({"dana"}), reps=frozenset({"Rep-B"}))


def person(subject: str, *roles: Role) -> Principal:
    return Principal(subject=subject, roles=frozenset(roles))


@pytest.mark.parametrize("action", list(OrderAction))
def test_another_rep_does_not_learn_the_order_exists(action):
    refused = refusal(person("rep-c", Role.SALES_REP), ORDER, action)
    assert refused.hidden and refused.status_code == 404


@pytest.mark.parametrize("rep", ["rep-a", "rep-b"])
def test_the_submitter_and_a_named_rep_see_and_change_the_order(rep):
    for action in (OrderAction.SEE, OrderAction.CHANGE):
        assert refusal(person(rep, Role.SALES_REP), ORDER, action) is None


def test_only_a_specialist_changes_the_listed_reps():
    refused = refusal(person("rep-a", Role.SALES_REP), ORDER, OrderAction.CHANGE_REPS)
    assert not refused.hidden and refused.status_code == 403 and "specialist" in refused.reason
    assert refusal(person("sam", Role.SPECIALIST), ORDER, OrderAction.CHANGE_REPS) is None


def test_roles_of_other_duties_see_every_order_but_change_none():
    finance = person("fay", Role.FINANCE)
    assert refusal(finance, ORDER, OrderAction.SEE) is None
    assert refusal(finance, ORDER, OrderAction.CHANGE).status_code == 403


@pytest.mark.parametrize(
    ("subject", "relation"), [("rep-a", "submitted"), ("dana", "corrected"), ("REP-B", "is named on")]
)
def test_none_of_the_orders_people_decides_on_it(subject, relation):
    refused = refusal(person(subject, Role.SALES_REP, Role.SALES_MANAGER), ORDER, OrderAction.DECIDE)
    assert refused.status_code == 403 and relation in refused.reason


def test_someone_else_in_the_role_decides():
    assert refusal(person("morgan", Role.SALES_MANAGER), ORDER, OrderAction.DECIDE) is None


def test_a_listing_is_narrowed_to_a_rep_and_not_to_those_seeing_every_order():
    assert own_orders_only(person("Rep-A", Role.SALES_REP)) == "rep-a"
    assert own_orders_only(person("rep-a", Role.SALES_REP, Role.SALES_MANAGER)) is None
