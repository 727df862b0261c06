"""What intake tells a unit: a receipt for every list it stores, and the located errors of a
list the operator's batch intake refused.

* ``enqueue_receipt`` runs in the transaction that stores the list, so a receipt exists exactly
  when the list does; its tier is the submission's id, so a re-run never sends it twice.
* ``tell_unit_list_rejected`` runs in a transaction of its own (nothing of the list is stored):
  the first errors as a table and how many more there are. Its tier counts the unit's refused
  lists; the file's SHA-256 in the audit event makes a re-run of the same file a no-op. A
  unit's own upload on the portal gets no letter: the page shows the errors.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlmodel import Session, func, select

from models import audit
from models.audit import AuditEntity, AuditEvent
from models.campaign import Campaign, CampaignUnit
from models.clock import to_vn
from models.nomination import NominationCreate
from models.outbox import EmailKind, OutboxMessage
from models.rules.calendar import format_en_date, format_vn_date
from models.rules.identity import nominee_identity
from models.rules.ladder import Audience
from models.settings import get_settings
from models.unit import Unit
from services.campaigns import (
    award_names,
    calendar_for,
    campaign_pack,
    find_part,
    load_campaign,
)
from services.errors import OperatorError
from services.letters import UnitEmail, enqueue_unit_emails

log = logging.getLogger(__name__)

# A receipt names at most this many dossiers, then how many more (a list may hold thousands).
RECEIPT_MAX_DOSSIERS = 100
# A refusal letter lists at most this many errors, then how many more.
LETTER_MAX_ERRORS = 20
# Hex digits of the SHA-256 a receipt shows: enough to tell two versions of a list apart.
SHA_SHOWN = 12
LIST_REJECTED_ACTION = "list_rejected"


class LocatedError(Protocol):
    """One reason a list was refused, where the unit sees it (row 0: the whole file)."""

    @property
    def sheet(self) -> str: ...
    @property
    def row(self) -> int: ...
    @property
    def column(self) -> str: ...
    @property
    def reason_vi(self) -> str: ...
    @property
    def reason_en(self) -> str: ...


def received_texts(now: datetime) -> dict[str, str]:
    """When a list arrived, as the letters say it: "16:05, Thứ Hai, ngày 04/03/2019"."""
    moment = to_vn(now)
    return {
        "received_text": f"{moment:%H:%M}, {format_vn_date(moment.date())}",
        "received_text_en": f"{moment:%H:%M} on {format_en_date(moment.date())}",
    }


def _queue(
    session: Session,
    campaign: Campaign,
    email: UnitEmail,
    now: datetime,
) -> bool:
    [queued] = enqueue_unit_emails(
        session,
        [email],
        campaign=campaign,
        calendar=calendar_for(session, campaign),
        now=now,
        settings=get_settings(),
    )
    return queued


def enqueue_receipt(
    session: Session,
    campaign: Campaign,
    unit: Unit,
    part: CampaignUnit,
    *,
    submission_id: int,
    file_name: str,
    sha256: str,
    rows: Sequence[NominationCreate],
    new_keys: Collection[str],
    counts: tuple[int, int, int],
    now: datetime,
) -> bool:
    """Queue the receipt of a list stored in the caller's transaction: file name, time,
    fingerprint, the counts (created, updated, withdrawn) and the list's dossiers with the
    title and form each proposes (``new_keys``: the nominee keys this list created)."""
    pack = campaign_pack(campaign)
    shown = rows[:RECEIPT_MAX_DOSSIERS]
    created, updated, withdrawn = counts
    extra: dict[str, Any] = {
        "file_name": file_name,
        **received_texts(now),
        "sha256_short": sha256[:SHA_SHOWN],
        "created": created,
        "updated": updated,
        "withdrawn": withdrawn,
        "dossiers": [
            {
                "full_name": row.full_name,
                "award": award_names(pack, unit.lang, row.proposed_title, row.proposed_form),
                "is_new": nominee_identity(row.kind, row.full_name, row.birth_date) in new_keys,
            }
            for row in shown
        ],
        "more_dossiers": len(rows) - len(shown),
    }
    email = UnitEmail(EmailKind.RECEIPT, submission_id, Audience.FOCAL, unit, part, extra)
    return _queue(session, campaign, email, now)


def tell_unit_list_rejected(
    session: Session,
    campaign_code: str,
    unit_code: str,
    *,
    file_name: str,
    sha256: str,
    errors: Sequence[LocatedError],
    total_errors: int,
    now: datetime,
    actor: str,
) -> bool:
    """Write to the unit a refused list names: its first errors (sheet, row, column, reason in
    the unit's language) and how many more. Its own transaction, committed here; False when
    nothing was queued (the unit is not in the campaign, or this very file was already
    reported to it)."""
    try:
        campaign = load_campaign(session, campaign_code)
        # Locked: two batches refusing lists of one unit at once count its letters in turn.
        part, unit = find_part(session, campaign, unit_code, for_update=True)
    except OperatorError:
        session.rollback()
        log.info("Refused list %s names %s, not a unit of %s", file_name, unit_code, campaign_code)
        return False
    assert campaign.id is not None and part.id is not None and unit.id is not None
    reported = session.exec(
        select(AuditEvent.details).where(
            AuditEvent.entity == AuditEntity.CAMPAIGN_UNIT,
            AuditEvent.entity_id == part.id,
            AuditEvent.action == LIST_REJECTED_ACTION,
        )
    ).all()
    if any((details or {}).get("sha256") == sha256 for details in reported):
        session.rollback()  # a re-run of the same file: the unit already has its letter
        return False
    earlier = session.exec(
        select(func.count()).where(
            OutboxMessage.campaign_id == campaign.id,
            OutboxMessage.unit_id == unit.id,
            OutboxMessage.kind == EmailKind.LIST_REJECTED,
        )
    ).one()
    tier = int(earlier) + 1
    english = unit.lang == "en"
    listed = [
        {
            "sheet": e.sheet,
            "row": e.row,
            "column": e.column,
            "reason": e.reason_en if english else e.reason_vi,
        }
        for e in errors[:LETTER_MAX_ERRORS]
    ]
    extra: dict[str, Any] = {
        "file_name": file_name,
        **received_texts(now),
        "errors": listed,
        "more_errors": max(0, total_errors - len(listed)),
    }
    email = UnitEmail(EmailKind.LIST_REJECTED, tier, Audience.FOCAL, unit, part, extra)
    queued = _queue(session, campaign, email, now)
    audit.record(
        session,
        at=now,
        actor=actor,
        entity=AuditEntity.CAMPAIGN_UNIT,
        entity_id=part.id,
        campaign_id=campaign.id,
        action=LIST_REJECTED_ACTION,
        reason=f"{total_errors} lỗi trong tệp {file_name} (errors in the file)",
        details={"file": file_name, "sha256": sha256, "errors": total_errors, "tier": tier},
    )
    session.commit()
    return queued
