from fulfillment_handoff.tables import metadata
from orderdesk_shared.migrations import run_env

run_env(metadata=metadata, url_variable="FULFILLMENT_DATABASE_URL")
