"""The operator in a real browser (Debian's chromium, headless): logs in, downloads the signed
decision and the honourees list; a unit's link opens nothing of the operator area.
Screenshots: test-output/screenshots/operator-*.png."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import docx
import openpyxl
import pytest

from models.db import session_scope
from services.honour import decision_file_name, honourees_file_name
from services.signing import sign_decision
from tests.browser import PHONE, needs_chromium, new_page
from tests.flows.conftest import CODE, at
from tests.portal.operator_support import OPERATOR_PASSWORD, OPERATOR_USER, operator_auth
from tests.portal.support import Campaign, Portal
from tests.service_layer.honour_support import NAMES, approve_called_campaign, draft_decision

__all__ = ["operator_auth"]
NUMBER = "125/QĐ-BTTTT"

pytestmark = needs_chromium


@pytest.fixture
def signed(campaign: Campaign, tmp_path: Path) -> None:
    """The campaign approved, its decision drafted, then signed on a working day."""
    approve_called_campaign(tmp_path)
    day = draft_decision()
    with session_scope() as session:
        sign_decision(session, CODE, NUMBER, day, now=at(day, 16), actor="văn thư")


def _download(page: Any, name: str, folder: Path) -> bytes:
    with page.expect_download() as waited:
        page.get_by_role("link", name=name).click()
    download = waited.value
    assert download.suggested_filename == name
    target = folder / name
    download.save_as(str(target))
    return target.read_bytes()


def test_the_operator_downloads_the_decision_and_a_unit_link_is_refused(
    chromium: Any,
    screenshots: Path,
    portal: Portal,
    campaign: Campaign,
    operator_auth: None,
    signed: None,
    tmp_path: Path,
) -> None:
    page = new_page(chromium, PHONE)
    page.goto(f"{portal.url}/dieu-hanh/")
    page.get_by_label("Tên đăng nhập").fill(OPERATOR_USER)
    page.get_by_label("Mật khẩu").fill(OPERATOR_PASSWORD)
    page.screenshot(path=str(screenshots / "operator-01-login.png"), full_page=True)
    page.get_by_role("button", name="Đăng nhập").click()
    page.get_by_role("link", name=CODE).click()
    page.get_by_role("heading", name=f"Tài liệu của đợt {CODE}").wait_for()
    page.screenshot(path=str(screenshots / "operator-02-documents.png"), full_page=True)

    decision = docx.Document(io.BytesIO(_download(page, decision_file_name(CODE), tmp_path)))
    cells = "\n".join(c.text for t in decision.tables for r in t.rows for c in r.cells)
    assert f"Số: {NUMBER}" in cells
    assert "DỰ THẢO" not in "\n".join(p.text for p in decision.paragraphs)
    honourees = openpyxl.load_workbook(
        io.BytesIO(_download(page, honourees_file_name(CODE), tmp_path))
    ).active
    listed = {cell.value for row in honourees.iter_rows() for cell in row}
    assert set(NAMES) <= listed
    assert NUMBER in str(honourees["A3"].value)

    # A unit's focal contact, with the unit's own link: the link works on its own page, and
    # opens nothing of the operator area — not as a path, not after visiting the unit's page.
    unit = new_page(chromium, PHONE)
    token = campaign.token(campaign.codes[0])
    answer = unit.goto(f"{portal.url}/nop/{token}/")
    assert answer is not None and answer.status == 200
    for path in ("/dieu-hanh/", f"/dieu-hanh/{token}/", f"/dieu-hanh/{CODE}/"):
        refused = unit.goto(f"{portal.url}{path}")
        assert refused is not None and refused.status == 401, path
        unit.get_by_role("heading", name="Đăng nhập khu vực điều hành").wait_for()
    assert decision_file_name(CODE) not in unit.content()
    unit.screenshot(path=str(screenshots / "operator-03-unit-link-refused.png"), full_page=True)
    # Even logged in, a token names no campaign.
    found = page.goto(f"{portal.url}/dieu-hanh/{token}/")
    assert found is not None and found.status == 404

    page.goto(f"{portal.url}/dieu-hanh/")
    page.get_by_role("button", name="Đăng xuất").click()
    page.get_by_role("heading", name="Đăng nhập khu vực điều hành").wait_for()
