"""A cancel or a correction ends the approvals still asked on what it makes dead, and says why."""

import pytest

from orderdesk_shared.order_versions import Standing
from pricing_approval.domain.withdrawals import quote_status_after, work_to_end
from pricing_approval.domain.workflow import QuoteStatus

CORRECTED = Standing(order_id="PO-7", live_version=3, cancel_reason=None)
CANCELLED = Standing(order_id="PO-7", live_version=2, cancel_reason="customer chose another provider")


def test_a_correction_withdraws_the_requests_of_earlier_versions_naming_the_version_that_replaces_them():
    pending = {"APR-1": 1, "APR-2": 2, "APR-3": 3}
    assert work_to_end(CORRECTED, pending) == {
        "APR-1": "order PO-7 was corrected: version 3 replaces version 1",
        "APR-2": "order PO-7 was corrected: version 3 replaces version 2",
    }


def test_a_cancel_withdraws_every_pending_request_naming_the_cancel():
    assert work_to_end(CANCELLED, {"APR-1": 1, "APR-2": 2}) == {
        "APR-1": "order PO-7 was cancelled: customer chose another provider",
        "APR-2": "order PO-7 was cancelled: customer chose another provider",
    }


@pytest.mark.parametrize(
    ("status", "after"),
    [
        (QuoteStatus.PENDING_APPROVAL, QuoteStatus.CANCELLED),
        (QuoteStatus.REJECTED, QuoteStatus.CANCELLED),
        (QuoteStatus.SUPERSEDED, QuoteStatus.CANCELLED),
        (QuoteStatus.APPROVED, None),
        (QuoteStatus.CANCELLED, None),
    ],
)
def test_a_cancel_cancels_the_quote_unless_it_was_approved_and_handed_on(status, after):
    assert quote_status_after(CANCELLED, version=2, status=status) == after


@pytest.mark.parametrize(
    ("version", "status", "after"),
    [
        (2, QuoteStatus.PENDING_APPROVAL, QuoteStatus.SUPERSEDED),
        (2, QuoteStatus.APPROVED, QuoteStatus.SUPERSEDED),
        (2, QuoteStatus.SUPERSEDED, None),
        (3, QuoteStatus.PENDING_APPROVAL, None),
    ],
)
def test_a_correction_supersedes_only_an_earlier_versions_quote(version, status, after):
    assert quote_status_after(CORRECTED, version=version, status=status) == after
