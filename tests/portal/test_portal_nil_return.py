"""A nil return: "no nominations this year", confirmed by a named person. It is the unit's answer
(no more reminders), shows in status and the units artifact as "Không đề nghị", is audited, and
can be withdrawn until the list closes."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import httpx
from sqlmodel import col, select

from models.audit import AuditEvent
from models.campaign import CampaignUnit, ParticipationStatus
from models.db import session_scope
from models.outbox import OutboxMessage
from models.unit import Unit
from services.reminders import enqueue_due_reminders, reminder_times
from services.status import campaign_status, standing_text
from tests.flows.conftest import CODE, at
from tests.portal.support import Browser, Campaign, list_bytes, text_of, two_people


def _declare(browser: Browser, name: str = "Nguyễn Văn An", confirm: bool = True) -> httpx.Response:
    data = {"name": name, **({"confirm": "yes"} if confirm else {})}
    return browser.post("khong-de-nghi", data)


def _part(unit_code: str) -> CampaignUnit:
    with session_scope() as session:
        return session.exec(
            select(CampaignUnit)
            .join(Unit, col(Unit.id) == CampaignUnit.unit_id)
            .where(Unit.code == unit_code)
        ).one()


def _audit(action: str) -> list[AuditEvent]:
    with session_scope() as session:
        return list(session.exec(select(AuditEvent).where(AuditEvent.action == action)).all())


def _reminded_units(campaign: Campaign) -> set[int | None]:
    with session_scope() as session:
        enqueue_due_reminders(session, CODE, at(campaign.submission_due - timedelta(days=7), 9))
    with session_scope() as session:
        return set(session.exec(select(OutboxMessage.unit_id).where(OutboxMessage.tier > 0)).all())


def test_a_nil_return_is_the_units_answer_and_stops_its_reminders(
    campaign: Campaign, browsers: dict[str, Browser]
) -> None:
    unit = campaign.codes[0]
    answer = _declare(browsers[unit])
    assert answer.status_code == 303
    page = text_of(browsers[unit].open("", ok="nil-return"))
    assert "Đã ghi nhận: đơn vị không đề nghị khen thưởng năm nay" in page
    assert "Người xác nhận: Nguyễn Văn An" in page
    assert "Không đề nghị khen thưởng năm nay" in page
    with session_scope() as session:
        part = session.exec(
            select(CampaignUnit).where(CampaignUnit.nil_return_by == "Nguyễn Văn An")
        ).one()
        unit_id = part.unit_id
        status = campaign_status(session, CODE, at(campaign.dispatch_on, 12))
    assert part.status is ParticipationStatus.NIL_RETURN
    [audited] = _audit("nil_return")
    assert audited.details["confirmed_by"] == "Nguyễn Văn An"
    assert audited.actor == f"Nguyễn Văn An (portal:{unit})"
    # Status: answered, shown as "Không đề nghị".
    row = next(r for r in status.rows if r.unit_code == unit)
    assert standing_text(row.status, row.standing) == "Không đề nghị"
    assert (status.submitted, status.nil_returns) == (1, 1)
    # The ladder: the others are reminded, this unit is not, and no run is planned for it.
    reminded = _reminded_units(campaign)
    assert unit_id not in reminded and len(reminded) == len(campaign.codes) - 1
    with session_scope() as session:
        planned = reminder_times(session, at(campaign.dispatch_on, 12), timedelta(hours=6))
    assert planned  # the other units still have their steps


def test_the_form_names_each_missing_field_and_saves_nothing(
    campaign: Campaign, browsers: dict[str, Browser]
) -> None:
    mine = browsers[campaign.codes[0]]
    unconfirmed = _declare(mine, confirm=False)
    assert unconfirmed.status_code == 422
    words = text_of(unconfirmed)
    assert "Mục “Xác nhận”: cần đánh dấu xác nhận" in words
    assert 'value="Nguyễn Văn An"' in unconfirmed.text
    nameless = _declare(mine, name="  ")
    assert nameless.status_code == 422
    assert "Mục “Họ và tên người xác nhận”: cần ghi họ và tên" in text_of(nameless)
    assert _audit("nil_return") == []


def test_it_can_be_withdrawn_before_the_deadline_and_the_reminders_resume(
    campaign: Campaign, browsers: dict[str, Browser]
) -> None:
    unit = campaign.codes[0]
    mine = browsers[unit]
    _declare(mine)
    withdrawn = mine.post("khong-de-nghi/rut")
    assert withdrawn.status_code == 303
    assert "Đã rút trả lời “không đề nghị”" in text_of(mine.open("", ok="nil-return-withdrawn"))
    part = _part(unit)
    assert part.status is ParticipationStatus.CALLED and part.nil_return_at is None
    assert len(_audit("nil_return_withdrawn")) == 1
    assert len(_reminded_units(campaign)) == len(campaign.codes)


def test_after_the_deadline_it_stands_and_cannot_be_withdrawn(
    campaign: Campaign, browsers: dict[str, Browser]
) -> None:
    from models import clock

    mine = browsers[campaign.codes[0]]
    _declare(mine)
    form = mine.csrf()
    clock.set_now(at(campaign.submission_due + timedelta(days=1), 9))
    page = mine.open()
    assert "Người xác nhận: Nguyễn Văn An" in text_of(page)
    assert 'action="khong-de-nghi/rut"' not in page.text
    late = mine.client.post(mine.page_url + "khong-de-nghi/rut", data={"csrf": form})
    assert late.status_code == 409
    assert "Đã hết hạn nhận hồ sơ" in text_of(late)
    assert _audit("nil_return_withdrawn") == []


def test_a_unit_with_dossiers_cannot_answer_nil_and_a_list_replaces_a_nil_return(
    campaign: Campaign, browsers: dict[str, Browser], tmp_path: Path
) -> None:
    first, second = campaign.codes[:2]
    assert "Đã tiếp nhận" in text_of(
        browsers[first].upload(list_bytes(tmp_path, first, two_people()))
    )
    # The page no longer offers the nil return; posted anyway, it is refused.
    assert 'action="khong-de-nghi"' not in browsers[first].open().text
    refused = browsers[first].post("khong-de-nghi", {"name": "Trần Văn B", "confirm": "yes"})
    assert refused.status_code == 422
    assert "Đơn vị đang có 2 hồ sơ đề nghị" in text_of(refused)
    # A unit that answered nil and then sends a list: the list is its answer now.
    _declare(browsers[second])
    assert "Đã tiếp nhận" in text_of(
        browsers[second].upload(list_bytes(tmp_path, second, two_people(), "b.xlsx"))
    )
    part = _part(second)
    assert part.status is ParticipationStatus.SUBMITTED and part.nil_return_by is None


def test_the_units_artifact_says_no_nominations(
    campaign: Campaign, browsers: dict[str, Browser], prefect_server: None
) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
    from prefect.client.schemas.sorting import ArtifactSort

    from flows.monitor import refresh_campaign_artifacts

    unit = campaign.codes[0]
    _declare(browsers[unit])
    refresh_campaign_artifacts([CODE], at(campaign.dispatch_on, 12))
    with get_client(sync_client=True) as client:
        [artifact] = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[f"{CODE}-units"])),
            sort=ArtifactSort.CREATED_DESC,
            limit=1,
        )
    data = artifact.data
    table = json.loads(data) if isinstance(data, str) else list(data)
    states = {row["Mã"]: row["Tình trạng"] for row in table}
    assert states[unit] == "Không đề nghị"
    assert {states[code] for code in campaign.codes[1:]} == {"Trong hạn"}
