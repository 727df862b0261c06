"""The unit's page as its focal contact reads it: the campaign, the deadline, what is on offer,
its own list to download, its dossiers with their states and reasons, and what happens after the
deadline or an extension. Vietnamese first, English by a switch."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from documents.nomination_list import SubmissionRejected, read_nomination_list
from models import clock
from models.db import session_scope
from services.campaigns import award_choices, calendar_for, load_campaign
from services.review import review_round
from services.units import extend_deadline
from tests.documents.builders import individual
from tests.flows.conftest import CODE, at
from tests.portal.support import Browser, Campaign, list_bytes, text_of, two_people


def test_the_page_shows_the_campaign_the_deadline_and_what_is_on_offer(
    campaign: Campaign, browsers: dict[str, Browser]
) -> None:
    page = browsers[campaign.codes[0]].open()
    assert page.status_code == 200
    assert '<html lang="vi">' in page.text and "<script" not in page.text
    words = text_of(page)
    with session_scope() as session:
        calendar = calendar_for(session, load_campaign(session, CODE))
    left = calendar.working_days_between(campaign.dispatch_on, campaign.submission_due)
    assert "Tôn vinh điển hình tiên tiến năm 2018" in words
    assert "Hạn nộp danh sách Thứ Ba, ngày 26/02/2019" in words
    assert f"còn {left} ngày làm việc" in words
    # The titles and forms on offer, with their conditions and legal basis.
    assert "Chiến sĩ thi đua cơ sở — danh hiệu thi đua, cá nhân" in words
    assert "có sáng kiến được công nhận cấp cơ sở" in words
    assert "Căn cứ: Nghị định 91/2017/NĐ-CP, Điều 9 khoản 3" in words
    assert "Bằng khen của Bộ trưởng — hình thức khen thưởng" in words
    # Its own list to download, and the upload form with a label on its field.
    assert 'href="danh-sach.xlsx"' in page.text
    assert re.search(r'<label for="file">Tệp danh sách', page.text)
    assert 'id="file" name="file"' in page.text
    assert "Đơn vị chưa nộp danh sách nào." in words


def test_english_is_a_switch_per_request_remembered_by_a_cookie(
    campaign: Campaign,
    browsers: dict[str, Browser],
    portal: object,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The process's language (the operator's CLI) is not the unit's.
    monkeypatch.setenv("TONVINH_LANG", "en")
    mine = browsers[campaign.codes[0]]
    assert "Hạn nộp danh sách" in text_of(mine.open())
    english = mine.open(lang="en")
    assert '<html lang="en">' in english.text
    assert "List due Tuesday, 26 February 2019" in text_of(english)
    assert "List due" in text_of(mine.open())  # remembered
    assert "Hạn nộp danh sách" in text_of(mine.open(lang="vi"))
    # Another browser is not affected by this one's choice.
    assert "Hạn nộp danh sách" in text_of(browsers[campaign.codes[1]].open())


def test_the_unit_downloads_its_own_list_filled_with_what_it_sent(
    campaign: Campaign, browsers: dict[str, Browser], tmp_path: Path
) -> None:
    unit = campaign.codes[0]
    mine = browsers[unit]
    blank = mine.open("danh-sach.xlsx")
    assert blank.status_code == 200
    assert blank.headers["content-disposition"] == (
        f"attachment; filename=\"{CODE}_{unit}.xlsx\"; filename*=UTF-8''{CODE}_{unit}.xlsx"
    )
    assert blank.headers["cache-control"] == "no-store"
    with session_scope() as session:
        choices = award_choices(load_campaign(session, CODE))
    # The unit's own template: its code inside, no row yet (an empty list is no answer).
    with pytest.raises(SubmissionRejected) as empty:
        read_nomination_list(
            blank.content, choices, today=campaign.dispatch_on, expected_unit_code=unit
        )
    assert empty.value.unit_code == unit
    assert [e.code for e in empty.value.errors] == ["empty_list"]
    assert "Đã tiếp nhận" in text_of(mine.upload(list_bytes(tmp_path, unit, two_people())))
    filled = mine.open("danh-sach.xlsx")
    again = read_nomination_list(
        filled.content, choices, today=campaign.dispatch_on, expected_unit_code=unit
    )
    assert [n.full_name for n in again.nominations] == ["Nguyễn Thị Hương", "Trần Văn Minh"]
    # Sent back as it is: received, and nothing changed.
    words = text_of(mine.upload(filled.content, "tai-ve.xlsx"))
    assert "Đã tiếp nhận" in words and "Không có thay đổi nào so với lần nộp trước" in words


def test_after_the_deadline_the_page_stays_readable_and_the_list_is_closed(
    campaign: Campaign, browsers: dict[str, Browser], tmp_path: Path
) -> None:
    unit = campaign.codes[0]
    mine = browsers[unit]
    assert "Đã tiếp nhận" in text_of(mine.upload(list_bytes(tmp_path, unit, two_people())))
    form = mine.csrf()
    clock.set_now(at(campaign.submission_due + timedelta(days=1), 9))
    page = mine.open()
    words = text_of(page)
    assert page.status_code == 200
    assert "Đã hết hạn nhận danh sách: danh sách đã khóa" in words
    assert "Nguyễn Thị Hương" in words  # still readable
    assert 'action="nop-danh-sach"' not in page.text
    late = mine.client.post(
        mine.page_url + "nop-danh-sach",
        data={"csrf": form},
        files={"file": ("l.xlsx", list_bytes(tmp_path, unit, two_people()[:1], "2.xlsx"), "x")},
    )
    assert late.status_code == 409
    assert "Đã hết hạn nhận hồ sơ (Thứ Ba, ngày 26/02/2019)" in text_of(late)
    assert len(re.findall(r"danh-sach\.xlsx</td>", mine.open().text)) == 1  # nothing stored


def test_an_extension_is_shown_and_takes_lists_after_the_general_deadline(
    campaign: Campaign, browsers: dict[str, Browser], tmp_path: Path
) -> None:
    unit = campaign.codes[1]
    with session_scope() as session:
        extend_deadline(
            session,
            CODE,
            unit,
            campaign.submission_due + timedelta(days=7),
            reason="Đơn vị mới sáp nhập",
            now=at(campaign.dispatch_on, 11),
            actor="op",
        )
    clock.set_now(at(campaign.submission_due + timedelta(days=3), 9))
    mine = browsers[unit]
    words = text_of(mine.open())
    assert "Vụ Thi đua – Khen thưởng đã gia hạn cho đơn vị đến Thứ Ba, ngày 05/03/2019" in words
    assert "hạn chung: Thứ Ba, ngày 26/02/2019" in words
    assert "Đã tiếp nhận" in text_of(mine.upload(list_bytes(tmp_path, unit, two_people())))
    # The other units' lists are closed by now.
    assert "danh sách đã khóa" in text_of(browsers[campaign.codes[0]].open())


def test_a_returned_dossier_shows_its_reason_and_citation_and_the_resubmission_its_changes(
    campaign: Campaign, browsers: dict[str, Browser], tmp_path: Path
) -> None:
    unit = campaign.codes[0]
    mine = browsers[unit]
    rows = [
        individual("Nguyễn Thị Hương", "CSTDCS", 1),
        individual("Trần Văn Minh", "CSTD_BO", 1, gender="Nam"),  # 1 year: not enough
    ]
    assert "Đã tiếp nhận" in text_of(mine.upload(list_bytes(tmp_path, unit, rows)))
    review_day = at(campaign.submission_due + timedelta(days=1), 15)
    with session_scope() as session:
        review_round(session, CODE, [], review_day, "Chuyên viên Hà", force_reason="thử")
    clock.set_now(review_day + timedelta(hours=1))
    words = text_of(mine.open())
    assert "Có hồ sơ bị trả lại, chờ nộp lại" in words
    assert "Trần Văn Minh Cá nhân Chiến sĩ thi đua cấp Bộ Bị trả lại" in words
    assert "Căn cứ: Luật Thi đua, khen thưởng 2003 (sửa đổi 2013), Điều 22" in words
    assert "xin sửa và nộp lại danh sách trước" in words
    # The unit fixes the returned dossier (3 years), drops nobody, adds one person.
    fixed = [
        rows[0],
        individual("Trần Văn Minh", "CSTD_BO", 3, gender="Nam"),
        individual("Lê Thị Mai", "CSTDCS", 1),
    ]
    result = mine.upload(list_bytes(tmp_path, unit, fixed, "fixed.xlsx"), "sua.xlsx")
    words = text_of(result)
    assert result.status_code == 200 and "Đã tiếp nhận" in words
    assert "Thêm (1): Lê Thị Mai" in words
    assert "Sửa (1): Trần Văn Minh:" in words
    assert "Số năm liên tục đạt CSTĐCS: 1 → 3" in words
    # The page's history keeps what changed with that submission.
    history = text_of(mine.open())
    assert "Đã tiếp nhận — đang dùng" in history and "Thay đổi so với lần trước" in history
