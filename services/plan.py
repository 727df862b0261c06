"""Planning a campaign: its deadlines counted back from the conference in working days, and
every active unit enrolled with its own deadline and submission link."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel
from sqlmodel import Session, select

from models import audit
from models.audit import AuditEntity
from models.campaign import Campaign, CampaignCreate, CampaignStage, CampaignUnit
from models.rules.deadlines import PlanOffsets, plan_deadlines
from models.rules.eligibility import RulePack, load_rule_pack, rule_pack_for
from models.unit import Unit
from services.campaigns import calendar_for
from services.errors import OperatorError

_DEADLINE_FIELDS = {"dispatch_on", "submission_due", "review_due", "council_on", "approval_due"}


_PLANNED_FIELDS = ("year", "name", "rule_pack", "titles_on_offer", "quotas", "conference_date")


def _differences(existing: Campaign, spec: CampaignCreate) -> dict[str, tuple[str, str]]:
    """What a new plan would change: {field: (now, asked)}, as text."""
    return {
        field: (str(getattr(existing, field)), str(getattr(spec, field)))
        for field in _PLANNED_FIELDS
        if getattr(existing, field) != getattr(spec, field)
    }


def _replan(
    session: Session,
    existing: Campaign,
    spec: CampaignCreate,
    offsets: PlanOffsets,
    changes: dict[str, tuple[str, str]],
    now: datetime,
    actor: str,
) -> None:
    """Apply a changed plan: new deadlines from the new conference date; each unit still on the
    old submission deadline moves with it (an extension granted to one unit stays)."""
    if existing.stage not in (CampaignStage.PLANNED, CampaignStage.CALLING):
        raise OperatorError(
            "replan_too_late",
            f"Đợt {existing.code} đã sang giai đoạn '{existing.stage}', không lập lại kế hoạch "
            "được.",
            f"Campaign {existing.code} is at stage '{existing.stage}'; it can no longer be "
            "re-planned.",
            stage=str(existing.stage),
        )
    assert existing.id is not None
    plan = plan_deadlines(spec.conference_date, calendar_for(session, spec), offsets)
    old_due = existing.submission_due
    before = existing.model_dump(mode="json", include=_DEADLINE_FIELDS)
    existing.sqlmodel_update(
        {field: getattr(spec, field) for field in _PLANNED_FIELDS}
        | {field: getattr(plan, field) for field in _DEADLINE_FIELDS}
    )
    session.add(existing)
    moved = session.exec(
        select(CampaignUnit).where(
            CampaignUnit.campaign_id == existing.id, CampaignUnit.deadline == old_due
        )
    ).all()
    for part in moved:
        part.deadline = existing.submission_due
        session.add(part)
    audit.record(
        session,
        at=now,
        actor=actor,
        entity=AuditEntity.CAMPAIGN,
        entity_id=existing.id,
        campaign_id=existing.id,
        action="replanned",
        details={
            "changes": {field: {"from": old, "to": new} for field, (old, new) in changes.items()},
            "deadlines_before": before,
            "deadlines_after": existing.model_dump(mode="json", include=_DEADLINE_FIELDS),
            "unit_deadlines_moved": len(moved),
        },
    )


def create_campaign(
    session: Session,
    spec: CampaignCreate,
    offsets: PlanOffsets,
    now: datetime,
    actor: str,
    *,
    update: bool = False,
) -> tuple[int, dict[str, tuple[str, str]]]:
    """Insert the campaign with its deadline plan; returns its id and what a re-plan changed.

    A re-run with the same parameters changes nothing. Different parameters for an existing
    campaign are refused, naming each difference, unless ``update``: then the deadlines are
    recomputed and the change is audited.
    """
    existing = session.exec(select(Campaign).where(Campaign.code == spec.code)).first()
    if existing is not None:
        assert existing.id is not None
        changes = _differences(existing, spec)
        if changes and not update:
            listed_vi = "; ".join(f"{f}: {old} → {new}" for f, (old, new) in changes.items())
            raise OperatorError(
                "plan_differs",
                f"Đợt {spec.code} đã có kế hoạch khác ({listed_vi}); không thay đổi gì. Dùng "
                "--update để lập lại kế hoạch và tính lại các mốc.",
                f"Campaign {spec.code} is already planned differently ({listed_vi}); nothing "
                "changed. Use --update to re-plan and recompute the deadlines.",
                changes={f: list(pair) for f, pair in changes.items()},
            )
        if changes:
            _replan(session, existing, spec, offsets, changes, now, actor)
        return existing.id, changes
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
    return campaign.id, {}


def enrol_units(session: Session, campaign_id: int, now: datetime, actor: str) -> int:
    """Give every active unit its part in the campaign and its own deadline (its personal link
    is minted when an email carries it: models.access)."""
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
    # What a re-plan (--update) changed: {field: [before, after]}; empty for a new plan.
    changed: dict[str, list[str]] = {}


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
    update: bool = False,
) -> CampaignPlan:
    """Create a campaign and its deadline plan and enrol the units, in the caller's transaction;
    an existing campaign planned differently is refused unless ``update`` (see
    ``create_campaign``)."""
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
    campaign_id, changes = create_campaign(session, spec, PlanOffsets(), now, actor, update=update)
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
        changed={field: list(pair) for field, pair in changes.items()},
    )
