"""The conference's pure rules: the pack's data, each person once, seats by priority with a
waiting list and its promotion, the RSVP cut-off in working days, the guest list's errors, and
the seating order."""

from __future__ import annotations

from datetime import date

import pytest

from models.rules.calendar import vietnam_calendar
from models.rules.ceremony import (
    Candidate,
    Category,
    Seat,
    SeatState,
    allocate,
    ceremony_rules,
    merge_candidates,
    parse_guests,
    person_key,
    rsvp_cutoff,
    rsvp_open,
    seat_for_return,
    seating_order,
)

RULES = ceremony_rules(date(2019, 3, 29))
ORDER = RULES.priority


def test_the_pack_marks_its_unconfirmed_values_and_cites_its_source() -> None:
    assert RULES.capacity == 200 and "200 đại biểu" in RULES.citation
    assert {"capacity", "rsvp_cutoff", "priority"} <= set(RULES.unconfirmed)
    assert ORDER[:2] == (Category.HONOUREE, Category.REPRESENTATIVE)
    assert RULES.ladder().max_reminders == len(RULES.reminder_offsets)
    assert RULES.is_escalation(len(RULES.reminder_offsets)) and not RULES.is_escalation(1)
    with pytest.raises(ValueError, match="No ceremony rules"):
        ceremony_rules(date(2018, 1, 1))


def _candidate(key: str, category: Category, row: int, *honours: str) -> Candidate:
    return Candidate(key, category, key, "", "Vụ A", f"{key}@a.vn", honours=honours, row=row)


def test_one_person_honoured_twice_or_listed_twice_is_one_guest() -> None:
    twice = person_key(nominee_key="nguyen thi huong|1985-05-12", unit_code="vu_a")
    head = person_key(email="LanhDao@vu-a.vn")
    assert head == person_key(email="lanhdao@vu-a.vn ")
    merged = merge_candidates(
        [
            _candidate(head, Category.UNIT_HEAD, 1),
            _candidate(twice, Category.HONOUREE, 1, "Chiến sĩ thi đua cơ sở"),
            _candidate(twice, Category.HONOUREE, 2, "Bằng khen của Bộ trưởng"),
            _candidate(head, Category.REPRESENTATIVE, 3, "Tập thể lao động xuất sắc"),
        ],
        ORDER,
    )
    assert [(c.key, c.category) for c in merged] == [
        (twice, Category.HONOUREE),
        (head, Category.REPRESENTATIVE),
    ]
    assert merged[0].honours == ("Chiến sĩ thi đua cơ sở", "Bằng khen của Bộ trưởng")


def _seat(invitee_id: int, state: SeatState, category: Category, row: int = 1) -> Seat:
    return Seat(invitee_id, state, ORDER.index(category), row)


def test_seats_go_by_priority_and_the_rest_wait() -> None:
    seats = [
        _seat(1, SeatState.PENDING, Category.PRESS),
        _seat(2, SeatState.PENDING, Category.LEADERSHIP),
        _seat(3, SeatState.PENDING, Category.HONOUREE, 2),
        _seat(4, SeatState.PENDING, Category.HONOUREE, 1),
        _seat(5, SeatState.PENDING, Category.UNIT_HEAD),
    ]
    placed = allocate(seats, 3)
    assert placed == {
        4: SeatState.INVITED,
        3: SeatState.INVITED,
        2: SeatState.INVITED,
        5: SeatState.WAITLISTED,
        1: SeatState.WAITLISTED,
    }


def test_a_decline_promotes_the_first_waiting_and_nobody_else() -> None:
    seats = [
        _seat(1, SeatState.ATTENDING, Category.HONOUREE),
        _seat(2, SeatState.DECLINED, Category.HONOUREE),
        _seat(3, SeatState.DEPUTY, Category.LEADERSHIP),
        _seat(4, SeatState.WAITLISTED, Category.PRESS),
        _seat(5, SeatState.WAITLISTED, Category.UNIT_HEAD),
    ]
    assert allocate(seats, 3) == {5: SeatState.INVITED}
    assert allocate(seats, 2) == {}  # no seat free: nobody moves
    assert not seat_for_return(seats[:1] + seats[2:3], 2)
    assert seat_for_return(seats[:1], 2)


def test_the_cut_off_is_working_days_before_the_conference() -> None:
    calendar = vietnam_calendar(range(2019, 2021))
    # Friday 29 March 2019: one working day before is Thursday; three, across a weekend, Tuesday.
    assert rsvp_cutoff(date(2019, 3, 29), calendar, 1) == date(2019, 3, 28)
    assert rsvp_cutoff(date(2019, 4, 1), calendar, 1) == date(2019, 3, 29)
    assert rsvp_open(date(2019, 3, 28), date(2019, 3, 28))
    assert not rsvp_open(date(2019, 3, 29), date(2019, 3, 28))


def test_the_guest_list_names_each_wrong_line_and_column() -> None:
    text = (
        "category,full_name,position,organisation,email,unit\n"
        "lanh_dao,Nguyễn Mạnh Hùng,Bộ trưởng,Lãnh đạo Bộ,bt@mic.vn,\n"
        "bao_chi,Đỗ Thu Trang,Phóng viên,Báo A,BT@mic.vn,\n"
        "khach_vip,,x,y,khong-email,vu_z\n"
    )
    parsed = parse_guests(text, known_units={"vu_a"})
    assert [g.full_name for g in parsed.guests] == ["Nguyễn Mạnh Hùng"]
    where = [(e.row, e.field) for e in parsed.errors]
    assert where == [(3, "email"), (4, "category"), (4, "full_name"), (4, "email"), (4, "unit")]
    assert "trùng email với dòng 2" in str(parsed.errors[0])
    assert parse_guests("ten,email\nA,a@b.vn\n").errors[0].field.startswith("category")


def test_seating_groups_delegations_with_honourees_first() -> None:
    entries = [
        ("Báo A", ORDER.index(Category.PRESS), 1),
        ("Vụ B", ORDER.index(Category.UNIT_HEAD), 1),
        ("Vụ B", ORDER.index(Category.HONOUREE), 2),
        ("Lãnh đạo Bộ", ORDER.index(Category.LEADERSHIP), 1),
        ("Vụ A", ORDER.index(Category.HONOUREE), 1),
        ("Vụ A", ORDER.index(Category.REPRESENTATIVE), 3),
    ]
    assert [entries[i][0] for i in seating_order(entries)] == [
        "Vụ A",
        "Vụ A",
        "Vụ B",
        "Vụ B",
        "Lãnh đạo Bộ",
        "Báo A",
    ]
    assert seating_order(entries)[2:4] == [2, 1]  # within Vụ B, the honouree first
