"""One unit's ladder changes while the others' goes on: it submits, it is paused, it is extended."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from email.message import EmailMessage
from pathlib import Path

from flows.intake import intake_submissions
from flows.remind import send_reminders
from tests.nudges.support import (
    CODE,
    PC,
    VT,
    Called,
    at,
    check_nudge,
    cli,
    filled_list,
    kind_of,
    nudges_queued,
    unit_of,
)

Seen = list[tuple[str, str]]  # (unit code, kind) of each message, sorted


def _run(called: Called, day: date) -> list[EmailMessage]:
    send_reminders(CODE, now=at(day, 8))
    return called.inbox.new()


def _who(messages: list[EmailMessage], called: Called) -> Seen:
    return sorted((unit_of(m, called.units).code, kind_of(m)) for m in messages)


def test_a_unit_that_submits_mid_ladder_hears_nothing_more(
    call_campaign: Callable[..., Called], tmp_path: Path
) -> None:
    called = call_campaign(VT, PC)
    assert _who(_run(called, date(2027, 1, 27)), called) == [
        ("cuc_vt", "reminder"),
        ("vu_pc", "reminder"),
    ]

    # Cục Viễn thông sends its list the next afternoon.
    [result] = intake_submissions(
        CODE, [filled_list(tmp_path, VT)], now=at(date(2027, 1, 28), 15, 30)
    )
    assert (result.outcome, result.unit) == ("accepted", VT.code)
    # Its receipt arrives at once: the intake delivers.
    [receipt] = called.inbox.new()
    assert unit_of(receipt, called.units) == VT and "Xác nhận đã nhận" in str(receipt["Subject"])

    # Vụ Pháp chế keeps climbing its ladder; Cục Viễn thông hears nothing more.
    expected = {
        date(2027, 2, 1): ("reminder", 2),
        date(2027, 2, 11): ("overdue", -1),
        date(2027, 2, 15): ("escalation_unit_head", -3),
        date(2027, 2, 17): ("escalation_department", -5),
        date(2027, 2, 19): ("escalation_department", -7),
    }
    for day, (kind, left) in expected.items():
        messages = _run(called, day)
        assert _who(messages, called) == [("vu_pc", kind)], day
        check_nudge(messages[0], PC, kind, left)

    assert nudges_queued(VT) == [(1, "reminder")]
    assert [tier for tier, _kind in nudges_queued(PC)] == [1, 2, 3, 4, 5, 6]
    rows = cli("status", CODE, "--now", "2027-02-19T17:00")["rows"]
    status = {row["unit_code"]: row for row in rows}
    assert (status["cuc_vt"]["standing"], status["cuc_vt"]["reminders_sent"]) == ("submitted", 1)
    assert (status["vu_pc"]["standing"], status["vu_pc"]["reminders_sent"]) == ("overdue", 6)


def test_pause_stops_reminders_and_resume_sends_only_the_step_due(
    call_campaign: Callable[..., Called],
) -> None:
    called = call_campaign(VT, PC)
    assert len(_run(called, date(2027, 1, 27))) == 2  # the first reminder to both

    paused = cli("unit", "pause", CODE, "cuc_vt", "--reason", "Đơn vị đang sáp nhập")
    assert paused["reminders_paused"] is True
    assert _who(_run(called, date(2027, 2, 1)), called) == [("vu_pc", "reminder")]
    assert _who(_run(called, date(2027, 2, 11)), called) == [("vu_pc", "overdue")]

    resumed = cli("unit", "pause", CODE, "cuc_vt", "--resume")
    assert resumed["reminders_paused"] is False
    # The step due now (the overdue notice of 11/02), once; not the missed second reminder.
    messages = _run(called, date(2027, 2, 12))
    assert _who(messages, called) == [("cuc_vt", "overdue")]
    check_nudge(messages[0], VT, "overdue", -2)
    assert _run(called, date(2027, 2, 12)) == []
    # ... and from there on, the ladder as before, in step with the other unit.
    assert _who(_run(called, date(2027, 2, 15)), called) == [
        ("cuc_vt", "escalation_unit_head"),
        ("vu_pc", "escalation_unit_head"),
    ]
    assert nudges_queued(VT) == [(1, "reminder"), (3, "overdue"), (4, "escalation_unit_head")]


def test_extension_moves_the_next_steps_to_the_new_dates(
    call_campaign: Callable[..., Called],
) -> None:
    called = call_campaign(VT, PC)
    assert len(_run(called, date(2027, 1, 27))) == 2  # the first reminder to both

    # Vụ Pháp chế is given until Friday 26/02/2027. Its next steps, by hand: the second reminder
    # -2 working days -> Wed 24/02; overdue +1 -> Mon 01/03; unit head +3 -> Wed 03/03.
    extended = cli(
        "unit",
        "extend",
        CODE,
        "vu_pc",
        "2027-02-26",
        "--reason",
        "Sau Tết",
        "--now",
        "2027-01-27T09:00",
    )
    assert extended["deadline"] == "2027-02-26"
    new_deadline = "Thứ Sáu, ngày 26/02/2027"

    assert _who(_run(called, date(2027, 2, 1)), called) == [("cuc_vt", "reminder")]
    assert _who(_run(called, date(2027, 2, 11)), called) == [("cuc_vt", "overdue")]
    # Fri 19/02 is the new deadline's -5 step: already sent (tier 1), so not again. (The other
    # unit, not run on 15/02 and 17/02, gets its latest step only: tier 6.)
    assert _who(_run(called, date(2027, 2, 19)), called) == [("cuc_vt", "escalation_department")]
    assert _run(called, date(2027, 2, 23)) == []
    messages = _run(called, date(2027, 2, 24))
    assert _who(messages, called) == [("vu_pc", "reminder")]
    check_nudge(messages[0], PC, "reminder", 2, deadline_vi=new_deadline)
    messages = _run(called, date(2027, 3, 1))
    assert _who(messages, called) == [("vu_pc", "overdue")]
    check_nudge(messages[0], PC, "overdue", -1, deadline_vi=new_deadline)
    assert _run(called, date(2027, 3, 2)) == []
    messages = _run(called, date(2027, 3, 3))
    assert _who(messages, called) == [("vu_pc", "escalation_unit_head")]
    check_nudge(messages[0], PC, "escalation_unit_head", -3, deadline_vi=new_deadline)
