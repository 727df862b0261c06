"""The whole reminder ladder across Tết, driven day by day as the scheduler would drive it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from email.message import EmailMessage

import pytest

from flows.remind import send_reminders
from models.outbox import OutboxStatus
from models.settings import get_settings
from tests.nudges.support import (
    CODE,
    DEADLINE,
    PC,
    VT,
    Called,
    at,
    check_nudge,
    cli,
    kind_of,
    outbox_rows,
    plain,
    unit_of,
)

# Worked out by hand on the 2027 calendar (offsets -5, -2, +1 working days, then an escalation
# every 2 working days, at most 6 steps, at 08:00). Tết 2027 is Thu 04/02 .. Wed 10/02.
#   -5: Wed 27/01 (28, 29, 1, 2, 3 remain)        -2: Mon 01/02 (2, 3 remain)
#   +1: Thu 11/02, the first working day after Tết, NOT Thu 04/02
#   +3: Mon 15/02 (11, 12, 15)  +5: Wed 17/02  +7: Fri 19/02
# A 7th step would fall on Tue 23/02 (+9), inside the window: the cap must stop it.
LADDER: dict[date, tuple[str, int, int]] = {  # day -> (kind, tier, working days left)
    date(2027, 1, 27): ("reminder", 1, 5),
    date(2027, 2, 1): ("reminder", 2, 2),
    date(2027, 2, 11): ("overdue", 3, -1),
    date(2027, 2, 15): ("escalation_unit_head", 4, -3),
    date(2027, 2, 17): ("escalation_department", 5, -5),
    date(2027, 2, 19): ("escalation_department", 6, -7),
}
FIRST_DAY = date(2027, 1, 20)  # two weeks before the deadline
LAST_DAY = date(2027, 2, 24)  # three weeks after it
TET = [date(2027, 2, 4) + timedelta(days=i) for i in range(7)]
# The scheduler's other wake-ups, one per day in turn (besides 08:00, the send hour).
OTHER_TIMES = [(0, 0), (7, 59), (12, 0), (23, 59)]


def _moments(day: date, index: int) -> list[datetime]:
    if day in LADDER:
        # A minute early (nothing yet), on time, and the very same moment again (a no-op).
        return [at(day, 7, 59), at(day, 8), at(day, 8)]
    hour, minute = OTHER_TIMES[index % len(OTHER_TIMES)]
    return sorted([at(day, 8), at(day, hour, minute)])


@pytest.mark.slow
def test_full_ladder_across_tet(call_campaign: Callable[..., Called]) -> None:
    called = call_campaign(VT, PC)
    units = called.units
    assert called.campaign.submission_due == DEADLINE

    received: list[tuple[datetime, EmailMessage]] = []
    runs: list[tuple[datetime, dict]] = []
    day, index = FIRST_DAY, 0
    while day <= LAST_DAY:
        for moment in _moments(day, index):
            runs.append((moment, send_reminders(CODE, now=moment)))
            received += [(moment, m) for m in called.inbox.new()]
        day += timedelta(days=1)
        index += 1
    assert len({m for m, _ in runs}) >= 2 * (LAST_DAY - FIRST_DAY).days

    # Exactly the six steps, each at 08:00 on its working day, for each unit, in order.
    moments = sorted({moment for moment, _ in received})
    assert moments == [at(day, 8) for day in LADDER]
    for day, (kind, tier, left) in LADDER.items():
        batch = [m for moment, m in received if moment.date() == day]
        assert sorted(unit_of(m, units).code for m in batch) == sorted(u.code for u in units)
        for message in batch:
            check_nudge(message, unit_of(message, units), kind, left)
        if kind == "reminder":
            assert all(f"(lần {tier})" in plain(m) for m in batch)

    # Nothing on a weekend, during Tết, before 08:00, after the cap, or on a repeated run.
    days = {moment.date() for moment, _ in received}
    assert not days & set(TET)
    assert all(d.weekday() < 5 for d in days)
    assert date(2027, 2, 4) not in days and date(2027, 2, 11) in days  # overdue after Tết
    assert not [m for moment, m in received if moment > at(date(2027, 2, 19), 8)]
    repeats = [r for moment, r in runs if moment.date() in LADDER and moment.hour == 8]
    assert [(r.reminders, r.escalations) for r in repeats[1::2]] == [(0, 0)] * len(LADDER)
    assert all(r.sent == 0 for r in repeats[1::2])

    # The outbox agrees with the Maildir: 6 steps per unit, each sent once, in tier order.
    rows = [r for r in outbox_rows() if r.kind != "call"]
    assert len(rows) == 6 * len(units)
    assert all(r.status == OutboxStatus.SENT and r.attempts == 1 for r in rows)
    by_id = {r.message_id: r for r in rows}
    assert sorted(by_id) == sorted(str(m["Message-ID"]) for _, m in received)
    for moment, message in received:
        row = by_id[str(message["Message-ID"])]
        assert (row.kind, row.tier) == LADDER[moment.date()][:2]
        assert kind_of(message) == row.kind

    # The operator's view: every unit overdue, 6 reminders each, nothing failed.
    status = cli("status", CODE, "--now", "2027-02-24T17:00")
    assert (status["overdue"], status["emails_failed"]) == (len(units), 0)
    assert [row["reminders_sent"] for row in status["rows"]] == [6] * len(units)
    assert {row["working_days_left"] for row in status["rows"]} == {-10}


def test_a_lower_cap_ends_the_ladder_sooner(
    call_campaign: Callable[..., Called], monkeypatch: pytest.MonkeyPatch
) -> None:
    called = call_campaign(VT)
    monkeypatch.setenv("TONVINH_MAX_REMINDERS_PER_UNIT", "4")
    get_settings.cache_clear()

    kinds: dict[date, list[str]] = {}
    for day in [*LADDER, date(2027, 2, 23), date(2027, 2, 24)]:
        send_reminders(CODE, now=at(day, 8))
        kinds[day] = [kind_of(m) for m in called.inbox.new()]
    # The fourth step (the unit head, Mon 15/02) is the last one: no department escalation.
    assert kinds == {
        date(2027, 1, 27): ["reminder"],
        date(2027, 2, 1): ["reminder"],
        date(2027, 2, 11): ["overdue"],
        date(2027, 2, 15): ["escalation_unit_head"],
        date(2027, 2, 17): [],
        date(2027, 2, 19): [],
        date(2027, 2, 23): [],
        date(2027, 2, 24): [],
    }
    assert cli("status", CODE, "--now", "2027-02-24T17:00")["rows"][0]["reminders_sent"] == 4
