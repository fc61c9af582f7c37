from console.tables import metadata
from orderdesk_shared.migrations import run_env

run_env(metadata=metadata, url_variable="CONSOLE_DATABASE_URL")
