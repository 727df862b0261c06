"""Leadership's three answers — return, approve with exclusions, reject — through real flows."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import col, select

from flows.approve import ApprovalForm, approve_with
from flows.council import council_tally
from flows.dispatch import dispatch_call
from flows.honour import honour_campaign, sign_decision_flow
from flows.intake import intake_submissions
from flows.review import review_nominations
from models.audit import AuditEvent
from models.campaign import CampaignStage
from models.council import ApprovalDecision, CouncilMemberCreate, CouncilRole
from models.db import session_scope
from models.nomination import Nomination, NominationStatus
from models.outbox import OutboxMessage
from notifications.smtp_server import read_mailbox
from services.campaigns import calendar_for
from services.council import BallotInput
from services.errors import OperatorError
from tests.documents.builders import individual
from tests.flows.conftest import CODE, at, campaign_row, filled_list

NAMES = ("Nguyễn Thị Hương", "Lê Thị Mai", "Phạm Thu Trang")
MEMBERS = [CouncilMemberCreate(name="Phan Tâm", role=CouncilRole.CHAIR)] + [
    CouncilMemberCreate(name=f"Ủy viên {i}") for i in range(2, 16)
]


def _before_leadership(planned: dict, tmp_path: Path) -> dict[str, int]:
    """Three eligible dossiers of one unit, all passed by a council of 15; their ids by name."""
    campaign = campaign_row()
    with session_scope() as session:
        calendar = calendar_for(session, campaign)
    dispatch_call(CODE, now=at(campaign.dispatch_on, 8))
    rows = [individual(name, "CSTDCS", 1) for name in NAMES]
    for row, number in zip(rows, range(4, 7), strict=True):
        row.row_number = number
    path = filled_list(tmp_path, planned["codes"][0], rows, "list.xlsx")
    day = calendar.add_working_days(campaign.submission_due, -3)
    assert [r.outcome for r in intake_submissions(CODE, [path], now=at(day, 9))] == ["accepted"]
    review_nominations(CODE, now=at(campaign.review_due, 9))
    ids = _ids()
    assert all(_status(i) is NominationStatus.ELIGIBLE for i in ids.values())
    _vote({name: 15 for name in NAMES}, ids, at(campaign.council_on, 14))
    return ids


def _ids() -> dict[str, int]:
    with session_scope() as session:
        return {
            n.full_name: n.id for n in session.exec(select(Nomination)).all() if n.id is not None
        }


def _status(nomination_id: int) -> NominationStatus:
    with session_scope() as session:
        nomination = session.get(Nomination, nomination_id)
        assert nomination is not None
        return nomination.status


def _vote(in_favour: dict[str, int], ids: dict[str, int], now) -> dict:
    ballots = [
        BallotInput(
            nomination_id=ids[name], member_name=member.name, in_favour=index < in_favour[name]
        )
        for name in in_favour
        for index, member in enumerate(MEMBERS)
    ]
    return council_tally(CODE, MEMBERS, ballots, now=now)


def _latest_summary() -> str:
    """The campaign's summary artifact as the Prefect UI shows it now."""
    return _latest("summary")


def _latest(suffix: str) -> str:
    """The campaign's artifact ``<code>-<suffix>`` as the Prefect UI shows it now."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
    from prefect.client.schemas.sorting import ArtifactSort

    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[f"{CODE}-{suffix}"])),
            sort=ArtifactSort.CREATED_DESC,
            limit=1,
        )
    return str(artifacts[0].data)


def _council_results_sent() -> list[int]:
    with session_scope() as session:
        return sorted(
            m.tier
            for m in session.exec(
                select(OutboxMessage).where(OutboxMessage.kind == "council_result")
            ).all()
        )


@pytest.mark.slow
def test_returned_to_the_council_then_approved_with_an_exclusion(
    planned: dict, mail_server, tmp_path: Path
) -> None:
    ids = _before_leadership(planned, tmp_path)
    campaign = campaign_row()
    assert campaign.stage is CampaignStage.APPROVAL

    # Leadership sends the list back: the council's decisions are undone, the dossiers wait.
    returned = approve_with(
        CODE,
        ApprovalForm(
            decision=ApprovalDecision.RETURN,
            approver="Thứ trưởng Phạm Hồng Hải",
            comment="Đề nghị Hội đồng xem xét lại hồ sơ của bà Phạm Thu Trang",
        ),
        now=at(campaign.approval_due, 9),
    )
    assert returned.decision == "return" and returned.approved == 0
    assert campaign_row().stage is CampaignStage.COUNCIL
    assert {_status(i) for i in ids.values()} == {NominationStatus.ELIGIBLE}
    assert "Giai đoạn: **council**" in _latest_summary()  # the UI follows the decision

    # The council meets again: new votes replace the old ones; one dossier now falls short.
    again = _vote({NAMES[0]: 15, NAMES[1]: 14, NAMES[2]: 10}, ids, at(campaign.approval_due, 14))
    assert (again.passed, again.not_passed) == (2, 1)
    # The 80% the tally used is not confirmed for the 2018 regime: the result says so.
    assert any("CSTDCS.council_threshold" in note for note in again.unconfirmed)
    assert _status(ids[NAMES[2]]) is NominationStatus.NOT_PASSED
    # The unit hears the second round's results too (a new outbox key, not a skipped repeat).
    assert _council_results_sent() == [0, 1]
    council_mail = [
        m for m in read_mailbox(Path(mail_server.mailbox_dir)) if "Hội đồng" in str(m["Subject"])
    ]
    assert len(council_mail) == 2

    # Approved, but without Lê Thị Mai.
    approved = approve_with(
        CODE,
        ApprovalForm(
            approver="Thứ trưởng Phạm Hồng Hải",
            exclude_nomination_ids=[ids[NAMES[1]]],
            comment="Đồng ý, trừ hồ sơ số " + str(ids[NAMES[1]]),
        ),
        now=at(campaign.approval_due, 16),
    )
    assert approved.approved == 1
    assert campaign_row().stage is CampaignStage.APPROVED
    assert _status(ids[NAMES[0]]) is NominationStatus.APPROVED
    assert _status(ids[NAMES[1]]) is NominationStatus.EXCLUDED

    with session_scope() as session:
        story = session.exec(
            select(AuditEvent)
            .where(AuditEvent.entity == "nomination", AuditEvent.entity_id == ids[NAMES[1]])
            .order_by(col(AuditEvent.id))
        ).all()
        decisions = session.exec(
            select(AuditEvent).where(AuditEvent.entity == "approval").order_by(col(AuditEvent.id))
        ).all()
    assert [(e.action, e.to_state) for e in story] == [
        ("submitted", "submitted"),
        ("reviewed", "eligible"),
        ("council_tally", "passed"),
        ("approval_returned", "eligible"),
        ("council_tally", "passed"),
        ("approval", "excluded"),
    ]
    assert story[3].actor == "Thứ trưởng Phạm Hồng Hải" and "xem xét lại" in story[3].reason
    assert [e.action for e in decisions] == ["decision:return", "decision:approve"]

    honour = honour_campaign(CODE, now=at(campaign.approval_due, 15))
    assert honour.invitations == 0  # the invitations wait for the signed decision
    approval_after_draft = _latest("approval")
    assert "Dự thảo" in approval_after_draft and "chưa có số" in approval_after_draft
    with session_scope() as session:
        signed_on = calendar_for(session, campaign).add_working_days(campaign.approval_due, 1)
    signed = sign_decision_flow(CODE, "125/QĐ-BTTTT", signed_on, now=at(signed_on, 9))
    assert signed.invitations == 1  # the one unit with an honouree
    assert "Giai đoạn: **honoured**" in _latest_summary()
    # The approval artifact, republished, tells the whole outcome: leadership's decision and
    # the signed commendation decision.
    approval = _latest("approval")
    assert "Đã phê duyệt" in approval and "Thứ trưởng Phạm Hồng Hải" in approval
    assert "Quyết định số 125/QĐ-BTTTT" in approval and "Dự thảo" not in approval
    assert "Được khen thưởng" in approval and "Không được phê duyệt" in approval
    assert "giờ Việt Nam" in approval
    assert "Quyết định số 125/QĐ-BTTTT" in _latest_summary()


def test_rejected_list_is_not_honoured(planned: dict, mail_server, tmp_path: Path) -> None:
    ids = _before_leadership(planned, tmp_path)
    campaign = campaign_row()
    rejected = approve_with(
        CODE,
        ApprovalForm(
            decision=ApprovalDecision.REJECT, approver="Bộ trưởng", comment="Chưa đủ căn cứ"
        ),
        now=at(campaign.approval_due, 9),
    )
    assert rejected.decision == "reject"
    assert campaign_row().stage is CampaignStage.REJECTED
    assert {_status(i) for i in ids.values()} == {NominationStatus.PASSED}
    assert "Giai đoạn: **rejected**" in _latest_summary()
    with pytest.raises(OperatorError):
        honour_campaign(CODE, now=at(campaign.conference_date, 8))
