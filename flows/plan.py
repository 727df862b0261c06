"""Stage 1 - plan: create the campaign, derive every deadline backwards, enrol the units."""

from __future__ import annotations

import secrets
from datetime import date, datetime
from typing import Any

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from sqlmodel import select

from flows.common import OperatorError, artifact_key, calendar_for
from flows.monitor import publish_campaign_artifacts
from models import audit
from models.campaign import Campaign, CampaignCreate, CampaignUnit
from models.clock import resolve
from models.db import session_scope
from models.rules.calendar import format_vn_date
from models.rules.deadlines import PlanOffsets, plan_deadlines
from models.rules.eligibility import load_rule_pack, rule_pack_for
from models.unit import Unit

_DEADLINE_FIELDS = {"dispatch_on", "submission_due", "review_due", "council_on", "approval_due"}


@task(name="create-campaign", cache_policy=NO_CACHE)
def create_campaign(spec: CampaignCreate, offsets: PlanOffsets, now: datetime, actor: str) -> int:
    """Insert the campaign with its deadline plan; a re-run with the same code changes nothing."""
    with session_scope() as session:
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
            entity="campaign",
            entity_id=campaign.id,
            campaign_id=campaign.id,
            action="planned",
            to_state=campaign.stage,
            details={"deadlines": campaign.model_dump(mode="json", include=_DEADLINE_FIELDS)},
        )
        return campaign.id


@task(name="enrol-units", cache_policy=NO_CACHE)
def enrol_units(campaign_id: int, now: datetime, actor: str) -> int:
    """Give every active unit its part in the campaign: its own deadline and submission link."""
    with session_scope() as session:
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
                entity="campaign",
                entity_id=campaign_id,
                campaign_id=campaign_id,
                action="units_enrolled",
                details={"added": added},
            )
        return added


@flow(name="plan-campaign", log_prints=True)
def plan_campaign(
    code: str,
    year: int,
    name: str,
    conference_date: date,
    rule_pack: str | None = None,
    titles_on_offer: list[str] | None = None,
    quotas: dict[str, int] | None = None,
    now: datetime | None = None,
    actor: str = "operator",
) -> dict[str, Any]:
    """Create a campaign and its deadline plan, counted back from the conference in working days."""
    moment = resolve(now)
    pack = load_rule_pack(rule_pack) if rule_pack else rule_pack_for(conference_date)
    offered = titles_on_offer or sorted(pack.awards)
    unknown = [code for code in offered if code not in pack.awards]
    if unknown:
        raise OperatorError(
            f"Danh hiệu/hình thức không có trong bộ quy định {pack.code}: {', '.join(unknown)}. "
            f"(Unknown awards for rule pack {pack.code}.)"
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
    campaign_id = create_campaign(spec, PlanOffsets(), moment, actor)
    added = enrol_units(campaign_id, moment, actor)
    with session_scope() as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        lines = [
            f"# Kế hoạch {campaign.name}",
            "",
            "| Mốc | Ngày |",
            "|---|---|",
            f"| Gửi công văn | {format_vn_date(campaign.dispatch_on)} |",
            f"| Hạn nộp hồ sơ | {format_vn_date(campaign.submission_due)} |",
            f"| Hạn thẩm định | {format_vn_date(campaign.review_due)} |",
            f"| Họp Hội đồng | {format_vn_date(campaign.council_on)} |",
            f"| Trình phê duyệt | {format_vn_date(campaign.approval_due)} |",
            f"| Hội nghị tôn vinh | {format_vn_date(campaign.conference_date)} |",
            "",
            f"Bộ quy định áp dụng: `{pack.code}` — {pack.citation}",
        ]
        notes = pack.unconfirmed_notes()
        if notes:
            lines += ["", "**Giá trị chưa xác nhận (có thể cấu hình):**", ""]
            lines += [f"- {note}" for note in notes]
        create_markdown_artifact(key=artifact_key(campaign.code, "plan"), markdown="\n".join(lines))
        result = {
            "campaign": campaign.code,
            "units_enrolled": added,
            "deadlines": campaign.model_dump(mode="json", include=_DEADLINE_FIELDS),
            "rule_pack": pack.code,
            "unconfirmed": notes,
        }
    # The campaign's units table, progress and summary exist from the start, not from dispatch.
    publish_campaign_artifacts(code, moment)
    return result
