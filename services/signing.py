"""Signing is a step: the registry records the signed decision's number and date.

Until then the decision is a draft ("DỰ THẢO", no number, no date) and nothing sent out quotes
it. Signing checks the number's form ("125/QĐ-BTTTT": digits, "/", the configured suffix) and
that no other campaign holds it, refuses a date in the future, and a date on a day off of the
campaign's working-day calendar unless forced with a reason (audited); then it records the number,
date and signature block, re-renders the decision and the honourees list as signed, invites the
units (the invitations quote the number) and closes the campaign. Signing again with the same
number and date changes nothing; with another number it is refused: a signed decision is
corrected by a new decision, not by renumbering this one.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime

from pydantic import BaseModel
from sqlmodel import Session, col, select

from models import audit
from models.audit import AuditEntity
from models.campaign import Campaign
from models.rules.calendar import format_vn_date
from models.settings import SignerRole, get_settings
from services.campaigns import calendar_for, check_precondition, load_campaign
from services.documents import document_url
from services.errors import OperatorError
from services.honour import (
    DecisionDocuments,
    decision_file_name,
    honourees_file_name,
    invite_and_close,
    require_approved,
    write_documents,
)


class SignedDecision(BaseModel):
    campaign: str
    decision_number: str
    decision_date: date
    signer_name: str
    signer_title: str
    already_signed: bool  # True: signed before with this number and date; nothing changed
    invitations: int
    decision_url: str
    honourees_url: str
    # The re-rendered signed documents (None when it was signed already: nothing re-rendered).
    documents: DecisionDocuments | None = None


def normalise_number(number: str, suffix: str) -> str:
    """The number as the registry writes it, or a refusal naming the expected form."""
    text = " ".join(unicodedata.normalize("NFC", number).split())
    text = re.sub(r"\s*/\s*", "/", text)
    if not re.fullmatch(rf"[1-9][0-9]{{0,5}}/{re.escape(suffix)}", text):
        raise OperatorError(
            "decision_number_format",
            f"Số quyết định '{number}' không đúng mẫu: số thứ tự, dấu '/', rồi '{suffix}' "
            f"(ví dụ 125/{suffix}).",
            f"Decision number '{number}' is not of the form <n>/{suffix} (e.g. 125/{suffix}).",
            field="number",
        )
    return text


def sign_decision(
    session: Session,
    campaign_code: str,
    number: str,
    signed_on: date,
    *,
    now: datetime,
    actor: str,
    signer_name: str | None = None,
    signer_role: SignerRole | None = None,
    force_reason: str | None = None,
) -> SignedDecision:
    """Record the signed decision's number and date, re-render it signed, send the invitations
    that quote it and close the campaign, in the caller's one transaction."""
    settings = get_settings()
    campaign = load_campaign(session, campaign_code)
    # One signing at a time (PostgreSQL locks the row; SQLite writes one at a time anyway).
    locked = session.exec(
        select(Campaign).where(Campaign.id == campaign.id).with_for_update()
    ).one()
    assert locked.id is not None
    require_approved(locked)
    numbered = normalise_number(number, settings.decision_number_suffix)
    if locked.decision_number is not None:
        if locked.decision_number == numbered and locked.decision_date == signed_on:
            return _result(locked, already_signed=True, invitations=0)
        raise OperatorError(
            "decision_already_signed",
            f"Quyết định của đợt {locked.code} đã ký, số {locked.decision_number} ngày "
            f"{locked.decision_date:%d/%m/%Y}; không ghi lại số khác.",
            f"The decision of {locked.code} is already signed as {locked.decision_number} "
            f"on {locked.decision_date}; it is not renumbered.",
            field="number",
        )
    taken = session.exec(
        select(Campaign.code).where(
            Campaign.decision_number == numbered, col(Campaign.id) != locked.id
        )
    ).first()
    if taken is not None:
        raise OperatorError(
            "decision_number_taken",
            f"Số {numbered} đã là số quyết định của đợt {taken}.",
            f"Number {numbered} is already the decision of campaign {taken}.",
            field="number",
            campaign=taken,
        )
    if signed_on > now.date():
        raise OperatorError(
            "decision_date_future",
            f"Ngày ký {signed_on:%d/%m/%Y} chưa đến; ghi số sau khi quyết định đã ký.",
            f"Signing date {signed_on} is in the future; record the number once it is signed.",
            field="date",
        )
    if not calendar_for(session, locked).is_working_day(signed_on):
        day_off = OperatorError(
            "decision_on_day_off",
            f"Ngày ký {format_vn_date(signed_on)} là ngày nghỉ.",
            f"The signing date {signed_on} is a day off.",
            field="date",
            day=signed_on.isoformat(),
        )
        check_precondition(
            session, locked, day_off, force_reason=force_reason, now=now, actor=actor
        )
    locked.decision_number = numbered
    locked.decision_date = signed_on
    locked.decision_signer_name = " ".join((signer_name or settings.default_signer).split())
    locked.decision_signer_title = settings.signature_block_for(signer_role)
    session.add(locked)
    audit.record(
        session,
        at=now,
        actor=actor,
        entity=AuditEntity.CAMPAIGN,
        entity_id=locked.id,
        campaign_id=locked.id,
        action="decision_signed",
        reason=(force_reason or "").strip(),
        details={
            "number": numbered,
            "date": signed_on.isoformat(),
            "signer": locked.decision_signer_name,
            "signer_title": locked.decision_signer_title,
        },
    )
    session.flush()
    documents = write_documents(session, locked.code, now)
    invitations = invite_and_close(session, locked.code, now, actor)
    signed = _result(locked, already_signed=False, invitations=invitations)
    return signed.model_copy(update={"documents": documents})


def _result(campaign: Campaign, *, already_signed: bool, invitations: int) -> SignedDecision:
    assert campaign.decision_number is not None and campaign.decision_date is not None
    return SignedDecision(
        campaign=campaign.code,
        decision_number=campaign.decision_number,
        decision_date=campaign.decision_date,
        signer_name=campaign.decision_signer_name or "",
        signer_title=campaign.decision_signer_title or "",
        already_signed=already_signed,
        invitations=invitations,
        decision_url=document_url(campaign.code, decision_file_name(campaign.code)),
        honourees_url=document_url(campaign.code, honourees_file_name(campaign.code)),
    )
