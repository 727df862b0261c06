"""What happens, stage by stage: one Prefect flow per stage, each a thin shell over ``services``
(open a session, call the use-case, publish artifacts and events)."""

import os

# The throwaway server Prefect starts without PREFECT_API_URL would try to phone home at start
# (this machine has no internet, and a ministry's network may not either).
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
# The services log with the standard library; inside a run, their warnings (an email that
# failed for good) belong on the run's page too.
os.environ.setdefault("PREFECT_LOGGING_EXTRA_LOGGERS", "services,notifications")
# ... and outside a run (the scheduler's background delivery) they only go to the console.
os.environ.setdefault("PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW", "ignore")
