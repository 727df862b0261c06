"""One nominee, one key: however the name was typed, resubmissions and duplicates find it."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime

import pytest

from models.nomination import NomineeKind
from models.rules.identity import (
    canonical_identity,
    identity_parts,
    nominee_identity,
    normalise_text,
)

BORN = date(1985, 5, 12)
HUONG = "individual|nguyễn thị hương|1985-05-12"


def test_the_key_has_the_format_stored_nominations_already_carry():
    # Byte for byte what intake has always written into nomination.nominee_key.
    assert nominee_identity("individual", "Nguyễn Thị Hương", BORN) == HUONG
    assert (
        nominee_identity("collective", "Phòng Tổ chức cán bộ", None)
        == "collective|phòng tổ chức cán bộ|"
    )
    assert nominee_identity(NomineeKind.INDIVIDUAL, "Nguyễn Thị Hương", BORN) == HUONG


@pytest.mark.parametrize(
    "typed",
    [
        "Nguyễn Thị Hương",
        unicodedata.normalize("NFD", "Nguyễn Thị Hương"),  # macOS, copied from a PDF
        "NGUYỄN THỊ HƯƠNG",
        "nguyễn  thị   hương",
        "  Nguyễn Thị Hương \t",
        "Nguyễn\u00a0Thị Hương",  # a non-breaking space from a web page
        unicodedata.normalize("NFD", "  NGUYỄN   thị HƯƠNG "),
    ],
)
def test_spelling_form_case_and_spacing_give_one_key(typed):
    assert nominee_identity("individual", typed, BORN) == HUONG


def test_a_different_person_kind_or_birth_date_gives_another_key():
    assert nominee_identity("individual", "Nguyễn Thị Hường", BORN) != HUONG  # another name
    assert nominee_identity("individual", "Nguyễn Thị Hương", date(1990, 1, 1)) != HUONG
    assert nominee_identity("individual", "Nguyễn Thị Hương", None) != HUONG
    assert nominee_identity("collective", "Nguyễn Thị Hương", BORN) != HUONG


def test_a_birth_datetime_counts_as_its_date_and_a_wrong_kind_is_refused():
    assert nominee_identity("individual", "Nguyễn Thị Hương", datetime(1985, 5, 12, 7)) == HUONG
    with pytest.raises(ValueError, match="Invalid nominee kind"):
        nominee_identity("Cá nhân", "Nguyễn Thị Hương", BORN)


def test_stored_keys_split_back_and_normalise_again_without_change():
    assert identity_parts(HUONG) == ("individual", "nguyễn thị hương", "1985-05-12")
    assert identity_parts("collective|phòng a|").born == ""
    assert canonical_identity(HUONG) == HUONG
    written_elsewhere = (
        "individual|" + unicodedata.normalize("NFD", "NGUYỄN  Thị Hương") + "|1985-05-12"
    )
    assert canonical_identity(written_elsewhere) == HUONG
    with pytest.raises(ValueError):
        identity_parts("no separators")


def test_award_names_are_compared_by_the_same_normalisation():
    assert normalise_text(unicodedata.normalize("NFD", " Bằng  khen CỦA Bộ trưởng")) == (
        "bằng khen của bộ trưởng"
    )
