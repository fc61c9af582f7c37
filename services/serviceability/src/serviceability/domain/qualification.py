"""Whether and how each site on an order can be served.

PLACEHOLDER (walking skeleton): every site is taken as on-net over fiber and qualified. Issue #4
replaces this with the location inventory and the on/near/off-net rules of DOMAIN.md.
"""

from orderdesk_shared.events.order import ProductOrder
from orderdesk_shared.events.serviceability import NetworkReach, QualificationResult, SiteQualification


def qualify(order: ProductOrder) -> list[SiteQualification]:
    """One qualification per item's site."""
    return [
        SiteQualification(
            item_id=item.id,
            location_id=item.location.location_id if item.location else None,
            reach=NetworkReach.ON_NET,
            result=QualificationResult.QUALIFIED,
            access_medium="fiber",
        )
        for item in order.items
    ]
