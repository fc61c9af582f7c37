"""How a poll's hand-offs are cut into runs that can be ratified together."""

from commission.handlers import independent_runs


def keys(item: tuple[str, str]) -> tuple[str, str]:
    return item


def test_items_sharing_no_key_make_one_run():
    items = [("ACC-1", "PO-1"), ("ACC-2", "PO-2"), ("ACC-3", "PO-3")]
    assert independent_runs(items, keys=keys) == [items]


def test_an_item_sharing_a_key_with_its_run_starts_the_next_one():
    items = [("ACC-1", "PO-1"), ("ACC-2", "PO-2"), ("ACC-1", "PO-3"), ("ACC-4", "PO-4"), ("ACC-5", "PO-3")]
    assert independent_runs(items, keys=keys) == [
        [("ACC-1", "PO-1"), ("ACC-2", "PO-2")],
        [("ACC-1", "PO-3"), ("ACC-4", "PO-4")],
        [("ACC-5", "PO-3")],
    ]


def test_no_items_no_runs():
    assert independent_runs([], keys=keys) == []
