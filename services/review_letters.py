"""The review's letter on dossiers found not eligible: one per unit per round, each dossier with
every reason and its legal citation, in the unit's language.

A dossier becomes ineligible by the automatic check (the rule pack refuses a frozen nominee:
each error finding gives a reason and its citation) or by the officer's rejection (the reason
the officer typed; the citation of the dossier's error findings, when the checks found any).
The tier is the unit's review round with such a letter (its earlier ones + 1); a re-run moves
no dossier, so it queues nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlmodel import Session, col, func, select

from models.campaign import Campaign
from models.nomination import Nomination, ReviewFinding, Severity
from models.outbox import EmailKind, OutboxMessage
from models.rules.eligibility import RulePack
from models.rules.ladder import Audience
from models.settings import get_settings
from models.unit import Language
from services.campaigns import award_names, calendar_for, campaign_parts
from services.letters import UnitEmail, enqueue_unit_emails


class Reason(NamedTuple):
    """Why a dossier is not eligible, in both languages, and the legal basis ("" if none)."""

    vi: str
    en: str
    citation: str


def notify_not_eligible(
    session: Session,
    campaign: Campaign,
    refused: Sequence[tuple[Nomination, list[Reason]]],
    now: datetime,
    pack: RulePack,
) -> int:
    """Queue one letter per unit for this round's ineligible dossiers, in the caller's
    transaction; returns how many were queued."""
    if not refused:
        return 0
    assert campaign.id is not None
    by_unit: dict[int, list[tuple[Nomination, list[Reason]]]] = defaultdict(list)
    for nomination, reasons in refused:
        by_unit[nomination.unit_id].append((nomination, reasons))
    citations = _error_citations(
        session, [n.id for n, reasons in refused if n.id is not None and not _cited(reasons)]
    )
    rounds = dict(
        session.exec(
            select(OutboxMessage.unit_id, func.count())
            .where(
                OutboxMessage.campaign_id == campaign.id,
                OutboxMessage.kind == EmailKind.NOT_ELIGIBLE,
            )
            .group_by(OutboxMessage.unit_id)  # type: ignore[arg-type]
        ).all()
    )
    emails = []
    for part, unit in campaign_parts(session, campaign.id):
        if unit.id not in by_unit:
            continue
        english = unit.lang == Language.EN
        items: list[dict[str, Any]] = [
            {
                "full_name": nomination.full_name,
                "award": award_names(
                    pack, unit.lang, nomination.proposed_title, nomination.proposed_form
                ),
                "reasons": [
                    {
                        "text": reason.en if english else reason.vi,
                        "citation": reason.citation or citations.get(nomination.id or 0, ""),
                    }
                    for reason in reasons
                ],
            }
            for nomination, reasons in by_unit[unit.id]
        ]
        tier = rounds.get(unit.id, 0) + 1
        extra = {"ineligible_items": items}
        emails.append(UnitEmail(EmailKind.NOT_ELIGIBLE, tier, Audience.FOCAL, unit, part, extra))
    queued = enqueue_unit_emails(
        session,
        emails,
        campaign=campaign,
        calendar=calendar_for(session, campaign),
        now=now,
        settings=get_settings(),
    )
    return sum(queued)


def _cited(reasons: list[Reason]) -> bool:
    return any(reason.citation for reason in reasons)


def _error_citations(session: Session, nomination_ids: list[int]) -> dict[int, str]:
    """The legal basis of each dossier's error findings (every round's), for the officer's
    rejections, which carry only the officer's reason."""
    if not nomination_ids:
        return {}
    found: dict[int, list[str]] = defaultdict(list)
    for nomination_id, citation in session.exec(
        select(ReviewFinding.nomination_id, ReviewFinding.citation)
        .where(
            col(ReviewFinding.nomination_id).in_(nomination_ids),
            ReviewFinding.severity == Severity.ERROR,
            ReviewFinding.citation != "",
        )
        .order_by(col(ReviewFinding.id))
    ).all():
        if citation not in found[nomination_id]:
            found[nomination_id].append(citation)
    return {nomination_id: "; ".join(cited) for nomination_id, cited in found.items()}
