"""Fixtures for the documents: a campaign's awards, a unit's header and realistic nominees."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest

from documents.nomination_list import AwardChoice, ListHeader, write_filled_list
from models import clock
from models.nomination import InitiativeLevel, NominationCreate

from .builders import CAMPAIGN, UNIT, collective, person


@pytest.fixture(autouse=True)
def _frozen_clock() -> Iterator[None]:
    """March 2019, when the seed campaign collected its lists: "future" means after this."""
    clock.set_now(datetime(2019, 3, 1, 9, 0, tzinfo=clock.VN_TZ))
    yield
    clock.set_now(None)


@pytest.fixture
def awards() -> list[AwardChoice]:
    """The titles and forms a 2018 campaign offers (not every award exists in every campaign)."""
    return [
        AwardChoice("LDTT", "Lao động tiên tiến", "title", "individual"),
        AwardChoice("CSTDCS", "Chiến sĩ thi đua cơ sở", "title", "individual"),
        AwardChoice("CSTD_BO", "Chiến sĩ thi đua cấp Bộ", "title", "individual"),
        AwardChoice("TTLDTT", "Tập thể lao động tiên tiến", "title", "collective"),
        AwardChoice("TTLDXS", "Tập thể lao động xuất sắc", "title", "collective"),
        AwardChoice("CTD_BO", "Cờ thi đua cấp Bộ", "title", "collective"),
        AwardChoice("BK_BT", "Bằng khen của Bộ trưởng", "form", "both"),
        AwardChoice("KNC", "Kỷ niệm chương", "form", "individual"),
    ]


@pytest.fixture
def header() -> ListHeader:
    return ListHeader(
        campaign_code=CAMPAIGN,
        campaign_name="Biểu dương, tôn vinh điển hình tiên tiến ngành TT&TT năm 2018",
        unit_code=UNIT,
        unit_name="Vụ Bưu chính",
        deadline=date(2019, 3, 8),
    )


@pytest.fixture
def rows() -> list[NominationCreate]:
    """Two individuals and two collectives, with the diacritics Vietnamese names really have."""
    return [
        person(
            "Nguyễn Thị Hương",
            date(1985, 5, 12),
            proposed_title="CSTD_BO",
            proposed_form="BK_BT",
            consecutive_base_years=3,
            consecutive_ministry_years=0,
            initiative_level=InitiativeLevel.MINISTRY,
            achievement_summary=(
                "- Chủ trì xây dựng Thông tư về dịch vụ bưu chính công ích;\n"
                "- Sáng kiến được công nhận cấp Bộ."
            ),
            attachments=[
                {"file_name": "bao_cao_thanh_tich_Huong.pdf", "kind": "bao_cao_thanh_tich"},
                {"file_name": "bien_ban_hop_HDTDKT.pdf", "kind": "bao_cao_thanh_tich"},
            ],
        ),
        person(
            "Trần Văn Dũng",
            date(1978, 11, 3),
            gender="Nam",
            position="Phó Vụ trưởng",
            department=None,
            address=None,
            proposed_title="CSTDCS",
            under_discipline=False,
            excellent_completion=False,
            initiative_level=InitiativeLevel.NONE,
        ),
        collective("Phòng Quản lý bưu chính, Vụ Bưu chính"),
        collective(
            "Tổ công tác Đề án Mã bưu chính quốc gia",
            category="Tổ công tác",
            proposed_title=None,
            proposed_form="BK_BT",
            women_share=0.45,
            under_discipline=True,
            attachments=[{"file_name": "to_trinh.docx", "kind": "bao_cao_thanh_tich"}],
        ),
    ]


@pytest.fixture
def good_file(
    tmp_path: Path, header: ListHeader, awards: list[AwardChoice], rows: list[NominationCreate]
) -> Path:
    return write_filled_list(tmp_path / "vu_buu_chinh.xlsx", header, awards, rows)
