"""Fixtures for the documents: a campaign's awards, a unit's header and realistic nominees.

Nothing here freezes the clock: the list is judged on the ``today`` its reader is given
(builders.TODAY), and no document reads the clock.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from documents.nomination_list import AwardChoice, ListHeader, write_filled_list
from models.nomination import InitiativeLevel, NominationCreate

from .builders import AWARDS, HEADER, collective, person


@pytest.fixture
def awards() -> list[AwardChoice]:
    return list(AWARDS)


@pytest.fixture
def header() -> ListHeader:
    return HEADER


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
