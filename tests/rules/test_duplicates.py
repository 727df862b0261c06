"""The same person proposed by two units is pointed out; everything else is left alone."""

import unicodedata
from datetime import date

from models.rules.duplicates import Proposal, cross_unit_duplicates

HUONG = "individual|nguyễn thị hương|1985-05-12"


def test_the_same_person_from_two_units_is_pointed_out_both_ways():
    rows = [Proposal(1, 10, HUONG, True), Proposal(2, 20, HUONG, True)]
    found = cross_unit_duplicates(rows, checking=[1, 2])
    assert [p.nomination_id for p in found[1]] == [2]
    assert [p.nomination_id for p in found[2]] == [1]


def test_same_name_other_birth_date_same_unit_collectives_and_no_birth_date_are_not():
    rows = [
        Proposal(1, 10, HUONG, True),
        Proposal(2, 20, "individual|nguyễn thị hương|1990-01-01", True),  # a namesake
        Proposal(3, 10, HUONG, True),  # the unit's own (its list already refuses this)
        Proposal(4, 10, "collective|phòng tổ chức cán bộ|", False),
        Proposal(5, 20, "collective|phòng tổ chức cán bộ|", False),
        Proposal(6, 10, "individual|trần văn dũng|", True),
        Proposal(7, 20, "individual|trần văn dũng|", True),
    ]
    assert cross_unit_duplicates(rows, checking=range(1, 8)) == {}


def test_only_the_nominations_being_checked_are_reported():
    rows = [
        Proposal(1, 10, HUONG, True),
        Proposal(2, 20, HUONG, True),
        Proposal(3, 30, HUONG, True),
    ]
    found = cross_unit_duplicates(rows, checking=[3])
    assert list(found) == [3]
    assert [p.unit_id for p in found[3]] == [10, 20]


def test_names_typed_differently_by_two_units_are_the_same_person():
    born = date(1985, 5, 12)
    rows = [
        Proposal.of(1, 10, "individual", "Nguyễn Thị Hương", born),
        Proposal.of(2, 20, "individual", unicodedata.normalize("NFD", "NGUYỄN  THỊ HƯƠNG"), born),
        # a key stored by another path, spelt decomposed: still the same person
        Proposal(
            3,
            30,
            "individual|" + unicodedata.normalize("NFD", "nguyễn thị hương") + "|1985-05-12",
            True,
        ),
    ]
    assert rows[0].nominee_key == rows[1].nominee_key == HUONG
    found = cross_unit_duplicates(rows, checking=[1])
    assert [p.unit_id for p in found[1]] == [20, 30]


def test_a_malformed_stored_key_is_left_alone_rather_than_stopping_review():
    rows = [Proposal(1, 10, "garbage", True), Proposal(2, 20, HUONG, True)]
    assert cross_unit_duplicates(rows, checking=[1, 2]) == {}
