"""TMF hub/listener notifications for a service's TMF API: registration (`POST {api_root}/hub`,
`DELETE {api_root}/hub/{id}`), the notifications a unit of work writes with its state change, and the loop that
delivers them to the listeners.

- **Written with the change.** A handler hands `Hub.notify` what it changed; before the transaction commits, the
  notifications are fanned out to the matching subscriptions in one statement (nothing at all is built while there
  are none). What commits is delivered; what rolls back never was.
- **Who sees what.** A subscription is its registrant's, and gets only what the registrant may read: the roles whose
  duties reach every order everything, a sales rep the notifications about their own orders, the CRM those about
  the orders that came through the CRM channel (audience tags on each notification, one tag on a subscription).
- **Delivered at least once, in order.** The delivery loop claims subscriptions with work due (`FOR UPDATE SKIP
  LOCKED`: replicas share the work, never a subscription), POSTs each one's notifications oldest first, and stops
  at the first failure, which is retried with a doubling wait (RetrySchedule). With nothing due it sleeps until
  the next retry is, or a fan-out's NOTIFY wakes it (the relay's way with its outbox): a service with no listener
  runs no query for them. A notification still undelivered
  when its retry window closes is dead-lettered with its reason (GET /ops/notifications, metric
  `orderdesk_notifications_dead_total`) and the listener's next one goes on. Each carries its stable `eventId`.
- **Signed.** `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>`, keyed with the subscription's secret.

Its parts, each in a module named for it: tables, audiences (who may hear of what), fan_out (Hub: writing
notifications), callbacks (where notifications may go), registration (the hub routes), delivery (HubDelivery: the
delivery loop, its retries and purge) and ops (the SREs' view).
"""

from orderdesk_shared.hub.audiences import channel_tag, person_tag
from orderdesk_shared.hub.delivery import HubDelivery
from orderdesk_shared.hub.fan_out import Hub, NotificationSource
from orderdesk_shared.hub.ops import hub_ops_router
from orderdesk_shared.hub.registration import hub_router
from orderdesk_shared.hub.tables import hub_tables

__all__ = [
    "Hub",
    "HubDelivery",
    "NotificationSource",
    "channel_tag",
    "hub_ops_router",
    "hub_router",
    "hub_tables",
    "person_tag",
]
