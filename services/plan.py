"""Planning a campaign: its deadlines counted back from the conference in working days, and
every active unit enrolled with its own deadline and submission link."""

from __future__ import annotations

import secrets
from datetime import date, datetime

from pydantic import BaseModel
from sqlmodel import Session, select

from models import audit
from models.audit import AuditEntity
from models.campaign import Campaign, CampaignCreate, CampaignUnit
from models.rules.deadlines import PlanOffsets, plan_deadlines
from models.rules.eligibility import RulePack, load_rule_pack, rule_pack_for
from models.unit import Unit
from services.campaigns import calendar_for
from services.errors import OperatorError

_DEADLINE_FIELDS = {"dispatch_on", "submission_due", "review_due", "council_on", "approval_due"}


def create_campaign(
    session: Session, spec: CampaignCreate, offsets: PlanOffsets, now: datetime, actor: str
) -> int:
    """Insert the campaign with its deadline plan; a re-run with the same code changes nothing."""
    existing = session.exec(select(Campaign).where(Campaign.code == spec.code)).first()
    if existing is not None:
        assert existing.id is not None
        return existing.id
    plan = plan_deadlines(spec.conference_date, calendar_for(session, spec), offsets)
    deadlines = {field: getattr(plan, field) for field in _DEADLINE_FIELDS}
    campaign = Campaign.model_validate(spec, update={"created_at": now, **deadlines})
    session.add(campaign)
    session.flush()
    assert campaign.id is not None
    audit.record(
        session,
        at=now,
        actor=actor,
        entity=AuditEntity.CAMPAIGN,
        entity_id=campaign.id,
        campaign_id=campaign.id,
        action="planned",
        to_state=campaign.stage,
        details={"deadlines": campaign.model_dump(mode="json", include=_DEADLINE_FIELDS)},
    )
    return campaign.id


def enrol_units(session: Session, campaign_id: int, now: datetime, actor: str) -> int:
    """Give every active unit its part in the campaign: its own deadline and submission link."""
    campaign = session.get(Campaign, campaign_id)
    assert campaign is not None
    enrolled = set(
        session.exec(
            select(CampaignUnit.unit_id).where(CampaignUnit.campaign_id == campaign_id)
        ).all()
    )
    added = 0
    for unit in session.exec(select(Unit).where(Unit.active == True)).all():  # noqa: E712
        if unit.id in enrolled:
            continue
        assert unit.id is not None
        session.add(
            CampaignUnit(
                campaign_id=campaign_id,
                unit_id=unit.id,
                deadline=campaign.submission_due,
                submission_token=secrets.token_urlsafe(16),
            )
        )
        added += 1
    if added:
        audit.record(
            session,
            at=now,
            actor=actor,
            entity=AuditEntity.CAMPAIGN,
            entity_id=campaign_id,
            campaign_id=campaign_id,
            action="units_enrolled",
            details={"added": added},
        )
    return added


class CampaignPlan(BaseModel):
    """What planning made: the campaign's deadlines, its rule pack and the values it leaves
    unconfirmed (configurable)."""

    campaign: str
    name: str
    units_enrolled: int
    deadlines: dict[str, date]
    conference_date: date
    rule_pack: str
    rule_pack_citation: str
    unconfirmed: list[str]


def plan(
    session: Session,
    *,
    code: str,
    year: int,
    name: str,
    conference_date: date,
    rule_pack: str | None = None,
    titles_on_offer: list[str] | None = None,
    quotas: dict[str, int] | None = None,
    now: datetime,
    actor: str,
) -> CampaignPlan:
    """Create a campaign and its deadline plan and enrol the units, in the caller's transaction."""
    pack: RulePack = load_rule_pack(rule_pack) if rule_pack else rule_pack_for(conference_date)
    offered = titles_on_offer or sorted(pack.awards)
    unknown = [award for award in offered if award not in pack.awards]
    if unknown:
        raise OperatorError(
            "unknown_award",
            f"Danh hiệu/hình thức không có trong bộ quy định {pack.code}: {', '.join(unknown)}.",
            f"Unknown awards for rule pack {pack.code}: {', '.join(unknown)}.",
            awards=unknown,
        )
    spec = CampaignCreate(
        code=code,
        year=year,
        name=name,
        rule_pack=pack.code,
        titles_on_offer=offered,
        quotas=quotas or {},
        conference_date=conference_date,
    )
    campaign_id = create_campaign(session, spec, PlanOffsets(), now, actor)
    added = enrol_units(session, campaign_id, now, actor)
    campaign = session.get(Campaign, campaign_id)
    assert campaign is not None
    return CampaignPlan(
        campaign=campaign.code,
        name=campaign.name,
        units_enrolled=added,
        deadlines={field: getattr(campaign, field) for field in sorted(_DEADLINE_FIELDS)},
        conference_date=campaign.conference_date,
        rule_pack=pack.code,
        rule_pack_citation=pack.citation,
        unconfirmed=pack.unconfirmed_notes(),
    )
