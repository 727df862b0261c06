"""The portal's fixtures (defined in ``support.py``, which the tests import their helpers from):
the real app under uvicorn on a free loopback port, a campaign whose calls were emailed; and
(``leader_support.py``) the approving leader's paused approval runs."""

from tests.portal.ballot_support import voting
from tests.portal.leader_support import approvals
from tests.portal.support import browsers, campaign, logged, portal

__all__ = ["approvals", "browsers", "campaign", "logged", "portal", "voting"]
