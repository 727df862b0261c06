"""The portal's fixtures (defined in ``support.py``, which the tests import their helpers from):
the real app under uvicorn on a free loopback port, a campaign whose calls were emailed; and
(``leader_support.py``) the approving leader's paused approval runs; (``rsvp_support.py``)
the conference's invitees with their links."""

from tests.portal.ballot_support import voting
from tests.portal.leader_support import approvals
from tests.portal.rsvp_support import invited
from tests.portal.support import browsers, campaign, logged, portal

__all__ = ["approvals", "browsers", "campaign", "invited", "logged", "portal", "voting"]
