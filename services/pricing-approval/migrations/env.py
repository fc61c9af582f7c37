from pricing_approval.tables import metadata
from orderdesk_shared.migrations import run_env

run_env(metadata=metadata, url_variable="PRICING_APPROVAL_DATABASE_URL")
