"""A unit's focal person answers the call in a real browser (Debian's chromium, headless).

The call came through the real SMTP server; its link opens the unit's page under the real
portal. The person downloads the unit's own list, fills it in with a spreadsheet program (here
openpyxl, cell by cell), first with two mistakes — a birth date typed as text, a title the
campaign does not offer — and reads the refusal: sheet, row, column and reason, and nothing
saved. Fixed, the list is received and both dossiers are on the page, names with their
diacritics. The page switches to English and reads on a phone without sideways scrolling.
Screenshots: test-output/screenshots/portal-*.png.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from playwright.sync_api import Locator, Page, expect
from sqlmodel import col, select

from documents.nomination_list import FIRST_DATA_ROW, INDIVIDUALS
from models.db import session_scope
from models.nomination import Nomination, Submission
from models.rules.calendar import format_en_date, format_vn_date
from notifications.smtp_server import read_mailbox
from services.campaigns import award_choices, load_campaign
from tests.browser import needs_chromium, on_a_phone
from tests.flows.conftest import CODE
from tests.portal.support import Campaign, links_in, unit_of

pytestmark = needs_chromium

HUONG, MINH = "Nguyễn Thị Hương", "Trần Văn Minh"
NOT_ON_OFFER = "Chiến sĩ thi đua cấp tỉnh"  # a province's title, not a ministry's


def _offered_title() -> str:
    """The name the list's dropdown shows for the base-level title (what a person picks)."""
    with session_scope() as session:
        campaign = load_campaign(session, CODE)
        [title] = [a.name_vi for a in award_choices(campaign) if a.code == "CSTDCS"]
    return title


def _people(title: str, *, mistakes: bool) -> list[dict[str, Any]]:
    """Two individuals as the cells of their rows; with ``mistakes``, Hương's birth date is
    typed as text and Minh is proposed for a title the campaign does not offer."""
    common = {
        "position": "Chuyên viên chính",
        "workplace": "Vụ Bưu chính",
        "consecutive_base_years": 1,
        "initiative_level": "Cơ sở",
        "excellent_completion": "Có",
        "achievement_summary": "Hoàn thành xuất sắc nhiệm vụ năm 2018; sáng kiến cấp cơ sở.",
    }
    return [
        common
        | {
            "full_name": HUONG,
            "gender": "Nữ",
            "birth_date": "12/05/1980" if mistakes else date(1980, 5, 12),
            "proposed_title": title,
        },
        common
        | {
            "full_name": MINH,
            "gender": "Nam",
            "birth_date": date(1984, 11, 3),
            "proposed_title": NOT_ON_OFFER if mistakes else title,
        },
    ]


def _fill(downloaded: Path, saved_as: Path, people: list[dict[str, Any]]) -> Path:
    """The downloaded list with one row per person on the individuals' sheet, columns found by
    the layout's keys (as the headers a person reads), saved under a new name."""
    book = load_workbook(downloaded)
    sheet = book[INDIVIDUALS.name]
    for offset, cells in enumerate(people):
        for key, value in cells.items():
            sheet.cell(FIRST_DATA_ROW + offset, INDIVIDUALS.position(key) + 1, value)
    book.save(saved_as)
    return saved_as


def _send(page: Page, path: Path) -> None:
    """Choose the file through its label and send it with the button (no script involved)."""
    chooser = page.get_by_label("Tệp danh sách (Excel .xlsx)")
    chooser.set_input_files(path)
    # Keyboard order: from the file chooser, Tab reaches the button that sends it.
    chooser.focus()
    page.keyboard.press("Tab")
    send = page.get_by_role("button", name="Gửi danh sách")
    assert send.evaluate("button => button === document.activeElement")
    send.click()
    page.wait_for_url("**/nop-danh-sach")  # the answer to the form, loaded


def _rows(table: Locator) -> list[list[str]]:
    return [
        [cell.strip() for cell in row.locator("td").all_inner_texts()]
        for row in table.locator("tbody tr").all()
    ]


def _stored() -> tuple[int, list[str]]:
    with session_scope() as session:
        submissions = len(session.exec(select(Submission)).all())
        names = session.exec(select(Nomination.full_name).order_by(col(Nomination.row_number)))
        return submissions, list(names.all())


def test_a_unit_answers_the_call_in_the_browser(
    campaign: Campaign, page: Page, screenshots: Path, tmp_path: Path
) -> None:
    unit = campaign.codes[0]

    def shot(name: str) -> Path:
        return screenshots / f"portal-{name}.png"

    # The call, read from the mailbox; its one link opens the unit's page.
    [call] = [m for m in read_mailbox(campaign.mailbox) if unit_of(m) == unit]
    [link] = links_in(call)
    page.goto(link)
    assert page.url == link + "/"
    with session_scope() as session:
        campaign_name = load_campaign(session, CODE).name
    assert page.locator("html").get_attribute("lang") == "vi"
    main = page.locator("main")
    assert campaign_name in main.locator(".lead").inner_text()
    deadline = main.locator("dl.facts").first.inner_text()
    assert format_vn_date(campaign.submission_due) in deadline
    assert "Chưa nộp danh sách" in deadline
    page.screenshot(path=shot("01-page"), full_page=True)
    # The keyboard's first stop skips the header to the page's content.
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Bỏ qua, đến nội dung chính")
    assert skip.evaluate("link => link === document.activeElement")

    # Its own list, pre-filled with whose it is.
    with page.expect_download() as arriving:
        page.get_by_role("link", name=re.compile("Tải danh sách của đơn vị")).click()
    download = arriving.value
    assert download.suggested_filename.endswith(f"{unit}.xlsx")
    downloaded = tmp_path / download.suggested_filename
    download.save_as(downloaded)

    # Filled in with two mistakes: refused, each located and explained in Vietnamese.
    title = _offered_title()
    wrong = _fill(downloaded, tmp_path / "danh-sach-co-loi.xlsx", _people(title, mistakes=True))
    _send(page, wrong)
    assert page.get_by_role("heading", level=1).inner_text() == "Danh sách bị từ chối"
    assert "không có gì được lưu" in page.get_by_role("alert").inner_text()
    errors = page.get_by_role("table", name="Các lỗi trong tệp")
    assert errors.locator("thead th").all_inner_texts() == ["Sheet", "Dòng", "Cột", "Lý do"]
    birth, award = _rows(errors)
    assert birth[:3] == [
        INDIVIDUALS.name,
        str(FIRST_DATA_ROW),
        INDIVIDUALS.column("birth_date").label,
    ]
    assert "12/05/1980" in birth[3] and "không phải ô kiểu ngày" in birth[3]
    assert award[:3] == [
        INDIVIDUALS.name,
        str(FIRST_DATA_ROW + 1),
        INDIVIDUALS.column("proposed_title").label,
    ]
    assert NOT_ON_OFFER in award[3] and "không có trong danh mục" in award[3]
    page.screenshot(path=shot("02-refused"), full_page=True)
    on_a_phone(page, shot("03-refused-phone"))

    # Nothing was stored: the page has no dossier, nor does the database.
    page.get_by_role("link", name="Về trang của đơn vị").click()
    expect(page.get_by_role("heading", name="Hồ sơ đề nghị (0)")).to_be_visible()
    assert page.get_by_text("Đơn vị chưa có hồ sơ nào trong đợt này.").is_visible()
    assert page.get_by_text("Đơn vị chưa nộp danh sách nào.").is_visible()
    assert _stored() == (0, [])
    page.screenshot(path=shot("04-nothing-stored"), full_page=True)

    # Fixed and sent again: received, both dossiers on the unit's page.
    fixed = _fill(downloaded, tmp_path / "danh-sach.xlsx", _people(title, mistakes=False))
    _send(page, fixed)
    assert page.get_by_role("heading", level=1).inner_text() == "Đã tiếp nhận"
    status = page.get_by_role("status").inner_text()
    assert "Danh sách đã được tiếp nhận và lưu." in status and "(danh-sach.xlsx)" in status
    assert "Số hồ sơ trong danh sách\n2" in page.locator("dl.facts").inner_text()
    page.screenshot(path=shot("05-received"), full_page=True)
    assert _stored() == (1, [HUONG, MINH])

    page.get_by_role("link", name="Về trang của đơn vị").click()
    expect(page.get_by_role("heading", name="Hồ sơ đề nghị (2)")).to_be_visible()
    dossiers = page.locator("#dossiers table")
    named = [row[1].splitlines()[0] for row in _rows(dossiers)]
    assert named == [HUONG, MINH]  # NFC, as typed: the diacritics came through intact
    assert "Đã nộp danh sách" in page.locator("dl.facts").first.inner_text()
    assert dossiers.get_by_text(title).count() == 2
    page.screenshot(path=shot("06-dossiers"), full_page=True)
    on_a_phone(page, shot("07-phone"))

    # The language switch: the same page in English, remembered by the next page.
    page.get_by_role("navigation", name="Ngôn ngữ").get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert page.get_by_role("heading", name="Dossiers (2)").is_visible()
    assert page.get_by_role("heading", name="Deadline").is_visible()
    assert format_en_date(campaign.submission_due) in page.locator("dl.facts").first.inner_text()
    assert page.get_by_role("cell", name="Awaiting review").count() == 2
    assert page.get_by_role("button", name="Send the list").is_visible()
    page.screenshot(path=shot("08-english"), full_page=True)
    page.goto(link)
    assert page.get_by_role("heading", name="Dossiers (2)").is_visible()
