"""The use-cases: plain functions over a SQLModel ``Session`` and the caller's ``now``.

Every entry point walks through here — the Prefect flows, the operator's command line, the
scheduler and (next) the unit portal — so a rule is checked once, whichever door a person came
in by. Nothing here imports Prefect (a test fails if it does): events leave through
``services.events``, which the flows connect to Prefect.
"""
