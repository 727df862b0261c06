"""The approving leader's door: the invitation sent when the approval flow pauses, what the
leader's link opens, the page's figures and draft decision, and checking the leader's answer.

The answer itself resumes the paused Prefect run (``portal.leader_pages``) with the same typed
input as the Prefect UI form (``services.approval.ApprovalRequest``); the run records it
(``record_approval``), so the audit is the same whichever door the leader used. Nothing here
imports Prefect.
"""

from __future__ import annotations

import tempfile
from datetime import date, datetime
from pathlib import Path

from pydantic import BaseModel
from sqlalchemy import update
from sqlmodel import Session, col, select

from documents.decision import write_decision_docx
from documents.text import format_vnd
from models import audit
from models.access import LINK_PLACEHOLDER, hash_token
from models.audit import AuditEntity
from models.campaign import Campaign
from models.council import ApprovalDecision
from models.leader_access import LeaderInvite, LeaderToken
from models.nomination import NominationStatus
from models.outbox import EmailKind
from models.settings import Settings
from notifications.addresses import mailbox
from notifications.outbox import OutboxItem, enqueue_many, key_for
from notifications.render import render_email
from services.approval import ApprovalList, ApprovalRequest, approval_list
from services.campaigns import load_campaign
from services.honour import draft_decision
from services.links import TOKEN_SHAPE

PASSED = (NominationStatus.PASSED,)
MAX_COMMENT = 2000


class LeaderLink(BaseModel):
    """What a valid leader token opens: one invite (one paused run of one campaign)."""

    token_id: int
    invite_id: int
    campaign_id: int
    campaign_code: str
    flow_run_id: str
    approver_name: str
    approver_title: str
    asked_on: date
    used_at: datetime | None
    used_decision: str | None


def invite_leader(
    session: Session, campaign_code: str, flow_run_id: str, now: datetime, settings: Settings
) -> int | None:
    """Invite the approving leader to decide the paused run ``flow_run_id``: the invite and its
    email (the link minted at delivery), in the caller's transaction. Returns the invite's id;
    the same one for a run invited before (a suspended run starts again from the top); None
    when no leader's email is configured (the Prefect UI form is then the only door)."""
    if not settings.approver_email.strip():
        return None
    campaign = load_campaign(session, campaign_code)
    assert campaign.id is not None
    found = session.exec(
        select(LeaderInvite).where(LeaderInvite.flow_run_id == flow_run_id)
    ).first()
    if found is not None:
        return found.id
    listed = approval_list(session, campaign_code)
    invite = LeaderInvite(
        campaign_id=campaign.id,
        flow_run_id=flow_run_id,
        approver_name=settings.approver,
        approver_title=settings.approver_title.strip(),
        approver_email=settings.approver_email.strip(),
        created_at=now,
    )
    session.add(invite)
    session.flush()
    assert invite.id is not None
    draft = draft_decision(session, campaign, PASSED, now.date(), invite.approver_name)
    context = {
        "ministry_name": settings.ministry_name,
        "department_name": settings.department_name,
        "approver_name": invite.approver_name,
        "approver_title": invite.approver_title,
        "campaign_name": campaign.name,
        "campaign_code": campaign.code,
        "passed_count": len({d.nomination_id for d in listed.dossiers}),
        "budget_text": f"{format_vnd(draft.total_amount)} đồng",
        "approval_url": f"{settings.approval_base_url.rstrip('/')}/{LINK_PLACEHOLDER}",
    }
    kind = EmailKind.LEADER_APPROVAL
    item = OutboxItem(
        key=key_for(campaign.id, None, kind, invite.id),
        kind=kind,
        tier=invite.id,  # which invite delivery mints the link for (notifications.links)
        to=[mailbox(invite.approver_name, invite.approver_email)],
        cc=[],
        rendered=render_email(kind, context, lang="vi"),
        campaign_id=campaign.id,
    )
    enqueue_many(session, [item], now)
    audit.record(
        session,
        at=now,
        actor=settings.default_actor,
        entity=AuditEntity.CAMPAIGN,
        entity_id=campaign.id,
        campaign_id=campaign.id,
        action="leader_invited",
        details={"flow_run_id": flow_run_id, "invite_id": invite.id},
    )
    return invite.id


def open_leader_link(session: Session, token: str) -> LeaderLink | None:
    """The invite a token opens, or None (malformed or unknown: never said which)."""
    if not TOKEN_SHAPE.fullmatch(token):
        return None
    row = session.exec(
        select(LeaderToken, LeaderInvite, Campaign)
        .join(LeaderInvite, col(LeaderInvite.id) == LeaderToken.invite_id)
        .join(Campaign, col(Campaign.id) == LeaderInvite.campaign_id)
        .where(LeaderToken.token_hash == hash_token(token))
    ).first()
    if row is None:
        return None
    access, invite, campaign = row
    assert access.id is not None and invite.id is not None and campaign.id is not None
    return LeaderLink(
        token_id=access.id,
        invite_id=invite.id,
        campaign_id=campaign.id,
        campaign_code=campaign.code,
        flow_run_id=invite.flow_run_id,
        approver_name=invite.approver_name,
        approver_title=invite.approver_title,
        asked_on=invite.created_at.date(),
        used_at=invite.used_at,
        used_decision=invite.used_decision,
    )


def reload_link(session: Session, link: LeaderLink) -> LeaderLink:
    """``link`` as its invite stands now (used since it was opened?)."""
    invite = session.get(LeaderInvite, link.invite_id)
    assert invite is not None
    return link.model_copy(
        update={"used_at": invite.used_at, "used_decision": invite.used_decision}
    )


class LeaderDossier(BaseModel):
    """One dossier the council passed, with each award it passed for and the votes."""

    nomination_id: int
    full_name: str
    unit_name: str
    awards: list[tuple[str, int, int, float]]  # (award, votes in favour, members, share)


class LeaderView(BaseModel):
    """What the leader's page shows: the council's result and the budget of approving it all."""

    campaign_name: str
    campaign_code: str
    listed: ApprovalList
    dossiers: list[LeaderDossier]
    decision_date: date
    budget_total: int
    honourees: int


def _by_dossier(listed: ApprovalList) -> list[LeaderDossier]:
    grouped: dict[int, LeaderDossier] = {}
    for line in listed.dossiers:
        dossier = grouped.setdefault(
            line.nomination_id,
            LeaderDossier(
                nomination_id=line.nomination_id,
                full_name=line.full_name,
                unit_name=line.unit_name,
                awards=[],
            ),
        )
        dossier.awards.append(
            (line.award_name, line.votes_in_favour, line.members_total, line.share)
        )
    return list(grouped.values())


def leader_view(session: Session, link: LeaderLink) -> LeaderView:
    """The page's figures; refuses (``not_awaiting_approval``) once the campaign has moved on."""
    campaign = load_campaign(session, link.campaign_code)
    listed = approval_list(session, link.campaign_code)
    decision_date = _draft_date(campaign, link)
    draft = draft_decision(session, campaign, PASSED, decision_date, link.approver_name)
    return LeaderView(
        campaign_name=campaign.name,
        campaign_code=campaign.code,
        listed=listed,
        dossiers=_by_dossier(listed),
        decision_date=decision_date,
        budget_total=draft.total_amount,
        honourees=len(draft.honourees),
    )


def _draft_date(campaign: Campaign, link: LeaderLink) -> date:
    """The draft's date: the decision's own once fixed, else the day leadership was asked."""
    return campaign.decision_date or link.asked_on


def decision_preview(session: Session, link: LeaderLink) -> tuple[str, bytes]:
    """The draft decision as if everything the council passed were approved: (file name, DOCX)."""
    campaign = load_campaign(session, link.campaign_code)
    approval_list(session, link.campaign_code)  # refuses once the campaign has moved on
    draft = draft_decision(
        session, campaign, PASSED, _draft_date(campaign, link), link.approver_name
    )
    name = f"du-thao-quyet-dinh-{campaign.code}.docx"
    with tempfile.TemporaryDirectory(prefix="tonvinh-preview-") as folder:
        path = write_decision_docx(Path(folder) / name, draft)
        return name, path.read_bytes()


class LeaderChoice:
    """The page's four answers (the form's ``decision`` values)."""

    APPROVE_ALL = "approve_all"
    APPROVE_EXCEPT = "approve_except"
    RETURN = "return"
    REJECT = "reject"
    ALL = (APPROVE_ALL, APPROVE_EXCEPT, RETURN, REJECT)


FieldErrors = dict[str, tuple[str, str]]


def leader_request(
    listed: ApprovalList,
    *,
    choice: str,
    excluded: list[str],
    reason: str,
    comment: str,
    approver: str,
) -> tuple[ApprovalRequest | None, FieldErrors]:
    """The leader's form as the typed answer the Prefect form takes, or the errors by field
    (Vietnamese and English, naming the field and what to do)."""
    errors: FieldErrors = {}
    ids_on_list = {d.nomination_id for d in listed.dossiers}
    chosen: list[int] = []
    for value in excluded:
        number = int(value) if value.isdigit() else -1
        if number not in ids_on_list:
            errors["excluded"] = (
                "Mục “Hồ sơ không phê duyệt”: có hồ sơ không thuộc danh sách trình. Xin tải lại "
                "trang và chọn lại.",
                "“Dossiers not approved”: one is not on the list. Reload the page and choose "
                "again.",
            )
        elif number not in chosen:
            chosen.append(number)
    if choice not in LeaderChoice.ALL:
        errors["decision"] = (
            "Mục “Ý kiến phê duyệt”: xin chọn một trong các phương án.",
            "“Decision”: choose one of the options.",
        )
    elif choice == LeaderChoice.APPROVE_ALL and chosen:
        errors["excluded"] = (
            "Mục “Hồ sơ không phê duyệt”: đã đánh dấu hồ sơ nhưng lại chọn “Phê duyệt toàn bộ”. "
            "Xin bỏ dấu, hoặc chọn “Phê duyệt, trừ các hồ sơ đánh dấu”.",
            "“Dossiers not approved”: some are ticked but “Approve all” is chosen. Untick them "
            "or choose “Approve except the ticked dossiers”.",
        )
    elif choice == LeaderChoice.APPROVE_EXCEPT and not chosen and "excluded" not in errors:
        errors["excluded"] = (
            "Mục “Hồ sơ không phê duyệt”: xin đánh dấu ít nhất một hồ sơ không phê duyệt.",
            "“Dossiers not approved”: tick at least one dossier.",
        )
    elif choice == LeaderChoice.APPROVE_EXCEPT and ids_on_list and set(chosen) == ids_on_list:
        errors["excluded"] = (
            "Mục “Hồ sơ không phê duyệt”: đã đánh dấu tất cả hồ sơ. Nếu không phê duyệt hồ sơ "
            "nào, xin chọn “Trả lại Hội đồng” hoặc “Không phê duyệt danh sách”.",
            "“Dossiers not approved”: every dossier is ticked. To approve none, choose “Return "
            "to the council” or “Reject the list”.",
        )
    if choice == LeaderChoice.APPROVE_EXCEPT and not reason.strip():
        errors["exclusion_reason"] = (
            "Mục “Lý do không phê duyệt”: bắt buộc khi có hồ sơ không phê duyệt.",
            "“Reason”: required when dossiers are not approved.",
        )
    if choice in (LeaderChoice.RETURN, LeaderChoice.REJECT) and not comment.strip():
        errors["comment"] = (
            "Mục “Ý kiến”: xin ghi lý do trả lại Hội đồng hoặc không phê duyệt.",
            "“Comment”: give the reason for returning or rejecting the list.",
        )
    if len(comment) > MAX_COMMENT or len(reason) > MAX_COMMENT:
        field = "comment" if len(comment) > MAX_COMMENT else "exclusion_reason"
        errors[field] = (
            f"Nội dung quá dài (tối đa {MAX_COMMENT} ký tự).",
            f"Too long (at most {MAX_COMMENT} characters).",
        )
    name = " ".join(approver.split())
    if not 2 <= len(name) <= 255:
        errors["approver"] = (
            "Mục “Họ tên người phê duyệt”: xin ghi họ tên (từ 2 đến 255 ký tự).",
            "“Approver's name”: write the name (2 to 255 characters).",
        )
    if errors:
        return None, errors
    decision = {
        LeaderChoice.RETURN: ApprovalDecision.RETURN,
        LeaderChoice.REJECT: ApprovalDecision.REJECT,
    }.get(choice, ApprovalDecision.APPROVE)
    excluding = choice == LeaderChoice.APPROVE_EXCEPT
    return (
        ApprovalRequest(
            decision=decision,
            approver=name,
            exclude_nomination_ids=chosen if excluding else [],
            exclusion_reason=reason.strip() if excluding else "",
            comment=comment.strip(),
        ),
        {},
    )


def claim_invite(session: Session, invite_id: int, decision: str, now: datetime) -> bool:
    """Mark the invite used, in the caller's transaction, if nobody did before; False if it was
    used already. A guarded row update, so two submissions at once (a double click, two
    processes) cannot both pass: the second waits for the first's row lock, then finds it
    used. The caller commits only once the run is resumed, and rolls back if it could not be."""
    result = session.connection().execute(
        update(LeaderInvite)
        .where(col(LeaderInvite.id) == invite_id, col(LeaderInvite.used_at).is_(None))
        .values(used_at=now, used_decision=decision)
    )
    return int(result.rowcount or 0) == 1
