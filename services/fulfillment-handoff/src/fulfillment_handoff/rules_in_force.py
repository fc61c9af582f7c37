"""The rules fulfillment-handoff runs with: the markets and path policy its settings name, loaded by its bootstrap
once at start, so a bad file stops the service there with the reason."""

from fulfillment_handoff.reference import FulfillmentRules, load_path_policy
from fulfillment_handoff.settings import Settings
from orderdesk_shared.markets import load_markets


def load_rules(settings: Settings) -> FulfillmentRules:
    return FulfillmentRules(markets=load_markets(settings.markets), paths=load_path_policy(settings.processing_paths))
