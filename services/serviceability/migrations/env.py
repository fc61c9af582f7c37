from orderdesk_shared.migrations import run_env
from serviceability.tables import metadata

run_env(metadata=metadata, url_variable="SERVICEABILITY_DATABASE_URL")
