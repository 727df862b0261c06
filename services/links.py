"""A unit's personal link: what a token opens, and rotating a unit's links.

Tokens are stored only as hashes (``models.access``): a request's token is hashed and looked up,
and a token that is malformed, unknown or revoked opens nothing — the caller cannot tell which.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import func, update
from sqlmodel import Session, col, select

from models import audit
from models.access import PURPOSE_UNIT, AccessToken, hash_token, revoke_unit_tokens
from models.audit import AuditEntity, AuditEvent
from models.campaign import Campaign, CampaignUnit
from models.outbox import EmailKind
from models.rules.ladder import Audience
from models.settings import get_settings
from models.unit import Unit
from services.campaigns import calendar_for, find_part, load_campaign
from services.letters import UnitEmail, enqueue_unit_emails

# What a token looks like (token_urlsafe: 22 characters for the 128-bit links sent before
# migration 0007, 43 for today's 256-bit ones). Anything else is not looked up at all.
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{22,64}")
# last_used_at is a hint for the operator ("was this link ever opened?"), not a log: written at
# most this often, so reading a page is not a write each time.
LAST_USED_RESOLUTION = timedelta(minutes=10)


def note_use(session: Session, table: Any, access: Any, now: datetime) -> None:
    """Note that the link ``access`` (a row of the token ``table``) was used now, at most every
    ``LAST_USED_RESOLUTION``, in the caller's transaction."""
    if access.last_used_at is None or now - access.last_used_at >= LAST_USED_RESOLUTION:
        session.connection().execute(
            update(table).where(col(table.id) == access.id).values(last_used_at=now)
        )


class UnitLink(BaseModel):
    """What a valid unit token opens: one unit's part in one campaign, and nothing else."""

    token_id: int
    part_id: int
    campaign_id: int
    campaign_code: str
    unit_id: int
    unit_code: str


def open_link(session: Session, token: str, now: datetime) -> UnitLink | None:
    """The unit part a token opens, or None (malformed, unknown or revoked: never said which).

    Notes when the link was used (at most every ``LAST_USED_RESOLUTION``) in the caller's
    transaction."""
    if not TOKEN_SHAPE.fullmatch(token):
        return None
    row = session.exec(
        select(AccessToken, CampaignUnit, Campaign, Unit)
        .join(CampaignUnit, col(CampaignUnit.id) == AccessToken.campaign_unit_id)
        .join(Campaign, col(Campaign.id) == CampaignUnit.campaign_id)
        .join(Unit, col(Unit.id) == CampaignUnit.unit_id)
        .where(
            AccessToken.token_hash == hash_token(token),
            AccessToken.purpose == PURPOSE_UNIT,
            col(AccessToken.revoked_at).is_(None),
        )
    ).first()
    if row is None:
        return None
    access, part, campaign, unit = row
    assert access.id is not None and part.id is not None
    assert campaign.id is not None and unit.id is not None
    note_use(session, AccessToken, access, now)
    return UnitLink(
        token_id=access.id,
        part_id=part.id,
        campaign_id=campaign.id,
        campaign_code=campaign.code,
        unit_id=unit.id,
        unit_code=unit.code,
    )


class LinkRotated(BaseModel):
    campaign: str
    unit: str
    revoked: int  # links that opened the unit's page until now
    email_queued: bool  # the new link is on its way to the unit's focal contact


def rotate_link(
    session: Session,
    campaign_code: str,
    unit_code: str,
    *,
    reason: str,
    now: datetime,
    actor: str,
) -> LinkRotated:
    """Revoke every link of a unit and queue an email with a fresh one (minted when it is sent,
    like every link). In the caller's transaction; audited with the reason."""
    campaign = load_campaign(session, campaign_code)
    part, unit = find_part(session, campaign, unit_code, for_update=True)
    assert campaign.id is not None and part.id is not None
    revoked = revoke_unit_tokens(session.connection(), part.id, now)
    # Each rotation is its own email: the n-th rotation is tier n of the outbox key.
    rotations = session.exec(
        select(func.count())
        .select_from(AuditEvent)
        .where(
            AuditEvent.entity == AuditEntity.CAMPAIGN_UNIT,
            AuditEvent.entity_id == part.id,
            AuditEvent.action == "link_rotated",
        )
    ).one()
    audit.record(
        session,
        at=now,
        actor=actor,
        entity=AuditEntity.CAMPAIGN_UNIT,
        entity_id=part.id,
        campaign_id=campaign.id,
        action="link_rotated",
        reason=reason.strip(),
        details={"revoked": revoked},
    )
    [queued] = enqueue_unit_emails(
        session,
        [UnitEmail(EmailKind.NEW_LINK, int(rotations) + 1, Audience.FOCAL, unit, part)],
        campaign=campaign,
        calendar=calendar_for(session, campaign),
        now=now,
        settings=get_settings(),
    )
    return LinkRotated(campaign=campaign.code, unit=unit.code, revoked=revoked, email_queued=queued)
