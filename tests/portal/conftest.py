"""The portal's fixtures (defined in ``support.py``, which the tests import their helpers from):
the real app under uvicorn on a free loopback port, a campaign whose calls were emailed."""

from tests.portal.ballot_support import voting
from tests.portal.support import browsers, campaign, portal

__all__ = ["browsers", "campaign", "portal", "voting"]
