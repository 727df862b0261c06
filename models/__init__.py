"""What the campaign is: tables, settings, the clock, and (in ``models.rules``) the pure rules.

Importing this package registers every table on ``SQLModel.metadata``.
"""

from models.access import AccessToken
from models.attachment import DossierFile
from models.audit import AuditEvent
from models.ballot import (
    BallotChoice,
    BallotSheet,
    BallotToken,
    CouncilParticipation,
    CouncilRecusal,
    CouncilVoting,
)
from models.campaign import Campaign, CampaignUnit, HolidayOverride
from models.ceremony import Ceremony, Invitee, InviteToken
from models.committee import CommitteeTask, TaskToken
from models.council import Approval, Ballot, CouncilMember, CouncilResult
from models.document import CampaignDocument
from models.leader_access import LeaderInvite, LeaderToken
from models.nomination import Nomination, ReviewFinding, Submission
from models.outbox import OutboxMessage
from models.scheduler import SchedulerJob
from models.unit import Unit

__all__ = [
    "AccessToken",
    "Approval",
    "AuditEvent",
    "Ballot",
    "BallotChoice",
    "BallotSheet",
    "BallotToken",
    "Campaign",
    "CampaignDocument",
    "CampaignUnit",
    "Ceremony",
    "CommitteeTask",
    "CouncilMember",
    "CouncilParticipation",
    "CouncilRecusal",
    "CouncilResult",
    "CouncilVoting",
    "DossierFile",
    "HolidayOverride",
    "InviteToken",
    "Invitee",
    "LeaderInvite",
    "LeaderToken",
    "Nomination",
    "OutboxMessage",
    "ReviewFinding",
    "SchedulerJob",
    "Submission",
    "TaskToken",
    "Unit",
]
