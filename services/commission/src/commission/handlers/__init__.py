"""Commission's handlers: ratify a handed-off order, follow it to install or cancel, decide disputes.

Every ledger entry has a key naming the fact it records, so the same fact handled again (a
redelivery, or the topic replayed by another consumer group) adds nothing.
"""

from commission.domain.disputes import DisputeRefused, NotYoursToDecide
from commission.handlers.disputes import decide_dispute, open_dispute, remember_corrector
from commission.handlers.hand_off import HandOff
from commission.handlers.operations import follow_operations, reverse_cancelled_order
from commission.handlers.ratification import ratify_hand_offs, ratify_order
from commission.handlers.runs import independent_runs

__all__ = [
    "DisputeRefused",
    "HandOff",
    "NotYoursToDecide",
    "decide_dispute",
    "follow_operations",
    "independent_runs",
    "open_dispute",
    "ratify_hand_offs",
    "ratify_order",
    "remember_corrector",
    "reverse_cancelled_order",
]
