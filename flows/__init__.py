"""What happens, stage by stage: one Prefect flow per stage, the documents, the CLI, the demo."""

import os

# The throwaway server Prefect starts without PREFECT_API_URL would try to phone home at start
# (this machine has no internet, and a ministry's network may not either).
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
