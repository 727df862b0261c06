"""Stage 5 - review (thẩm định): automatic checks, the officer's decisions, return with reasons."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from enum import StrEnum
from typing import Any, cast

from prefect import flow, task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE
from pydantic import BaseModel
from sqlmodel import Session, col, func, select

from flows.awards import campaign_pack
from flows.common import (
    OperatorError,
    Transition,
    artifact_key,
    calendar_for,
    campaign_parts,
    deliver_outbox,
    load_campaign,
    move_nominations,
    set_stage,
)
from flows.mail import enqueue_per_unit
from flows.monitor import publish_campaign_artifacts
from models import audit
from models.campaign import CampaignStage, ParticipationStatus
from models.clock import resolve
from models.db import session_scope
from models.nomination import (
    NOMINATION_STATUS_VI,
    Nomination,
    NominationStatus,
    NomineeKind,
    ReviewFinding,
    Severity,
)
from models.outbox import OutboxMessage
from models.rules.calendar import format_vn_date
from models.rules.duplicates import Proposal, cross_unit_duplicates
from models.rules.eligibility import NomineeFacts, check_eligibility
from models.unit import Unit

RESUBMISSION_WORKING_DAYS = 5  # returned dossiers come back within 5 working days [C]
AUTO_REVIEWER = "kiểm tra tự động"


class ReviewAction(StrEnum):
    ACCEPT = "accept"
    RETURN = "return"
    REJECT = "reject"


class ReviewDecision(BaseModel):
    """An officer's verdict on one nomination; a return needs a reason the unit can act on."""

    nomination_id: int
    action: ReviewAction
    reason: str = ""


def facts_of(nomination: Nomination) -> NomineeFacts:
    return NomineeFacts(
        kind=nomination.kind,
        proposed_title=nomination.proposed_title,
        proposed_form=nomination.proposed_form,
        consecutive_base_years=nomination.consecutive_base_years,
        consecutive_ministry_years=nomination.consecutive_ministry_years,
        initiative_level=nomination.initiative_level,
        excellent_completion=nomination.excellent_completion,
        under_discipline=nomination.under_discipline,
        women_share=nomination.women_share,
        has_achievement_report=bool(nomination.achievement_summary or nomination.attachments),
    )


@task(name="check-and-decide", cache_policy=NO_CACHE)
def check_and_decide(
    campaign_code: str, decisions: list[ReviewDecision], now: datetime, reviewer: str
) -> dict[str, Any]:
    """Run the rule pack over new dossiers, then apply the officer's decisions on top."""
    with session_scope() as session:
        campaign = load_campaign(session, campaign_code)
        assert campaign.id is not None
        pack = campaign_pack(campaign)
        returned_by_unit: dict[int, list[Nomination]] = defaultdict(list)
        counts: dict[str, Any] = {"checked": 0, "eligible": 0, "ineligible": 0, "returned": 0}
        fresh = session.exec(
            select(Nomination).where(
                Nomination.campaign_id == campaign.id,
                Nomination.status == NominationStatus.SUBMITTED,
            )
        ).all()
        checked: list[Transition] = []
        created: list[ReviewFinding] = []  # this round's findings, for the officer's table
        for nomination in fresh:
            assert nomination.id is not None
            findings = check_eligibility(facts_of(nomination), pack)
            created += [
                ReviewFinding(
                    nomination_id=nomination.id,
                    code=finding.code,
                    severity=Severity(finding.severity),
                    message=finding.message_vi,
                    citation=finding.citation,
                    reviewer=AUTO_REVIEWER,
                    created_at=now,
                )
                for finding in findings
            ]
            errors = [f for f in findings if f.severity == Severity.ERROR]
            counts["checked"] += 1
            reason = "; ".join(f"{f.message_vi} ({f.citation})" for f in errors)
            if nomination.under_discipline:
                # A frozen nominee cannot be fixed by resubmitting: the law bars the nomination.
                checked.append(Transition(nomination, NominationStatus.INELIGIBLE, reason))
            elif errors:
                checked.append(Transition(nomination, NominationStatus.RETURNED, reason))
                returned_by_unit[nomination.unit_id].append(nomination)
            else:
                checked.append(Transition(nomination, NominationStatus.ELIGIBLE))
        move_nominations(
            session,
            checked,
            now=now,
            actor=AUTO_REVIEWER,
            action="reviewed",
            campaign_id=campaign.id,
        )
        duplicates = _cross_unit_duplicate_findings(
            session, campaign.id, [n.id for n in fresh if n.id is not None], now
        )
        created += duplicates
        session.add_all(created)
        counts["possible_duplicates"] = len(duplicates)
        by_id = {
            n.id: n
            for n in session.exec(
                select(Nomination).where(
                    col(Nomination.id).in_([d.nomination_id for d in decisions]),
                    Nomination.campaign_id == campaign.id,
                )
            ).all()
        }
        for decision in decisions:
            decided = by_id.get(decision.nomination_id)
            if decided is None:
                raise OperatorError(
                    f"Không có hồ sơ số {decision.nomination_id} trong đợt {campaign.code}. "
                    f"(No nomination {decision.nomination_id} in this campaign.)"
                )
            if decision.action is not ReviewAction.ACCEPT and not decision.reason.strip():
                raise OperatorError(
                    f"Hồ sơ số {decision.nomination_id}: cần ghi rõ lý do. (A reason is required.)"
                )
            target = {
                ReviewAction.ACCEPT: NominationStatus.ELIGIBLE,
                ReviewAction.RETURN: NominationStatus.RETURNED,
                ReviewAction.REJECT: NominationStatus.INELIGIBLE,
            }[decision.action]
            if decided.status == target:
                continue
            # One at a time: a later decision on the same dossier starts from this one.
            move_nominations(
                session,
                [Transition(decided, target, decision.reason.strip())],
                now=now,
                actor=reviewer,
                action="reviewed",
                campaign_id=campaign.id,
            )
            if target is NominationStatus.RETURNED:
                returned_by_unit[decided.unit_id].append(decided)
        for status in (NominationStatus.ELIGIBLE, NominationStatus.INELIGIBLE):
            counts[status.value] = session.exec(
                select(func.count()).where(
                    Nomination.campaign_id == campaign.id, Nomination.status == status
                )
            ).one()
        counts["returned"] = sum(len(v) for v in returned_by_unit.values())
        # After the officer's decisions, so the table shows where each dossier stands now.
        counts["warnings"] = _publish_findings(session, campaign.code, created)
        _notify_returns(session, campaign_code, returned_by_unit, now, reviewer)
        set_stage(session, campaign, CampaignStage.REVIEW, now, reviewer)
        return counts


def _publish_findings(
    session: Session, campaign_code: str, findings: list[ReviewFinding]
) -> list[str]:
    """This round's findings as the officer reads them: a table artifact (every finding, with
    the dossier, its unit and its status now) and, returned for the command line, one line per
    warning (errors have already returned their dossiers to the units, with the reasons)."""
    if not findings:
        return []
    rows = {
        n.id: (n, code)
        for n, code in session.exec(
            select(Nomination, Unit.code)
            .join(Unit, col(Unit.id) == Nomination.unit_id)
            .where(col(Nomination.id).in_({f.nomination_id for f in findings}))
        ).all()
    }
    ordered = sorted(findings, key=lambda f: (f.nomination_id, f.severity, f.code))
    create_table_artifact(
        key=artifact_key(campaign_code, "review"),
        table=[
            {
                "Hồ sơ": f.nomination_id,
                "Đơn vị": rows[f.nomination_id][1],
                "Họ tên / Tập thể": rows[f.nomination_id][0].full_name,
                "Trạng thái": NOMINATION_STATUS_VI[rows[f.nomination_id][0].status],
                "Mức": "Lỗi" if f.severity is Severity.ERROR else "Cảnh báo",
                "Nội dung": f.message,
                "Căn cứ": f.citation,
            }
            for f in ordered
        ],
        description="Kết quả kiểm tra tự động của đợt thẩm định này",
    )
    return [
        f"Hồ sơ số {f.nomination_id} ({rows[f.nomination_id][1]}, "
        f"{rows[f.nomination_id][0].full_name}): {f.message}"
        for f in ordered
        if f.severity is Severity.WARNING
    ]


def _cross_unit_duplicate_findings(
    session: Session, campaign_id: int, fresh_ids: list[int], now: datetime
) -> list[ReviewFinding]:
    """A warning for each new dossier whose person another unit proposes too (the officer
    decides which stands; see ``models.rules.duplicates``)."""
    if not fresh_ids:
        return []
    proposals = [
        Proposal(cast(int, nomination_id), unit_id, key, kind == NomineeKind.INDIVIDUAL)
        for nomination_id, unit_id, key, kind in session.exec(
            select(
                Nomination.id, Nomination.unit_id, Nomination.nominee_key, Nomination.kind
            ).where(
                Nomination.campaign_id == campaign_id,
                Nomination.status != NominationStatus.WITHDRAWN,
            )
        ).all()
    ]
    found = cross_unit_duplicates(proposals, fresh_ids)
    other_units = {o.unit_id for others in found.values() for o in others}
    units = dict(
        session.exec(select(Unit.id, Unit.code).where(col(Unit.id).in_(other_units))).all()
    )
    return [
        ReviewFinding(
            nomination_id=nomination_id,
            code="possible_duplicate",
            severity=Severity.WARNING,
            message=(
                "Cùng họ tên và ngày sinh với hồ sơ "
                + ", ".join(f"số {o.nomination_id} của {units.get(o.unit_id, '?')}" for o in others)
                + ": có thể là một người được hai đơn vị đề nghị; chuyên viên cần xác minh. "
                "(Same name and birth date as another unit's nomination; check that it is not "
                "the same person.)"
            ),
            reviewer=AUTO_REVIEWER,
            created_at=now,
        )
        for nomination_id, others in found.items()
    ]


def _notify_returns(
    session: Session,
    campaign_code: str,
    returned_by_unit: dict[int, list[Nomination]],
    now: datetime,
    reviewer: str,
) -> None:
    """One return letter per unit per round: each dossier, why, and the new resubmission date."""
    if not returned_by_unit:
        return
    campaign = load_campaign(session, campaign_code)
    assert campaign.id is not None
    calendar = calendar_for(session, campaign)
    due = calendar.add_working_days(now.date(), RESUBMISSION_WORKING_DAYS)
    rounds = dict(
        session.exec(
            select(OutboxMessage.unit_id, func.count())
            .where(OutboxMessage.campaign_id == campaign.id, OutboxMessage.kind == "returned")
            .group_by(OutboxMessage.unit_id)  # type: ignore[arg-type]
        ).all()
    )
    for part, unit in campaign_parts(session, campaign.id):
        if unit.id not in returned_by_unit:
            continue
        assert part.id is not None
        audit.record(
            session,
            at=now,
            actor=reviewer,
            entity="campaign_unit",
            entity_id=part.id,
            campaign_id=campaign.id,
            action="returned",
            from_state=part.status,
            to_state=ParticipationStatus.RETURNED,
            reason=f"{len(returned_by_unit[unit.id])} hồ sơ bị trả lại",
        )
        part.status = ParticipationStatus.RETURNED
        part.resubmission_due = due
        session.add(part)
    enqueue_per_unit(
        session,
        kind="returned",
        campaign=campaign,
        nominations=[n for items in returned_by_unit.values() for n in items],
        now=now,
        describe=lambda mine: {
            "returned_items": [
                {"full_name": n.full_name, "reason": n.return_reason or ""} for n in mine
            ],
            "resubmission_due_text": format_vn_date(due),
        },
        tier_of=lambda unit_id: rounds.get(unit_id, 0) + 1,
    )


@flow(name="review-nominations", log_prints=True)
def review_nominations(
    campaign_code: str,
    decisions: list[ReviewDecision] | None = None,
    now: datetime | None = None,
    reviewer: str = "operator",
) -> dict[str, Any]:
    """Check every new dossier against the rule pack, apply the officer's verdicts, notify units."""
    moment = resolve(now)
    counts = check_and_decide(campaign_code, decisions or [], moment, reviewer)
    delivery = deliver_outbox(moment)
    publish_campaign_artifacts(campaign_code, moment)
    return {"campaign": campaign_code, **counts, **delivery}
