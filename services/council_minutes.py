"""The council's two minutes from the tally: the vote-count minutes (biên bản kiểm phiếu) and
the council's meeting minutes, rendered from the department's Word templates
(``documents.minutes``). Every figure is read from the tally's summary, the participation roll
and the stored sheets, so the minutes cannot disagree with the result."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from documents.minutes import COUNCIL_TEMPLATE, VOTE_COUNT_TEMPLATE, render_docx
from models.ballot import BallotSheet, CouncilParticipation
from models.campaign import Campaign
from models.clock import to_vn
from models.council import CouncilMember, CouncilRole
from models.document import DocumentKind
from models.nomination import Nomination
from models.rules.calendar import format_vn_date
from models.settings import get_settings
from models.unit import Unit
from services.ballot_tally import recused_pairs
from services.campaigns import campaign_pack, outputs_dir
from services.council import CouncilSummary
from services.documents import store_file

VOTE_COUNT_FILE = "bien-ban-kiem-phieu.docx"
COUNCIL_FILE = "bien-ban-hop-hoi-dong.docx"
ROLE_VI = {
    CouncilRole.CHAIR: "Chủ tịch",
    CouncilRole.SECRETARY: "Thư ký",
    CouncilRole.MEMBER: "Thành viên",
}


def percent(value: Fraction | float) -> str:
    """Vietnamese percentage with one decimal: 0.8 -> "80,0%"."""
    return f"{float(value) * 100:.1f}%".replace(".", ",")


def minutes_context(
    session: Session, campaign: Campaign, summary: CouncilSummary, now: datetime
) -> dict[str, Any]:
    assert campaign.id is not None
    settings = get_settings()
    members = session.exec(
        select(CouncilMember)
        .where(CouncilMember.campaign_id == campaign.id)
        .order_by(col(CouncilMember.id))
    ).all()
    roll = {
        p.member_id: p
        for p in session.exec(
            select(CouncilParticipation).where(CouncilParticipation.campaign_id == campaign.id)
        ).all()
    }
    receipts = sorted(
        session.exec(
            select(BallotSheet.receipt).where(BallotSheet.campaign_id == campaign.id)
        ).all()
    )
    recused = Counter(n for _m, n in recused_pairs(session, campaign.id))
    ids = {r.nomination_id for r in summary.rows}
    units = {
        n_id: name
        for n_id, name in session.exec(
            select(Nomination.id, Unit.name)
            .join(Unit, col(Unit.id) == Nomination.unit_id)
            .where(col(Nomination.id).in_(ids))
        ).all()
    }
    pack = campaign_pack(campaign)
    rows = [
        {
            "number": index,
            "full_name": r.full_name,
            "unit_name": units.get(r.nomination_id, ""),
            "award_name": r.award_name,
            "votes": r.votes_in_favour,
            "denominator": r.members_total,
            "share": percent(Fraction(r.votes_in_favour, max(r.members_total, 1))),
            "threshold": f"{percent(r.threshold)}{r.threshold_mark}",
            "recused": recused.get(r.nomination_id, 0),
            "result": "Đạt" if r.selected else "Không đạt",
        }
        for index, r in enumerate(summary.rows, start=1)
    ]
    chair = next((m.name for m in members if m.role is CouncilRole.CHAIR), "")
    secretary = next((m.name for m in members if m.role is CouncilRole.SECRETARY), "")
    in_writing = sum(1 for p in roll.values() if p.in_writing)
    quorum = (
        f"Số thành viên tham gia đạt tỷ lệ tối thiểu {percent(pack.quorum)}: kết quả có giá trị."
        if summary.quorum_met
        else f"Số thành viên tham gia chưa đạt tỷ lệ tối thiểu {percent(pack.quorum)}: "
        "không có đề nghị nào được chọn."
    )
    return {
        "ministry_name": settings.ministry_name.upper(),
        "campaign_name": campaign.name,
        "council_on": format_vn_date(campaign.council_on),
        "closed_at": f"{to_vn(now):%H:%M}, {format_vn_date(to_vn(now).date())}",
        "members_total": summary.members_total,
        "members_present": len(roll),
        "members_in_writing": in_writing,
        "ballots_issued": summary.members_total,
        "ballots_received": len(receipts),
        # The page accepts only a complete ballot and the paper CSV is validated whole: every
        # ballot received is valid.
        "ballots_valid": len(receipts),
        "ballots_invalid": 0,
        "quorum_text": quorum,
        "rows": rows,
        "receipts": ", ".join(receipts) or "—",
        "notes": summary.unconfirmed,
        "chair_name": chair,
        "secretary_name": secretary,
        "members": [
            {
                "number": index,
                "name": m.name,
                "position": m.position or "",
                "role": ROLE_VI[m.role],
                "took_part": (
                    ("Bằng văn bản" if roll[m.id].in_writing else "Có") if m.id in roll else "Vắng"
                ),
            }
            for index, m in enumerate(members, start=1)
        ],
        "dossiers_total": len(ids),
        "passed": [
            {"number": i, **{k: row[k] for k in ("full_name", "unit_name", "award_name")}}
            for i, row in enumerate((row for row in rows if row["result"] == "Đạt"), start=1)
        ],
    }


def write_minutes(
    session: Session, campaign: Campaign, summary: CouncilSummary, now: datetime
) -> tuple[Path, Path]:
    """Both minutes under the campaign's output folder, and kept in the database too so the
    operator downloads them from the portal on any host: (vote-count, council)."""
    context = minutes_context(session, campaign, summary, now)
    folder = outputs_dir(campaign.code) / "hoi-dong"
    written = (
        render_docx(VOTE_COUNT_TEMPLATE, context, folder / VOTE_COUNT_FILE),
        render_docx(COUNCIL_TEMPLATE, context, folder / COUNCIL_FILE),
    )
    for path in written:
        store_file(session, campaign, DocumentKind.MINUTES, path, now)
    return written
