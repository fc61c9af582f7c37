from serviceability.tables import metadata
from orderdesk_shared.migrations import run_env

run_env(metadata=metadata, url_variable="SERVICEABILITY_DATABASE_URL")
