"""A unit's nil return: "no nominations this year", confirmed by a named person.

It is the unit's answer: the reminder ladder treats it like a submission (no more reminders),
status and artifacts show "Không đề nghị". It can be withdrawn until the list closes, and a list
sent afterwards replaces it (``services.intake``). Both moves are audited and announced.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import func
from sqlmodel import Session, select

from models import audit
from models.audit import AuditEntity
from models.campaign import CampaignUnit, ParticipationStatus
from models.nomination import Nomination, NominationStatus
from services import events
from services.campaigns import find_part, load_campaign
from services.errors import OperatorError
from services.window import check_open

NAME_MAX = 120


class NilReturn(BaseModel):
    campaign: str
    unit: str
    status: ParticipationStatus
    nil_return_at: datetime | None
    nil_return_by: str | None
    changed: bool  # False: it already stood (or was already withdrawn): a double click


def clean_name(value: str) -> str:
    """A person's name as typed: NFC, single spaces, no control characters."""
    text = unicodedata.normalize("NFC", value)
    return " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())


def _answer(part: CampaignUnit, campaign: str, unit: str, changed: bool) -> NilReturn:
    return NilReturn(
        campaign=campaign,
        unit=unit,
        status=part.status,
        nil_return_at=part.nil_return_at,
        nil_return_by=part.nil_return_by,
        changed=changed,
    )


def declare_nil_return(
    session: Session,
    campaign_code: str,
    unit_code: str,
    *,
    name: str,
    confirmed: bool,
    now: datetime,
    actor: str,
) -> NilReturn:
    """Record that the unit nominates nobody this year, in the caller's transaction.

    Refused (``OperatorError``, naming the field) without the confirmation or a name, once the
    list has closed, and while the unit still has dossiers in the campaign."""
    person = clean_name(name)
    if not confirmed:
        raise OperatorError(
            "nil_return_unconfirmed",
            "Mục “Xác nhận”: cần đánh dấu xác nhận đơn vị không đề nghị khen thưởng năm nay.",
            "“Confirm”: tick the box to confirm that the unit nominates nobody this year.",
            field="confirm",
        )
    if len(person) < 2 or len(person) > NAME_MAX:
        raise OperatorError(
            "nil_return_name_required",
            f"Mục “Họ và tên người xác nhận”: cần ghi họ và tên (2–{NAME_MAX} ký tự).",
            f"“Full name of the person confirming”: write a full name (2–{NAME_MAX} characters).",
            field="name",
        )
    campaign = load_campaign(session, campaign_code)
    part, unit = find_part(session, campaign, unit_code, for_update=True)
    assert part.id is not None
    check_open(campaign, part, now.date())
    if part.status == ParticipationStatus.NIL_RETURN:
        return _answer(part, campaign.code, unit.code, changed=False)
    live = session.exec(
        select(func.count())
        .select_from(Nomination)
        .where(
            Nomination.campaign_id == campaign.id,
            Nomination.unit_id == unit.id,
            Nomination.status != NominationStatus.WITHDRAWN,
        )
    ).one()
    if live:
        raise OperatorError(
            "nil_return_has_dossiers",
            f"Đơn vị đang có {live} hồ sơ đề nghị trong đợt này; muốn rút hết, xin gửi lại danh "
            "sách không còn ai hoặc liên hệ Vụ Thi đua – Khen thưởng.",
            f"The unit has {live} dossier(s) in this campaign; to withdraw them, send a list "
            "without them or contact the department.",
            dossiers=int(live),
        )
    audit.record(
        session,
        at=now,
        actor=actor,
        entity=AuditEntity.CAMPAIGN_UNIT,
        entity_id=part.id,
        campaign_id=campaign.id,
        action="nil_return",
        from_state=part.status,
        to_state=ParticipationStatus.NIL_RETURN,
        reason=f"Không đề nghị khen thưởng; xác nhận: {person}",
        details={"confirmed_by": person},
    )
    part.status = ParticipationStatus.NIL_RETURN
    part.nil_return_at = now
    part.nil_return_by = person
    session.add(part)
    session.flush()
    code = campaign.code
    events.after_commit(
        session,
        lambda: events.publish_unit_events("nil_return", code, [(unit.code, {"by": person})]),
    )
    return _answer(part, campaign.code, unit.code, changed=True)


def withdraw_nil_return(
    session: Session, campaign_code: str, unit_code: str, *, now: datetime, actor: str
) -> NilReturn:
    """Take a nil return back while the list is still open: the unit is behind again (and
    reminded again) until it sends a list or a new answer."""
    campaign = load_campaign(session, campaign_code)
    part, unit = find_part(session, campaign, unit_code, for_update=True)
    assert part.id is not None
    check_open(campaign, part, now.date())
    if part.status != ParticipationStatus.NIL_RETURN:
        return _answer(part, campaign.code, unit.code, changed=False)
    if part.first_submitted_at is not None:
        back = ParticipationStatus.SUBMITTED
    elif part.called_at is not None:
        back = ParticipationStatus.CALLED
    else:
        back = ParticipationStatus.INVITED
    audit.record(
        session,
        at=now,
        actor=actor,
        entity=AuditEntity.CAMPAIGN_UNIT,
        entity_id=part.id,
        campaign_id=campaign.id,
        action="nil_return_withdrawn",
        from_state=part.status,
        to_state=back,
        details={"confirmed_by": part.nil_return_by},
    )
    part.status = back
    part.nil_return_at = None
    part.nil_return_by = None
    session.add(part)
    session.flush()
    code = campaign.code
    events.after_commit(
        session,
        lambda: events.publish_unit_events("nil_return_withdrawn", code, [(unit.code, {})]),
    )
    return _answer(part, campaign.code, unit.code, changed=True)
