from orderdesk_shared.migrations import run_env
from pricing_approval.tables import metadata

run_env(metadata=metadata, url_variable="PRICING_APPROVAL_DATABASE_URL")
