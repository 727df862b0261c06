"""Review's automatic checks through the real flow: the same person proposed by two units."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import cast

from sqlmodel import col, select

from flows.dispatch import dispatch_call
from flows.intake import intake_submissions
from flows.review import review_nominations
from models.db import session_scope
from models.nomination import Nomination, NominationStatus, ReviewFinding, Severity
from models.unit import Language, Unit
from notifications.smtp_server import read_mailbox
from services.campaigns import calendar_for
from services.review import ReviewAction, ReviewDecision
from tests.documents.builders import individual, person
from tests.flows.conftest import CODE, at, campaign_row, filled_list


def _artifact_table(key: str) -> list[dict]:
    import json

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
    from prefect.client.schemas.sorting import ArtifactSort

    with get_client(sync_client=True) as client:
        [artifact] = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])),
            sort=ArtifactSort.CREATED_DESC,
            limit=1,
        )
    data = artifact.data
    return json.loads(data) if isinstance(data, str) else list(data)


def test_the_same_person_proposed_by_two_units_is_flagged_for_the_officer(
    planned: dict, mail_server, tmp_path: Path
) -> None:
    first, second = planned["codes"][:2]
    campaign = campaign_row()
    with session_scope() as session:
        calendar = calendar_for(session, campaign)
    dispatch_call(CODE, now=at(campaign.dispatch_on, 8))
    day = calendar.add_working_days(campaign.submission_due, -3)
    lists = [
        filled_list(tmp_path, first, [individual("Nguyễn Thị Hương", "CSTDCS", 1)], "a.xlsx"),
        # The second unit spells the name in capitals: still the same person, same birth date.
        filled_list(tmp_path, second, [individual("NGUYỄN THỊ HƯƠNG", "CSTDCS", 1)], "b.xlsx"),
    ]
    assert [r.outcome for r in intake_submissions(CODE, lists, now=at(day, 9))] == [
        "accepted",
        "accepted",
    ]

    review = review_nominations(CODE, now=at(campaign.review_due, 9))

    assert review.possible_duplicates == 2  # each dossier points at the other
    # The officer reads them in the command's output and in the review table artifact.
    assert len(review.warnings) == 2 and any(f"của {second}" in w for w in review.warnings)
    table = _artifact_table(f"{CODE}-review")
    assert len(table) == 2
    assert {(row["Mức"], row["Trạng thái"]) for row in table} == {("Cảnh báo", "Đủ điều kiện")}
    with session_scope() as session:
        nominations = session.exec(select(Nomination).order_by(col(Nomination.id))).all()
        findings = session.exec(
            select(ReviewFinding).where(ReviewFinding.code == "possible_duplicate")
        ).all()
    # A warning for the officer, not a verdict: both dossiers stay eligible.
    assert {n.status for n in nominations} == {NominationStatus.ELIGIBLE}
    assert {f.severity for f in findings} == {Severity.WARNING}
    by_dossier = {f.nomination_id: f.message for f in findings}
    assert f"số {nominations[1].id} của {second}" in by_dossier[nominations[0].id]
    assert f"số {nominations[0].id} của {first}" in by_dossier[nominations[1].id]


def test_a_rejected_dossier_and_a_frozen_nominee_reach_their_unit_with_the_reason(
    planned: dict, mail_server, tmp_path: Path
) -> None:
    """The automatic verdict on a frozen nominee and the officer's rejection each reach the
    unit with the reason and the legal basis, once, in the unit's language."""
    first, second = planned["codes"][:2]
    with session_scope() as session:
        english = session.exec(select(Unit).where(Unit.code == second)).one()
        english.lang = Language.EN
        session.add(english)
    campaign = campaign_row()
    with session_scope() as session:
        calendar = calendar_for(session, campaign)
    dispatch_call(CODE, now=at(campaign.dispatch_on, 8))
    frozen = person("Phạm Văn Kỷ", date(1980, 2, 3), row_number=5, under_discipline=True)
    lists = [
        filled_list(tmp_path, first, [individual("Lê Thị Mai", "CSTDCS", 1), frozen], "a.xlsx"),
        filled_list(tmp_path, second, [individual("Hồ Văn Tâm", "CSTDCS", 1)], "b.xlsx"),
    ]
    day = calendar.add_working_days(campaign.submission_due, -3)
    intake_submissions(CODE, lists, now=at(day, 9))
    with session_scope() as session:
        tam = session.exec(select(Nomination).where(Nomination.full_name == "Hồ Văn Tâm")).one()
    reject = ReviewDecision(
        nomination_id=cast(int, tam.id), action=ReviewAction.REJECT, reason="Đã được khen năm 2018"
    )
    before = len(read_mailbox(mail_server.mailbox_dir))

    review = review_nominations(CODE, decisions=[reject], now=at(campaign.review_due, 9))
    again = review_nominations(CODE, decisions=[reject], now=at(campaign.review_due, 10))

    assert (review.ineligible, again.sent) == (2, 0)  # the re-run sends nothing
    letters = read_mailbox(mail_server.mailbox_dir)[before:]
    assert len(letters) == 2
    vi, en = sorted(letters, key=lambda m: "Dear" in m.get_body(("plain",)).get_content())
    assert first.replace("_", "-") in str(vi["To"]) and second.replace("_", "-") in str(en["To"])
    with session_scope() as session:
        [citation] = session.exec(
            select(ReviewFinding.citation).where(ReviewFinding.code == "frozen_nominee")
        ).all()
    text = vi.get_body(("plain",)).get_content()
    assert "không đủ điều kiện" in str(vi["Subject"])
    assert "1. Phạm Văn Kỷ – đề nghị Chiến sĩ thi đua cơ sở" in text
    assert "Lý do: Không đề nghị khen thưởng khi đang bị xem xét kỷ luật" in text
    assert f"Căn cứ: {citation}" in text and "Lê Thị Mai" not in text
    text_en = en.get_body(("plain",)).get_content()
    assert "not eligible" in str(en["Subject"])
    assert "Reason: Đã được khen năm 2018" in text_en


def test_the_officer_reads_what_a_resubmitted_list_changed(
    planned: dict, mail_server, tmp_path: Path
) -> None:
    """A returned unit sends its list again: the next review round tells the officer what the
    unit changed (in the flow's result and in its own table artifact), not only the verdicts."""
    unit = planned["codes"][0]
    campaign = campaign_row()
    with session_scope() as session:
        calendar = calendar_for(session, campaign)
    dispatch_call(CODE, now=at(campaign.dispatch_on, 8))
    mai = individual("Lê Thị Mai", "CSTDCS", 1)
    day = calendar.add_working_days(campaign.submission_due, -3)
    intake_submissions(CODE, [filled_list(tmp_path, unit, [mai], "a.xlsx")], now=at(day, 9))
    with session_scope() as session:
        [dossier] = session.exec(select(Nomination)).all()
    back = ReviewDecision(
        nomination_id=cast(int, dossier.id), action=ReviewAction.RETURN, reason="Ghi rõ chức vụ"
    )
    first = review_nominations(
        CODE, decisions=[back], now=at(calendar.add_working_days(campaign.submission_due, 1), 9)
    )
    assert first.resubmissions == []  # a first list changed nothing

    fixed = [
        mai.model_copy(update={"position": "Trưởng phòng"}),
        individual("Hồ Văn Tâm", "CSTDCS", 2),
    ]
    resent = filled_list(tmp_path, unit, fixed, "b.xlsx")
    intake_submissions(
        CODE, [resent], now=at(calendar.add_working_days(campaign.submission_due, 2), 9)
    )
    second = review_nominations(
        CODE, now=at(calendar.add_working_days(campaign.submission_due, 3), 9)
    )

    [changed] = second.resubmissions
    assert changed.unit_code == unit
    assert (changed.changes.added, changed.changes.changed_count) == (["Hồ Văn Tâm"], 1)
    table = _artifact_table(f"{CODE}-review-changes")
    lines = [row["Thay đổi so với lần trước"] for row in table]
    assert "Thêm: Hồ Văn Tâm" in lines
    assert any(line.startswith("Sửa Lê Thị Mai: ") and "→ Trưởng phòng" in line for line in lines)
    assert {row["Đơn vị"] for row in table} == {unit}
