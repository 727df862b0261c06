"""Text helpers: Unicode hygiene, official dates, amounts in words."""

from __future__ import annotations

import unicodedata
from datetime import date

import pytest

from documents.text import clean_text, format_vnd, match_key, vn_long_date, vnd_in_words


def test_clean_text_composes_and_tidies() -> None:
    decomposed = unicodedata.normalize("NFD", "Nguyễn\u00a0 Thị\u200b Hương ")
    assert clean_text(decomposed) == "Nguyễn Thị Hương"
    assert clean_text(" dòng 1 \r\n dòng 2 ", single_line=False) == "dòng 1\n dòng 2"
    assert match_key("Phòng Kế hoạch – Tài chính") == match_key("phòng kế hoạch - tài chính")


@pytest.mark.parametrize(
    ("day", "text"),
    [
        (date(2019, 3, 5), "ngày 05 tháng 3 năm 2019"),
        (date(2019, 2, 15), "ngày 15 tháng 02 năm 2019"),
        (date(2019, 12, 31), "ngày 31 tháng 12 năm 2019"),
    ],
)
def test_official_dates(day: date, text: str) -> None:
    assert vn_long_date(day) == text


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        (0, "Không đồng"),
        (15, "Mười lăm đồng"),
        (21, "Hai mươi mốt đồng"),
        (105, "Một trăm linh năm đồng"),
        (702_000, "Bảy trăm linh hai nghìn đồng"),
        (1_005_000, "Một triệu không trăm linh năm nghìn đồng"),
        (2_340_000, "Hai triệu ba trăm bốn mươi nghìn đồng"),
        (7_020_000, "Bảy triệu không trăm hai mươi nghìn đồng"),
        (1_500_000_000, "Một tỷ năm trăm triệu đồng"),
        (1_000_000_000_000, "Một nghìn tỷ đồng"),
    ],
)
def test_amount_in_words(amount: int, words: str) -> None:
    assert vnd_in_words(amount) == words


def test_format_vnd() -> None:
    assert format_vnd(18_720_000) == "18.720.000"
